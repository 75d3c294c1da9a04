"""Shakespeare: the n-gram baselines beside the RNN, the probability lens, the likeliest characters."""

from __future__ import annotations

import math

import plotly.graph_objects as go

from core.charts.common import PALETTE, layout


def text_baseline_chart(rnn_val: float, by_order: dict, best_order: int) -> tuple[go.Figure, str]:
    """Held-out loss of n-gram models of growing order beside the RNN's: how much context pays."""
    names = {1: "unigram", 2: "bigram", 3: "trigram"}
    labels, values, colours = [], [], []
    for order in sorted(int(o) for o in by_order):
        value = by_order[order] if order in by_order else by_order[str(order)]
        lowest = value == min(by_order.values())
        # The order is chosen on the training text, so on held-out text another can be lower.
        tag = " (chosen on training text)" if order == best_order else " (lowest here)" if lowest else ""
        labels.append(f"{names.get(order, f'{order}-gram')}{tag}")
        values.append(value)
        colours.append(PALETTE["orange"] if order == best_order else PALETTE["sky"])
    labels.append("RNN")
    values.append(rnn_val)
    colours.append(PALETTE["blue"])
    fig = go.Figure(
        go.Bar(
            x=labels,
            y=values,
            marker_color=colours,
            text=[f"{v:.3f}" for v in values],
            textposition="outside",
            customdata=[v / math.log(2) for v in values],
            hovertemplate="%{x}: %{y:.3f} nats per character (%{customdata:.2f} bits)<extra></extra>",
        )
    )
    layout(
        fig, "Held-out loss: n-gram baselines and the RNN (lower is better)", "model", "nats per character"
    )
    fig.update_yaxes(range=[0, max(values) * 1.15])
    best = by_order.get(best_order, by_order.get(str(best_order)))
    better = "better than" if rnn_val < best else "worse than"
    summary = (
        f"On the held-out text the RNN scores {rnn_val:.3f} nats per character, {better} the best"
        f" n-gram ({best:.3f}, {best_order} characters); a trigram scores"
        f" {by_order.get(3, by_order.get('3', float('nan'))):.3f}."
    )
    return fig, summary


LENS_BINS = [  # (lowest probability, background, label): Okabe-Ito blue to orange
    (0.5, "#9ECAE9", "very likely (50% or more)"),
    (0.2, "#D4E8F6", "likely (20-50%)"),
    (0.05, "#F8D9A8", "unlikely (5-20%)"),
    (0.0, "#E69F00", "surprising (under 5%)"),
]


def probability_lens_html(
    text: str, probs: list[float], selected: int | None = None, prompt: str = ""
) -> tuple[str, str]:
    """Generated text as HTML, each character shaded by the probability the model gave it.

    The prompt, if any, comes first in grey italics: the model read it, it did not write it.
    """
    import html

    spans = [f'<span style="color:#555;font-style:italic">{html.escape(prompt)}</span>'] if prompt else []
    for i, (ch, p) in enumerate(zip(text, probs, strict=True)):
        colour = next(bg for lo, bg, _ in LENS_BINS if p >= lo)
        border = "outline:2px solid #000;" if selected == i else ""
        shown = "\u21b5\n" if ch == "\n" else html.escape(ch)
        spans.append(
            f'<span title="position {i + 1}: {p:.1%}" style="background:{colour};{border}">{shown}</span>'
        )
    legend = " ".join(
        f'<span style="background:{bg};padding:0 6px;margin-right:6px">{label}</span>'
        for _, bg, label in LENS_BINS
    )
    body = (
        '<div style="font-family:monospace;white-space:pre-wrap;line-height:1.6;color:#000">'
        + "".join(spans)
        + f'</div><div style="font-size:0.85em;margin-top:6px;color:#000">{legend}</div>'
    )
    n = len(probs)
    surprising = sum(1 for p in probs if p < 0.05)
    mean = sum(probs) / n if n else 0.0
    summary = (
        f"{n} generated characters; the model gave them {mean:.0%} probability on average, and"
        f" {surprising} ({surprising / max(n, 1):.0%}) were surprising (under 5%)."
    )
    return body, summary


def alternatives_chart(position: int, chosen: str, top: list) -> tuple[go.Figure, str]:
    """The model's five likeliest characters at one position of the generated text."""

    def show(c: str) -> str:
        return {"\n": "line break", " ": "space"}.get(c, c)

    labels = [f"{show(c)!r}" if len(show(c)) == 1 else show(c) for c, _ in top]
    values = [p for _, p in top]
    colours = [PALETTE["orange"] if c == chosen else PALETTE["blue"] for c, _ in top]
    fig = go.Figure(
        go.Bar(
            x=values,
            y=labels,
            orientation="h",
            marker_color=colours,
            text=[f"{v:.1%}" for v in values],
            textposition="outside",
            hovertemplate="%{y}: %{x:.1%}<extra></extra>",
        )
    )
    layout(fig, f"Position {position}: the model's five likeliest characters", "probability", "character")
    fig.update_yaxes(autorange="reversed")
    fig.update_xaxes(range=[0, 1.1], tickformat=".0%")
    fig.update_layout(height=300)
    in_top = any(c == chosen for c, _ in top)
    summary = (
        f"At position {position} the model's first choice was {show(top[0][0])!r} ({top[0][1]:.1%});"
        f" it wrote {show(chosen)!r}"
        + (" (orange bar)." if in_top else ", which is not among its five likeliest characters.")
    )
    return fig, summary
