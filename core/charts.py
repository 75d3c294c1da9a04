"""Plotly figure builders for the pages: one function per chart.

Each returns (figure, summary): the figure has a title and axis labels with
units, uses the Okabe-Ito colour-blind-safe palette, and the summary is one
plain sentence the page prints under the chart for screen readers.
"""

from __future__ import annotations

import math

import plotly.graph_objects as go

# Okabe & Ito (2008): distinguishable with every common colour-vision deficiency.
PALETTE = {
    "black": "#000000",
    "orange": "#E69F00",
    "sky": "#56B4E9",
    "green": "#009E73",
    "yellow": "#F0E442",
    "blue": "#0072B2",
    "vermillion": "#D55E00",
    "purple": "#CC79A7",
}
MODEL_COLOURS = {
    "actual": PALETTE["black"],
    "rnn": PALETTE["blue"],
    "persistence": PALETTE["orange"],
    "seasonal_naive": PALETTE["green"],
    "linear": PALETTE["purple"],
}
MODEL_NAMES = {
    "actual": "actual",
    "rnn": "RNN",
    "persistence": "persistence (repeat last value)",
    "seasonal_naive": "seasonal naive (same time last season)",
    "linear": "linear autoregression (Ridge)",
}


def _layout(fig: go.Figure, title: str, x_title: str, y_title: str) -> go.Figure:
    fig.update_layout(
        title=title,
        xaxis_title=x_title,
        yaxis_title=y_title,
        template="plotly_white",
        legend={"orientation": "h", "yanchor": "bottom", "y": 1.02, "x": 0},
        margin={"l": 60, "r": 20, "t": 80, "b": 50},
        height=380,
    )
    return fig


def loss_chart(
    epochs: list[dict],
    batches: list[dict],
    y_title: str = "loss",
    hover_unit: tuple[str, float] | None = None,
) -> tuple[go.Figure, str]:
    """Training loss per batch (faint), train and validation loss per epoch.

    `hover_unit` (name, factor) adds the loss in a second unit to each hover
    label, e.g. ("bits per character", 1 / ln 2) beside nats per character.
    """
    fig = go.Figure()
    if batches:
        fig.add_scatter(
            x=[b["epoch"] - 1 + b["batch"] / max(1, b["batches"]) for b in batches],
            y=[b["loss"] for b in batches],
            mode="lines",
            name="training loss (live, running mean)",
            line={"color": PALETTE["sky"], "width": 1},
        )
    if epochs:
        x = [e["epoch"] for e in epochs]
        fig.add_scatter(
            x=x,
            y=[e.get("loss") for e in epochs],
            mode="lines+markers",
            name="training loss (per epoch)",
            line={"color": PALETTE["blue"]},
        )
        if any("val_loss" in e for e in epochs):
            fig.add_scatter(
                x=x,
                y=[e.get("val_loss") for e in epochs],
                mode="lines+markers",
                name="validation loss",
                line={"color": PALETTE["vermillion"], "dash": "dash"},
            )
    _layout(fig, "Training progress: loss (lower is better)", "epoch", y_title)
    if hover_unit:
        name, factor = hover_unit
        for trace in fig.data:
            trace.customdata = [None if y is None else y * factor for y in trace.y]
            trace.hovertemplate = f"epoch %{{x:.2f}}<br>%{{y:.4g}} {y_title}<br>%{{customdata:.4g}} {name}"
    if not epochs and not batches:
        return fig, "No loss values yet: the first point appears after a few seconds of training."
    if not epochs:
        return fig, f"Epoch 1 in progress; current training loss {batches[-1]['loss']:.4g}."
    last = epochs[-1]
    n = last["epoch"]
    summary = f"After {n} epoch{'s' if n != 1 else ''} the training loss is {last.get('loss', math.nan):.4g}"
    if "val_loss" in last:
        best = min(epochs, key=lambda e: e.get("val_loss", math.inf))
        summary += (
            f" and the validation loss {last['val_loss']:.4g}"
            f" (best {best['val_loss']:.4g} at epoch {best['epoch']})"
        )
    return fig, summary + "."


def series_chart(dates, values, bounds: tuple[int, int], target: str, units: str) -> tuple[go.Figure, str]:
    """The whole series, shaded by split: which rows train, validate and test."""
    fig = go.Figure()
    n = len(values)
    train_end, val_end = bounds
    parts = [
        ("training split", 0, train_end, PALETTE["blue"]),
        ("validation split", train_end, val_end, PALETTE["orange"]),
        ("test split", val_end, n, PALETTE["vermillion"]),
    ]
    for name, a, b, colour in parts:
        lo = max(0, a - 1)  # overlap one point so the line is continuous
        fig.add_scatter(x=dates[lo:b], y=values[lo:b], mode="lines", name=name, line={"color": colour})
    unit = f" ({units})" if units else ""
    _layout(fig, f"The series: {target}", "date" if isinstance(dates[0], str) else "step", f"{target}{unit}")
    summary = (
        f"{n} values of {target}{unit}, from {min(values):.4g} to {max(values):.4g}: the first"
        f" {train_end} train the model, the next {val_end - train_end} validate it and the last"
        f" {n - val_end} test it."
    )
    return fig, summary


def forecast_chart(
    dates, actual, predictions: dict, step: int, target: str, units: str
) -> tuple[go.Figure, str]:
    """Actual values over the test split against each model's forecast `step` steps ahead."""
    fig = go.Figure()
    fig.add_scatter(
        x=dates, y=[row[step - 1] for row in actual], mode="lines", name="actual", line={"color": "#000000"}
    )
    for name, rows in predictions.items():
        fig.add_scatter(
            x=dates,
            y=[row[step - 1] for row in rows],
            mode="lines",
            name=MODEL_NAMES.get(name, name),
            line={"color": MODEL_COLOURS.get(name), "dash": "solid" if name == "rnn" else "dot"},
        )
    unit = f" ({units})" if units else ""
    ahead = "1 step ahead" if step == 1 else f"{step} steps ahead"
    _layout(fig, f"Test split: actual {target} vs forecasts made {ahead}", "target date", f"{target}{unit}")
    errs = {
        name: sum(abs(p[step - 1] - a[step - 1]) for p, a in zip(rows, actual, strict=True)) / len(actual)
        for name, rows in predictions.items()
    }
    best = min(errs, key=errs.get)
    summary = (
        f"On the {len(actual)} test dates, forecasting {ahead}, the smallest mean absolute error is"
        f" {MODEL_NAMES.get(best, best)}'s ({errs[best]:.3g}{' ' + units if units else ''})."
    )
    return fig, summary


def future_chart(hist_x, hist_y, fut_x, fut_y, low, high, target: str, units: str) -> tuple[go.Figure, str]:
    """The last observed values, then the RNN's forecast with its 90% band."""
    fig = go.Figure()
    fig.add_scatter(x=hist_x, y=hist_y, mode="lines", name="observed", line={"color": "#000000"})
    fig.add_scatter(x=fut_x, y=high, mode="lines", line={"width": 0}, showlegend=False, hoverinfo="skip")
    fig.add_scatter(
        x=fut_x,
        y=low,
        mode="lines",
        fill="tonexty",
        fillcolor="rgba(0,114,178,0.2)",
        line={"width": 0},
        name="90% band (from validation errors)",
    )
    fig.add_scatter(
        x=fut_x, y=fut_y, mode="lines+markers", name="RNN forecast", line={"color": PALETTE["blue"]}
    )
    unit = f" ({units})" if units else ""
    _layout(fig, f"Forecast past the last date: {target}", "date", f"{target}{unit}")
    summary = (
        f"The RNN forecasts {len(fut_y)} step{'s' if len(fut_y) != 1 else ''} past {hist_x[-1]}: from {fut_y[0]:.4g} to"
        f" {fut_y[-1]:.4g}{' ' + units if units else ''}; the band holds 90% of its validation errors."
    )
    return fig, summary


# --- text generation -------------------------------------------------------
def text_baseline_chart(rnn_val: float, by_order: dict, best_order: int) -> tuple[go.Figure, str]:
    """Held-out loss of n-gram models of growing order beside the RNN's: how much context pays."""
    names = {1: "unigram", 2: "bigram", 3: "trigram"}
    labels, values, colours = [], [], []
    for order in sorted(int(o) for o in by_order):
        labels.append(
            f"{names.get(order, f'{order}-gram')}" + (" (best n-gram)" if order == best_order else "")
        )
        values.append(by_order[order] if order in by_order else by_order[str(order)])
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
    _layout(
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
        go.Bar(x=values, y=labels, orientation="h", marker_color=colours, text=[f"{v:.1%}" for v in values],
               textposition="outside", hovertemplate="%{y}: %{x:.1%}<extra></extra>")
    )  # fmt: skip
    _layout(fig, f"Position {position}: the model's five likeliest characters", "probability", "character")
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
