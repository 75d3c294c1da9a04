"""Plotly figure builders for the pages: one function per chart.

Each returns (figure, summary): the figure has a title and axis labels with
units, uses the Okabe-Ito colour-blind-safe palette, and the summary is one
plain sentence the page prints under the chart for screen readers.
"""

from __future__ import annotations

import math

import numpy as np
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
    "baseline": PALETTE["orange"],
}
MODEL_NAMES = {
    "actual": "actual",
    "rnn": "RNN",
    "persistence": "persistence (repeat last value)",
    "seasonal_naive": "seasonal naive (same time last season)",
    "linear": "linear autoregression (Ridge)",
    "baseline": "TF-IDF + logistic regression",
}


def _layout(fig: go.Figure, title: str, x_title: str, y_title: str) -> go.Figure:
    # No template: the page's Streamlit theme styles every chart, and validating a Plotly
    # template costs about 20 ms per figure on every rerun and every live poll.
    fig.update_layout(
        title=title,
        xaxis_title=x_title,
        yaxis_title=y_title,
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
    _layout(fig, f"Forecast past the last date: {target}", "date", f"{target}{unit}")
    u = f" {units}" if units else ""
    if len(fut_y) == 1:
        summary = (
            f"The RNN forecasts one step past {hist_x[-1]}: {fut_y[0]:.4g}{u}; 90% of its validation"
            f" errors would put the true value between {low[0]:.4g} and {high[0]:.4g}{u}."
        )
    else:
        summary = (
            f"The RNN forecasts {len(fut_y)} steps past {hist_x[-1]}: {fut_y[0]:.4g}{u} on the first,"
            f" {fut_y[-1]:.4g}{u} on the last; the band holds 90% of its validation errors."
        )
    return fig, summary


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
    _layout(fig, heading, "epoch", "loss (each task's own units)")
    if not ends:
        return fig, "The selected runs have no recorded epochs."
    best = min(ends, key=ends.get)
    runs = f"{len(curves)} runs compared" if len(curves) != 1 else "1 run"
    return fig, f"{runs}; the lowest loss reached is {ends[best]:.4f}, by {best}."


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
    _layout(fig, "Training progress: accuracy (higher is better)", "epoch", "share classified right (%)")
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


def confusion_chart(matrices: dict, label_names: list[str]) -> tuple[go.Figure, str]:
    """One confusion matrix per model, side by side: rows the true label, columns the prediction."""
    from plotly.subplots import make_subplots

    names = list(matrices)
    fig = make_subplots(rows=1, cols=len(names), subplot_titles=[MODEL_NAMES.get(n, n) for n in names])
    labels = [f"{label_names[0]} (0)", f"{label_names[1]} (1)"]
    for i, name in enumerate(names, start=1):
        m = matrices[name]
        fig.add_heatmap(
            z=m, x=labels, y=labels, text=m, texttemplate="%{text}", showscale=False,
            colorscale=[[0, "#FFFFFF"], [1, PALETTE["sky"]]], row=1, col=i,
            hovertemplate="true %{y}, predicted %{x}: %{z} reviews<extra></extra>",
        )  # fmt: skip
        fig.update_xaxes(title_text="predicted label", row=1, col=i)
        fig.update_yaxes(title_text="true label" if i == 1 else "", autorange="reversed", row=1, col=i)
    _layout(fig, "Test split: confusion matrices (counts of reviews)", "predicted label", "true label")
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
        x=list(range(len(words))), y=[100 * p for p in running], mode="lines+markers",
        name="score after this word", line={"color": PALETTE["blue"]},
        customdata=words, hovertemplate="after '%{customdata}': %{y:.1f}% positive<extra></extra>",
    )  # fmt: skip
    _layout(fig, "Running score: how positive the review looks after each word", "word", "positive (%)")
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
        x=list(range(len(words))), y=[100 * v for v in influence], marker_color=colours, customdata=names,
        name="influence", hovertemplate="'%{customdata}' moves the score by %{y:+.1f} points<extra></extra>",
    )  # fmt: skip
    _layout(fig, "Each word's influence: the score with it minus the score without it", "word", "points (%)")
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
        x=list(range(len(words))), y=[100 * w for w in weights], marker_color=PALETTE["orange"],
        customdata=words, name="attention", hovertemplate="'%{customdata}': %{y:.1f}%<extra></extra>",
    )  # fmt: skip
    _layout(fig, "Attention: how much the model focused on each word", "word", "share of attention (%)")
    _word_axis(fig, words)
    top = sorted(range(len(words)), key=weights.__getitem__, reverse=True)[:3]
    listed = ", ".join(f"'{words[i]}' ({weights[i]:.0%})" for i in top)
    return fig, f"The attention weights add up to 100%; the most weight goes to {listed}."


# --- text generation -------------------------------------------------------
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


# --- Inside the RNN ------------------------------------------------------------
# Diverging blue-white-orange (two Okabe-Ito hues: safe for every common colour-vision
# deficiency) for values around 0; cividis (designed for colour-blind readers) for 0..1 gates.
DIVERGING = [[0.0, PALETTE["blue"]], [0.5, "#FFFFFF"], [1.0, PALETTE["orange"]]]
SEQUENTIAL = "Cividis"
CELL_COLOURS = {"simple": PALETTE["vermillion"], "lstm": PALETTE["blue"], "gru": PALETTE["green"]}
CELL_LABELS = {"simple": "SimpleRNN", "lstm": "LSTM", "gru": "GRU"}


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
            z=[p.values], x=x, y=[""],
            zmin=-top, zmax=top, colorscale=DIVERGING, showscale=i == 1, text=[[f"{v:.2f}" for v in p.values]],
            texttemplate="%{text}", hovertemplate="%{x}: %{z:.4f}<extra>" + p.label + "</extra>",
            colorbar={"title": "value", "len": 0.3, "y": 1, "yanchor": "top"}, row=i, col=1,
        )  # fmt: skip
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
            z=z, x=list(range(len(labels))), y=names, zmin=0 if gate else -1, zmax=1,
            colorscale=SEQUENTIAL if gate else DIVERGING,
            colorbar={"title": "share open (0-1)" if gate else "activation (-1 to 1)"},
            customdata=[ticks] * len(order),
            hovertemplate="step %{x} (%{customdata}), %{y}: %{z:.3f}<extra></extra>",
        )
    )  # fmt: skip
    step = _tick_step(labels)
    fig.update_xaxes(tickvals=list(range(0, len(labels), step)), ticktext=ticks[::step], tickangle=0)
    fig.update_yaxes(autorange="reversed")
    _layout(
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
    fig.add_scatter(x=x, y=list(activation), mode="lines+markers", name=f"unit {unit + 1}", line={"color": PALETTE["blue"]})  # fmt: skip
    step = _tick_step(labels)
    fig.update_xaxes(tickvals=x[::step], ticktext=[show_token(t) for t in labels][::step], tickangle=0)
    _layout(fig, f"Unit {unit + 1} beside '{feature_name}'", "input step", "activation / feature value")
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
            x=list(range(1, len(norms) + 1)), y=norms, mode="lines",
            name=f"{CELL_LABELS.get(cell, cell)} {when}".strip(),
            line={"color": CELL_COLOURS.get(cell), "dash": "dot" if when == "before" else "solid"},
        )  # fmt: skip
        if norms and norms[0] > 0:
            ratios[label] = norms[-1] / norms[0]
    _layout(fig, title, "distance: steps between the input and the answer", "gradient norm (log scale)")
    if len(curves) > 3:  # two legend rows: keep them clear of the title
        fig.update_layout(margin={"t": 110}, height=420)
    fig.update_yaxes(type="log", exponentformat="power")
    if not ratios:
        return fig, "No gradients measured yet."
    n = len(next(iter(curves.values())))
    parts = [f"{CELL_LABELS.get(k.split(' ')[0], k)}{' ' + k.partition(' ')[2] if ' ' in k else ''}: {_times(v)}"
             for k, v in ratios.items()]  # fmt: skip
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
        fig.add_scatter(x=list(range(1, len(rows) + 1)), y=[r["update_norm"] for r in rows], mode="lines+markers",
                        name=f"{name} (clip norm {demo['clip']})" if name == "clipped" else "without clipping",
                        line={"color": colour})  # fmt: skip
    cap = demo["learning_rate"] * demo["clip"]
    fig.add_hline(
        y=cap, line_dash="dot", line_color=PALETTE["black"], annotation_text="learning rate × clip norm"
    )
    _layout(
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
        fig.add_scatter(x=[e["epoch"] for e in epochs], y=ys, mode="lines+markers", name=CELL_LABELS.get(cell, cell),
                        line={"color": CELL_COLOURS.get(cell)})  # fmt: skip
        finite = [y for y in ys if isinstance(y, int | float) and math.isfinite(y)]
        if finite:
            best[cell] = min(finite)
    _layout(fig, "Validation loss per epoch, same data, seed and size (lower is better)", "epoch", y_title)
    fig.update_xaxes(dtick=1)
    if not best:
        return fig, "No epochs finished yet."
    winner = min(best, key=best.get)
    listing = ", ".join(f"{CELL_LABELS.get(c, c)} {v:.4g}" for c, v in best.items())
    return fig, f"Lowest validation loss reached: {listing}; {CELL_LABELS.get(winner, winner)} is lowest."
