"""What every chart shares: the colour-blind-safe palette, the models' colours and names, the layout."""

from __future__ import annotations

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


def layout(fig: go.Figure, title: str, x_title: str, y_title: str) -> go.Figure:
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
