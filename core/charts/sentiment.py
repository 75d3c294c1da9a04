"""Sentiment: confusion matrices, and one review read word by word (score, influence, attention)."""

from __future__ import annotations

import plotly.graph_objects as go

from core.charts.common import MODEL_NAMES, PALETTE, layout


def confusion_chart(matrices: dict, label_names: list[str]) -> tuple[go.Figure, str]:
    """One confusion matrix per model, side by side: rows the true label, columns the prediction."""
    from plotly.subplots import make_subplots

    names = list(matrices)
    fig = make_subplots(rows=1, cols=len(names), subplot_titles=[MODEL_NAMES.get(n, n) for n in names])
    labels = [f"{label_names[0]} (0)", f"{label_names[1]} (1)"]
    for i, name in enumerate(names, start=1):
        m = matrices[name]
        fig.add_heatmap(
            z=m,
            x=labels,
            y=labels,
            text=m,
            texttemplate="%{text}",
            showscale=False,
            colorscale=[[0, "#FFFFFF"], [1, PALETTE["sky"]]],
            row=1,
            col=i,
            hovertemplate="true %{y}, predicted %{x}: %{z} reviews<extra></extra>",
        )
        fig.update_xaxes(title_text="predicted label", row=1, col=i)
        fig.update_yaxes(title_text="true label" if i == 1 else "", autorange="reversed", row=1, col=i)
    layout(fig, "Test split: confusion matrices (counts of reviews)", "predicted label", "true label")
    parts = []
    for name in names:
        (tn, fp), (fn, tp) = matrices[name]
        total = tn + fp + fn + tp
        parts.append(
            f"{MODEL_NAMES.get(name, name)} got {tn + tp} of {total} right"
            f" ({fp} {label_names[0]} reviews called {label_names[1]}, {fn} the other way)"
        )
    return fig, "; ".join(parts) + "."


def _word_axis(fig: go.Figure, words: list[str]) -> None:
    # Words repeat ("the ... the"), so positions carry them as tick labels.
    fig.update_xaxes(tickmode="array", tickvals=list(range(len(words))), ticktext=words, tickangle=-45)


def word_score_chart(words: list[str], running: list[float]) -> tuple[go.Figure, str]:
    """The probability of "positive" after each word: the model's opinion as it reads."""
    fig = go.Figure()
    fig.add_hline(y=50, line={"color": PALETTE["black"], "dash": "dot", "width": 1})
    fig.add_scatter(
        x=list(range(len(words))),
        y=[100 * p for p in running],
        mode="lines+markers",
        name="score after this word",
        line={"color": PALETTE["blue"]},
        customdata=words,
        hovertemplate="after '%{customdata}': %{y:.1f}% positive<extra></extra>",
    )
    layout(fig, "Running score: how positive the review looks after each word", "word", "positive (%)")
    _word_axis(fig, words)
    fig.update_yaxes(range=[0, 100])
    swings = [abs(b - a) for a, b in zip([0.5, *running[:-1]], running, strict=True)]
    k = max(range(len(swings)), key=swings.__getitem__)
    summary = (
        f"Reading {len(words)} words, the score goes from {running[0]:.0%} after the first word to"
        f" {running[-1]:.0%} at the end; the biggest move comes at '{words[k]}'."
    )
    return fig, summary


def word_influence_chart(
    words: list[str], influence: list[float], known: list[bool]
) -> tuple[go.Figure, str]:
    """Occlusion: how much each word moved the final score (score with it minus score without it)."""
    colours = [PALETTE["blue"] if v >= 0 else PALETTE["vermillion"] for v in influence]
    names = [w if k else f"{w} (unknown)" for w, k in zip(words, known, strict=True)]
    fig = go.Figure()
    fig.add_bar(
        x=list(range(len(words))),
        y=[100 * v for v in influence],
        marker_color=colours,
        customdata=names,
        name="influence",
        hovertemplate="'%{customdata}' moves the score by %{y:+.1f} points<extra></extra>",
    )
    layout(fig, "Each word's influence: the score with it minus the score without it", "word", "points (%)")
    _word_axis(fig, names)
    up = max(range(len(words)), key=influence.__getitem__)
    down = min(range(len(words)), key=influence.__getitem__)
    summary = (
        f"The word pushing most towards positive is '{words[up]}' ({100 * influence[up]:+.1f} points);"
        f" towards negative, '{words[down]}' ({100 * influence[down]:+.1f} points)."
    )
    return fig, summary


def attention_chart(words: list[str], weights: list[float]) -> tuple[go.Figure, str]:
    """Where the attention layer looked: its weight on each word (they add up to 100%)."""
    fig = go.Figure()
    fig.add_bar(
        x=list(range(len(words))),
        y=[100 * w for w in weights],
        marker_color=PALETTE["orange"],
        customdata=words,
        name="attention",
        hovertemplate="'%{customdata}': %{y:.1f}%<extra></extra>",
    )
    layout(fig, "Attention: how much the model focused on each word", "word", "share of attention (%)")
    _word_axis(fig, words)
    top = sorted(range(len(words)), key=weights.__getitem__, reverse=True)[:3]
    listed = ", ".join(f"'{words[i]}' ({weights[i]:.0%})" for i in top)
    return fig, f"The attention weights add up to 100%; the most weight goes to {listed}."
