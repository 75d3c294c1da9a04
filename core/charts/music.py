"""Music: a melody as a piano roll."""

from __future__ import annotations

import plotly.graph_objects as go

from core.charts.common import PALETTE, layout
from core.midi import note_name


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
    layout(fig, title, "time (beats, quarter notes)", "pitch")
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
