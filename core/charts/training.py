"""Training progress: loss per batch and epoch, accuracy per epoch (every training page)."""

from __future__ import annotations

import math

import plotly.graph_objects as go

from core.charts.common import PALETTE, layout


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
    layout(fig, "Training progress: loss (lower is better)", "epoch", y_title)
    y_range = _loss_range(epochs, batches)
    if y_range and y_range[0] > 0 and y_range[1] / y_range[0] > 5:
        # Epoch 1's loss is often ten times the rest: on a log axis the later epochs still show.
        fig.update_yaxes(type="log", range=[math.log10(y_range[0]), math.log10(y_range[1])])
        fig.update_yaxes(title_text=f"{y_title} (log scale)")
    elif y_range:
        fig.update_yaxes(range=y_range)
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


def _loss_range(epochs: list[dict], batches: list[dict]) -> list[float] | None:
    """The y-axis from the first finished epoch on: the first batches' loss is many times the
    rest, and autoscaling to it drew 19 of 20 epochs as a flat line near zero."""
    vals = [e.get(k) for e in epochs for k in ("loss", "val_loss")]
    vals += [b["loss"] for b in batches if b["epoch"] - 1 + b["batch"] / max(1, b["batches"]) >= 1]
    vals = [v for v in vals if isinstance(v, int | float) and math.isfinite(v)]
    if not epochs or not vals:
        return None
    lo, hi = min(vals), max(vals)
    if lo > 0 and hi / lo > 5:  # drawn on a log axis: pad by a ratio
        return [lo / 1.15, hi * 1.15]
    pad = (hi - lo) * 0.08 or abs(hi) * 0.1 or 0.1
    return [max(0.0, lo - pad) if lo >= 0 else lo - pad, hi + pad]


def accuracy_chart(epochs: list[dict]) -> tuple[go.Figure, str]:
    """Training and validation accuracy per epoch (the classifier pages' second live chart)."""
    fig = go.Figure()
    x = [e["epoch"] for e in epochs]
    for key, name, colour, dash in (
        ("accuracy", "training accuracy", PALETTE["blue"], "solid"),
        ("val_accuracy", "validation accuracy", PALETTE["vermillion"], "dash"),
    ):
        if any(key in e for e in epochs):
            y = [100 * e[key] if key in e else None for e in epochs]
            fig.add_scatter(x=x, y=y, mode="lines+markers", name=name, line={"color": colour, "dash": dash})
    layout(fig, "Training progress: accuracy (higher is better)", "epoch", "share classified right (%)")
    fig.update_yaxes(range=[0, 100])
    if not epochs or "accuracy" not in epochs[-1]:
        return fig, "No accuracy yet: the first point appears when the first epoch ends."
    last = epochs[-1]
    n = last["epoch"]
    summary = f"After {n} epoch{'s' if n != 1 else ''} the training accuracy is {last['accuracy']:.1%}"
    if "val_accuracy" in last:
        best = max(epochs, key=lambda e: e.get("val_accuracy", -1))
        summary += (
            f" and the validation accuracy {last['val_accuracy']:.1%}"
            f" (best {best['val_accuracy']:.1%} at epoch {best['epoch']})"
        )
    return fig, summary + "."
