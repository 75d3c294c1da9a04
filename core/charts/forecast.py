"""Forecasting: the series by split, forecasts against the test split, the forecast past the end."""

from __future__ import annotations

import plotly.graph_objects as go

from core.charts.common import MODEL_COLOURS, MODEL_NAMES, PALETTE, layout
from core.numbers import fmt_value


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
    layout(fig, f"The series: {target}", "date" if isinstance(dates[0], str) else "step", f"{target}{unit}")
    summary = (
        f"{n} values of {target}{unit}, from {fmt_value(min(values))} to {fmt_value(max(values))}: the first"
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
    layout(fig, f"Test split: actual {target} vs forecasts made {ahead}", "target date", f"{target}{unit}")
    errs = {
        name: sum(abs(p[step - 1] - a[step - 1]) for p, a in zip(rows, actual, strict=True)) / len(actual)
        for name, rows in predictions.items()
    }
    best = min(errs, key=errs.get)
    summary = (
        f"On the {len(actual)} test dates, forecasting {ahead}, the smallest mean absolute error is"
        f" {MODEL_NAMES.get(best, best)}'s ({fmt_value(errs[best], units)})."
    )
    return fig, summary


def future_chart(hist_x, hist_y, fut_x, fut_y, low, high, target: str, units: str) -> tuple[go.Figure, str]:
    """The last observed values, then the RNN's forecast with its 90% band."""
    fig = go.Figure()
    fig.add_scatter(x=hist_x, y=hist_y, mode="lines", name="observed", line={"color": "#000000"})
    band = "90% band (from validation errors)"
    if len(fut_x) == 1:  # a band of one point draws nothing: an error bar does
        up, down = [float(high[0]) - float(fut_y[0])], [float(fut_y[0]) - float(low[0])]
        error = {"type": "data", "array": up, "arrayminus": down, "color": PALETTE["blue"], "width": 8}
        fig.add_scatter(
            x=fut_x,
            y=fut_y,
            mode="markers",
            name=f"RNN forecast with its {band}",
            marker={"color": PALETTE["blue"], "size": 9},
            error_y=error,
        )
    else:
        fig.add_scatter(x=fut_x, y=high, mode="lines", line={"width": 0}, showlegend=False, hoverinfo="skip")
        fig.add_scatter(
            x=fut_x,
            y=low,
            mode="lines",
            fill="tonexty",
            fillcolor="rgba(0,114,178,0.2)",
            line={"width": 0},
            name=band,
        )
        fig.add_scatter(
            x=fut_x, y=fut_y, mode="lines+markers", name="RNN forecast", line={"color": PALETTE["blue"]}
        )
    unit = f" ({units})" if units else ""
    layout(fig, f"Forecast past the last date: {target}", "date", f"{target}{unit}")
    u = f" {units}" if units else ""
    if len(fut_y) == 1:
        summary = (
            f"The RNN forecasts one step past {hist_x[-1]}: {fmt_value(fut_y[0], digits=4, trim=True)}{u}; 90% of its validation"
            f" errors would put the true value between {fmt_value(low[0], digits=4, trim=True)} and {fmt_value(high[0], digits=4, trim=True)}{u}."
        )
    else:
        summary = (
            f"The RNN forecasts {len(fut_y)} steps past {hist_x[-1]}: {fmt_value(fut_y[0], digits=4, trim=True)}{u} on the first,"
            f" {fmt_value(fut_y[-1], digits=4, trim=True)}{u} on the last; the band holds 90% of its validation errors."
        )
    return fig, summary
