"""Plotly figure builders for the pages: one function per chart.

Each returns (figure, summary): the figure has a title and axis labels with
units, uses the Okabe-Ito colour-blind-safe palette, and the summary is one
plain sentence the page prints under the chart for screen readers.
"""

from __future__ import annotations

import math

import plotly.graph_objects as go

from core.midi import note_name

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


def loss_chart(epochs: list[dict], batches: list[dict], y_title: str = "loss") -> tuple[go.Figure, str]:
    """Training loss per batch (faint), train and validation loss per epoch."""
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


def piano_roll(events, title: str, primer: int = 0, bpm: float | None = None) -> tuple[go.Figure, str]:
    """A melody's notes as bars: time across (beats), pitch up; the first `primer` events are the primer."""
    fig = go.Figure()
    onsets, clock = [], 0.0
    for _, beats in events:
        onsets.append(clock)
        clock += beats
    parts = [
        ("primer (given)", 0, primer, PALETTE["black"]),
        ("composed", primer, len(events), PALETTE["blue"]),
    ]
    for name, a, b, colour in parts:
        idx = [i for i in range(a, b) if events[i][0] >= 0]
        if not idx:
            continue
        fig.add_bar(
            base=[onsets[i] for i in idx],
            x=[events[i][1] for i in idx],
            y=[events[i][0] for i in idx],
            orientation="h",
            name=name,
            marker={"color": colour, "line": {"width": 1, "color": "#FFFFFF"}},
            width=0.8,
            customdata=[note_name(events[i][0]) for i in idx],
            hovertemplate="%{customdata}: beat %{base:.2f}, %{x} beats<extra></extra>",
        )
    pitches = [p for p, _ in events if p >= 0]
    lo, hi = (min(pitches) - 2, max(pitches) + 2) if pitches else (58, 74)
    ticks = [p for p in range(lo, hi + 1) if p % 12 in (0, 4, 7)]
    _layout(fig, title, "time (beats, quarter notes)", "pitch")
    fig.update_layout(barmode="overlay", height=320)
    fig.update_yaxes(range=[lo - 0.5, hi + 0.5], tickvals=ticks, ticktext=[note_name(p) for p in ticks])
    if not pitches:
        return fig, "No notes to show yet."
    composed = len(events) - primer
    seconds = f" ({clock * 60 / bpm:.0f} s at {bpm:g} beats per minute)" if bpm else ""
    summary = (
        f"{len(events)} notes and rests over {clock:g} beats{seconds}, from {note_name(min(pitches))} to"
        f" {note_name(max(pitches))}"
    )
    if primer:
        summary += (
            f": the first {primer} (black) are the primer, the {composed} after it (blue) were composed"
        )
    return fig, summary + "."
