"""Plotly figure builders for the pages: one function per chart.

Each returns (figure, summary): the figure has a title and axis labels with
units, uses the Okabe-Ito colour-blind-safe palette, and the summary is one
plain sentence the page prints under the chart for screen readers.

One module per part of the studio (`training`, `forecast`, `text`, `music`,
`sentiment`, `inside`, `runs`), what they share in `common`; every chart is
imported from here, `from core.charts import loss_chart`.
"""

from core.charts.common import MODEL_COLOURS, MODEL_NAMES, PALETTE, layout
from core.charts.forecast import forecast_chart, future_chart, series_chart
from core.charts.inside import (
    CELL_COLOURS,
    DIVERGING,
    SEQUENTIAL,
    cell_loss_chart,
    clipping_chart,
    gradient_norm_chart,
    show_token,
    state_heatmap,
    step_chart,
    unit_trace_chart,
)
from core.charts.inside import _times as _times  # the ratio in words: tests read it here
from core.charts.music import piano_roll
from core.charts.runs import runs_loss_chart
from core.charts.sentiment import attention_chart, confusion_chart, word_influence_chart, word_score_chart
from core.charts.text import LENS_BINS, alternatives_chart, probability_lens_html, text_baseline_chart
from core.charts.training import accuracy_chart, loss_chart

__all__ = [
    "CELL_COLOURS",
    "DIVERGING",
    "LENS_BINS",
    "MODEL_COLOURS",
    "MODEL_NAMES",
    "PALETTE",
    "SEQUENTIAL",
    "accuracy_chart",
    "alternatives_chart",
    "attention_chart",
    "cell_loss_chart",
    "clipping_chart",
    "confusion_chart",
    "forecast_chart",
    "future_chart",
    "gradient_norm_chart",
    "layout",
    "loss_chart",
    "piano_roll",
    "probability_lens_html",
    "runs_loss_chart",
    "series_chart",
    "show_token",
    "state_heatmap",
    "step_chart",
    "text_baseline_chart",
    "unit_trace_chart",
    "word_influence_chart",
    "word_score_chart",
]
