"""The Runs page: several runs' loss curves on one chart."""

from __future__ import annotations

import math

import plotly.graph_objects as go

from core.charts.common import PALETTE, layout


def runs_loss_chart(curves: dict[str, list[dict]], title: str = "") -> tuple[go.Figure, str]:
    """Validation loss per epoch (training loss where there is none) for several runs.

    `title`: what the runs share (the Runs page compares runs of one task and data only)."""
    fig = go.Figure()
    colours = list(PALETTE.values())[1:]
    ends = {}
    for i, (label, epochs) in enumerate(curves.items()):
        key = "val_loss" if any("val_loss" in e for e in epochs) else "loss"
        ys = [e.get(key) for e in epochs]
        fig.add_scatter(
            x=[e["epoch"] for e in epochs],
            y=ys,
            mode="lines+markers",
            name=f"{label} ({key.replace('_', ' ')})",
            line={"color": colours[i % len(colours)], "dash": "solid" if key == "val_loss" else "dot"},
        )
        finite = [y for y in ys if isinstance(y, int | float) and math.isfinite(y)]
        if finite:
            ends[label] = min(finite)
    heading = f"Loss per epoch: {title} (lower is better)" if title else "Loss per epoch (lower is better)"
    layout(fig, heading, "epoch", "loss (each task's own units)")
    if not ends:
        return fig, "The selected runs have no recorded epochs."
    best = min(ends, key=ends.get)
    runs = f"{len(curves)} runs compared" if len(curves) != 1 else "1 run"
    return fig, f"{runs}; the lowest loss reached is {ends[best]:.4f}, by {best}."
