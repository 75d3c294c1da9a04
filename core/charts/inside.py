"""Inside the RNN: one step's vectors, hidden states over time, gradients, clipping, cells compared."""

from __future__ import annotations

import math

import numpy as np
import plotly.graph_objects as go

from core.charts.common import PALETTE, layout
from core.config import CELL_NAMES

# Diverging blue-white-orange (two Okabe-Ito hues: safe for every common colour-vision
# deficiency) for values around 0; cividis (designed for colour-blind readers) for 0..1 gates.
DIVERGING = [[0.0, PALETTE["blue"]], [0.5, "#FFFFFF"], [1.0, PALETTE["orange"]]]
SEQUENTIAL = "Cividis"
CELL_COLOURS = {"simple": PALETTE["vermillion"], "lstm": PALETTE["blue"], "gru": PALETTE["green"]}


def _tick_step(labels: list[str]) -> int:
    """Label every n-th step so that long labels (dates, words) do not overlap: about 60 characters' room."""
    width = max(1.0, sum(len(str(t)) for t in labels) / max(1, len(labels)))
    return max(1, int(np.ceil(len(labels) / max(4, int(60 / max(1.0, width / 1.5))))))


def show_token(token: str) -> str:
    """A token as an axis label: whitespace made visible."""
    return {" ": "␣", "\n": "⏎", "\t": "⇥", "": "∅"}.get(token, token)


def step_chart(parts: list, title: str, letters: list[str] | None = None) -> tuple[go.Figure, str]:
    """One small heatmap row per vector of a step (input, previous state, products, new state).

    `letters`: the input row's boxes, in order (the word's distinct letters), shown as themselves.
    """
    from plotly.subplots import make_subplots

    # Fixed pixels, not fractions: each row's title needs its own band below the tick labels of
    # the row above, or the two overlap (they did with 0.5 / rows of the figure as the gap).
    row_px, gap_px, top_px = 34, 64, 110
    plot_px = len(parts) * row_px + (len(parts) - 1) * gap_px
    spacing = gap_px / plot_px if len(parts) > 1 else 0.0
    fig = make_subplots(len(parts), 1, subplot_titles=[p.label for p in parts], vertical_spacing=spacing)
    top = max(1.0, max(float(abs(p.values).max()) for p in parts))
    for i, p in enumerate(parts, start=1):
        n = len(p.values)
        if p.key == "x" and letters and len(letters) == n:
            x = [f"'{show_token(c)}'" for c in letters]
        else:
            x = [f"{'letter' if p.key == 'x' else 'unit'} {j + 1}" for j in range(n)]
        fig.add_heatmap(
            z=[p.values],
            x=x,
            y=[""],
            zmin=-top,
            zmax=top,
            colorscale=DIVERGING,
            showscale=i == 1,
            text=[[f"{v:.2f}" for v in p.values]],
            texttemplate="%{text}",
            hovertemplate="%{x}: %{z:.4f}<extra>" + p.label + "</extra>",
            colorbar={"title": "value", "len": 0.3, "y": 1, "yanchor": "top"},
            row=i,
            col=1,
        )
    fig.update_layout(
        title=title, height=plot_px + top_px + 40, margin={"l": 20, "r": 20, "t": top_px, "b": 40}
    )
    fig.update_annotations(font_size=12)
    new, old = parts[-1].values, next(p.values for p in parts if p.key == "h_prev")
    moved = int(abs(new - old).argmax())
    summary = (
        f"{title}. The new hidden state runs from {new.min():.2f} to {new.max():.2f} (values, no unit);"
        f" unit {moved + 1} changed most, from {old[moved]:.2f} to {new[moved]:.2f}."
    )
    return fig, summary


def state_heatmap(
    values, labels: list[str], title: str, order=None, r=None, gate: bool = False
) -> tuple[go.Figure, str]:
    """Activations (time, units) as a heatmap: time along x (labelled by token), units along y."""
    values = np.asarray(values)
    order = np.arange(values.shape[1]) if order is None else np.asarray(order)
    z = values[:, order].T  # (units, time)
    names = [f"unit {u + 1}" + (f" (r={r[u]:+.2f})" if r is not None else "") for u in order]
    ticks = [show_token(t) for t in labels]
    fig = go.Figure(
        go.Heatmap(
            z=z,
            x=list(range(len(labels))),
            y=names,
            zmin=0 if gate else -1,
            zmax=1,
            colorscale=SEQUENTIAL if gate else DIVERGING,
            colorbar={"title": "share open (0-1)" if gate else "activation (-1 to 1)"},
            customdata=[ticks] * len(order),
            hovertemplate="step %{x} (%{customdata}), %{y}: %{z:.3f}<extra></extra>",
        )
    )
    step = _tick_step(labels)
    fig.update_xaxes(tickvals=list(range(0, len(labels), step)), ticktext=ticks[::step], tickangle=0)
    fig.update_yaxes(autorange="reversed")
    layout(
        fig,
        title,
        "input step (the token read at that step)",
        "unit" + (" (sorted)" if r is not None else ""),
    )
    fig.update_layout(height=max(300, min(900, 16 * len(order) + 160)))
    mean = float(values.mean())
    busiest = int(np.abs(values).mean(axis=0).argmax())
    what = "open" if gate else "active"
    summary = (
        f"{values.shape[1]} units over {values.shape[0]} steps; mean value {mean:.2f}; unit {busiest + 1}"
        f" is the most {what} on average ({float(np.abs(values[:, busiest]).mean()):.2f})."
    )
    return fig, summary


def unit_trace_chart(activation, feature, labels: list[str], unit: int, feature_name: str, r: float):
    """One unit's activation over time beside the feature it follows best."""
    fig = go.Figure()
    x = list(range(len(labels)))
    fig.add_scatter(
        x=x,
        y=list(feature),
        mode="lines",
        name=feature_name,
        line={"color": PALETTE["orange"], "shape": "hv"},
    )
    fig.add_scatter(
        x=x,
        y=list(activation),
        mode="lines+markers",
        name=f"unit {unit + 1}",
        line={"color": PALETTE["blue"]},
    )
    step = _tick_step(labels)
    fig.update_xaxes(tickvals=x[::step], ticktext=[show_token(t) for t in labels][::step], tickangle=0)
    layout(fig, f"Unit {unit + 1} beside '{feature_name}'", "input step", "activation / feature value")
    if len(set(map(float, feature))) < 2:
        return (
            fig,
            f"'{feature_name}' does not change over this input, so no unit can follow it: pick another feature or input.",
        )
    if abs(r) < 0.2:
        return (
            fig,
            f"No unit follows '{feature_name}': the best, unit {unit + 1}, has a correlation of only {r:+.2f}.",
        )
    strength = "closely" if abs(r) > 0.7 else "somewhat" if abs(r) > 0.4 else "weakly"
    direction = "rises" if r > 0 else "falls"
    return fig, (
        f"Unit {unit + 1} follows '{feature_name}' {strength} (correlation {r:+.2f}): it {direction} when the feature rises."
    )


def gradient_norm_chart(curves: dict[str, list[float]], title: str) -> tuple[go.Figure, str]:
    """Gradient norm against distance from the answer (log scale); keys like 'lstm' or 'lstm after'."""
    fig = go.Figure()
    ratios = {}
    for label, norms in curves.items():
        cell, _, when = label.partition(" ")
        fig.add_scatter(
            x=list(range(1, len(norms) + 1)),
            y=norms,
            mode="lines",
            name=f"{CELL_NAMES.get(cell, cell)} {when}".strip(),
            line={"color": CELL_COLOURS.get(cell), "dash": "dot" if when == "before" else "solid"},
        )
        if norms and norms[0] > 0:
            ratios[label] = norms[-1] / norms[0]
    layout(fig, title, "distance: steps between the input and the answer", "gradient norm (log scale)")
    if len(curves) > 3:  # two legend rows: keep them clear of the title
        fig.update_layout(margin={"t": 110}, height=420)
    fig.update_yaxes(type="log", exponentformat="power")
    if not ratios:
        return fig, "No gradients measured yet."
    n = len(next(iter(curves.values())))
    parts = [
        f"{CELL_NAMES.get(k.split(' ')[0], k)}{' ' + k.partition(' ')[2] if ' ' in k else ''}: {_times(v)}"
        for k, v in ratios.items()
    ]
    return fig, f"The gradient {n} steps back compared with 1 step back: " + "; ".join(parts) + "."


def _times(ratio: float) -> str:
    if ratio <= 0 or not math.isfinite(ratio):
        return "zero"
    factor = 1 / ratio if ratio < 1 else ratio
    text = f"{factor:,.0f}" if 10 <= factor < 1e6 else f"{factor:.2g}" if factor < 10 else _in_words(factor)
    return f"{text} times {'smaller' if ratio < 1 else 'larger'}"


def _in_words(x: float) -> str:
    """A million or more in words, not 2.7e+09: a teacher reads "about 2.7 billion"."""
    size, word = next((s, w) for s, w in ((1e12, "trillion"), (1e9, "billion"), (1e6, "million")) if x >= s)
    n = x / size
    return f"about {n:,.0f} {word}" if n >= 10 else f"about {n:.2g} {word}"


def clipping_chart(demo: dict) -> tuple[go.Figure, str]:
    """The size of each update with and without gradient clipping, on an exploding SimpleRNN."""
    fig = go.Figure()
    for name, colour in (("unclipped", PALETTE["vermillion"]), ("clipped", PALETTE["blue"])):
        rows = demo[name]
        fig.add_scatter(
            x=list(range(1, len(rows) + 1)),
            y=[r["update_norm"] for r in rows],
            mode="lines+markers",
            name=f"{name} (clip norm {demo['clip']})" if name == "clipped" else "without clipping",
            line={"color": colour},
        )
    cap = demo["learning_rate"] * demo["clip"]
    fig.add_hline(
        y=cap, line_dash="dot", line_color=PALETTE["black"], annotation_text="learning rate × clip norm"
    )
    layout(
        fig,
        f"Update size per training step, recurrent weights × {demo['scale']}",
        "training step",
        "largest change of a weight matrix (log scale)",
    )
    fig.update_yaxes(type="log", exponentformat="power")
    raw = max(r["update_norm"] for r in demo["unclipped"])
    clipped = max(r["update_norm"] for r in demo["clipped"])
    weights = demo["unclipped"][0]["weight_norm"]
    share = raw / weights
    size = f"{share:,.0f} times" if share >= 10 else f"{share:.2g} times" if share >= 1 else f"{share:.0%} of"
    return fig, (
        f"Without clipping the largest update was {raw:,.4g}, {size} the size of all the starting weights"
        f" together ({weights:.3g}); with clipping it was {clipped:.3g}, never more than learning rate ×"
        f" clip norm = {cap:.3g}."
    )


def cell_loss_chart(curves: dict[str, list[dict]], y_title: str = "validation loss") -> tuple[go.Figure, str]:
    """Validation loss per epoch for SimpleRNN, LSTM and GRU trained alike (keys: cell names)."""
    fig = go.Figure()
    best = {}
    for cell, epochs in curves.items():
        ys = [e.get("val_loss") for e in epochs]
        fig.add_scatter(
            x=[e["epoch"] for e in epochs],
            y=ys,
            mode="lines+markers",
            name=CELL_NAMES.get(cell, cell),
            line={"color": CELL_COLOURS.get(cell)},
        )
        finite = [y for y in ys if isinstance(y, int | float) and math.isfinite(y)]
        if finite:
            best[cell] = min(finite)
    layout(fig, "Validation loss per epoch, same data, seed and size (lower is better)", "epoch", y_title)
    fig.update_xaxes(dtick=1)
    if not best:
        return fig, "No epochs finished yet."
    winner = min(best, key=best.get)
    listing = ", ".join(f"{CELL_NAMES.get(c, c)} {v:.4g}" for c, v in best.items())
    return fig, f"Lowest validation loss reached: {listing}; {CELL_NAMES.get(winner, winner)} is lowest."
