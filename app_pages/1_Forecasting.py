"""Forecasting: predict the next values of a time series, beside naive and linear baselines."""

from __future__ import annotations

import streamlit as st

from core import forecasting as fc
from core.charts import series_chart
from core.config import ForecastConfig
from core.datasets import DataError
from ui.forecast_views import P, data_controls, preview, series_key, series_of, show_result, window_controls
from ui.lessons import lesson_box
from ui.panel import live_panel, submit
from ui.state import shared_settings
from ui.widgets import architecture_controls, training_controls

st.set_page_config(page_title="Forecasting · RNN Studio", page_icon="📈", layout="wide")
st.title("📈 Forecasting")
st.caption("The RNN reads a window of past values and predicts the next ones. Baselines show if it helps.")
lesson = lesson_box(P)  # a guided lesson (?lesson=ID) sets the controls below

try:
    with shared_settings(P):
        with st.container(border=True):
            data = data_controls()
            windows = window_controls()
        with st.form(f"{P}__form"):
            c1, c2 = st.columns(2)
            with c1:
                arch = architecture_controls(P, ForecastConfig().arch)
            with c2:
                train = training_controls(P, ForecastConfig().train)
            clicked = st.form_submit_button("Train", type="primary", help="Start training in the background.")
    config = ForecastConfig(**data, **windows, arch=arch, train=train)
    prep = fc.prepare(config, series_of(series_key(config)))
except (DataError, ValueError) as exc:
    st.error(f"{exc}")
    st.stop()

for note in prep.series.notes:
    st.warning(note)
st.markdown(preview(prep))
if clicked:
    submit(P, "forecast", config)
# The live panel sits right under Train, where the person who pressed it is looking.
live_panel(P, show_result, y_title="mean squared error (scaled values)")
fig, summary = series_chart(
    prep.series.dates or list(range(len(prep.series.values))),
    prep.series.values[:, 0].tolist(),
    prep.bounds,
    prep.series.columns[0],
    prep.series.units,
)
st.plotly_chart(fig, width="stretch", key=f"{P}__series")
st.caption(summary)
lesson.finish()  # the step's check, over what this run of the page computed
