"""Forecasting: predict the next values of a time series, beside naive and linear baselines."""

from __future__ import annotations

import json

import pandas as pd
import streamlit as st

from core import forecasting as fc
from core import upload_names
from core.charts import forecast_chart, future_chart, series_chart
from core.config import ForecastConfig, from_dict
from core.datasets import DataError, read_csv_bytes, save_upload, stock_tickers
from core.words import metric_columns
from ui.data_notice import warn_small
from ui.panel import live_panel, submit
from ui.state import shared_settings
from ui.widgets import architecture_controls, training_controls

P = "fc"
st.set_page_config(page_title="Forecasting · RNN Studio", page_icon="📈", layout="wide")
st.title("📈 Forecasting")
st.caption("The RNN reads a window of past values and predicts the next ones. Baselines show if it helps.")


@st.cache_data(show_spinner="Reading the data...", max_entries=20)
def series_of(data_json: str):
    """The cleaned series for the data controls' settings. Kept apart from the windows, so that
    moving the look-back or horizon slider only re-cuts windows (about 1 ms) instead of
    reading the data again (about 45 ms of the server's time per move)."""
    return fc.load_series(from_dict(ForecastConfig, json.loads(data_json)))


def data_controls() -> dict:
    sources = {
        "seattle": "Seattle weather",
        "synthetic": "Synthetic",
        "stocks": "Stock prices",
        "csv": "Your CSV",
    }
    source = st.radio(
        "Data", list(sources), format_func=sources.get, horizontal=True, key=f"{P}_source",
        help="Seattle: real daily weather 2012-2015. Synthetic: a yearly sine plus noise you control."
        " Stocks: daily prices 2000-2013. Your CSV: a file with a column of numbers.",
    )  # fmt: skip
    out: dict = {"data": source}
    if source == "synthetic":
        c1, c2, c3 = st.columns(3)
        out["synthetic_length"] = c1.slider(
            "Days", 200, 4000, 1461, 100, key=f"{P}_len", help="Length of the series."
        )
        out["synthetic_amplitude"] = c2.slider("Amplitude (deg C)", 0.0, 20.0, 10.0, key=f"{P}_amp",
                                               help="How far summer and winter are from the mean of 15 deg C.")  # fmt: skip
        out["synthetic_noise"] = c3.slider("Noise (deg C)", 0.0, 8.0, 2.0, key=f"{P}_noise",
                                           help="Day-to-day randomness no model can predict.")  # fmt: skip
    elif source == "seattle":
        out["column"] = st.selectbox("Column", ["temp_max", "temp_min", "precipitation", "wind"], key=f"{P}_col",
                                     help="temp_max/temp_min in deg C, precipitation in mm, wind in m/s.")  # fmt: skip
    elif source == "stocks":
        c1, c2 = st.columns(2)
        out["data"] = "stocks:" + c1.selectbox(
            "Stock", stock_tickers(), key=f"{P}_tick", help="Which company."
        )
        out["column"] = c2.selectbox("Price", ["close", "adj_close", "open", "high", "low"], key=f"{P}_pcol",
                                     help="adj_close corrects for splits and dividends.")  # fmt: skip
        st.info("Stock prices move almost like a random walk: 'tomorrow = today' is very hard to beat.")
    else:
        up = st.file_uploader("CSV file", type=["csv"], key=f"{P}_upload",
                              help="A header row, then one row per time step. Up to 50 MB.")  # fmt: skip
        if up is None:
            st.info("Upload a CSV file to continue: a header row, then one row per time step.")
            st.stop()
        raw = up.getvalue()
        df = read_csv_bytes(raw)
        cols = [str(c) for c in df.columns]
        numeric = fc.numeric_columns(df.rename(columns=str))
        c1, c2 = st.columns(2)
        guess = next((c for c in cols if c.lower() in ("date", "time", "day", "datetime")), "")
        out["date_column"] = c1.selectbox("Date column", ["", *cols], index=(["", *cols]).index(guess),
                                          format_func=lambda c: c or "(none)", key=f"{P}_date",
                                          help="Used to sort rows and label charts; optional.")  # fmt: skip
        out["column"] = c2.selectbox("Column to forecast", numeric or cols, key=f"{P}_target",
                                     help="Must hold numbers.")  # fmt: skip
        out["features"] = tuple(st.multiselect("Extra input columns", [c for c in numeric if c != out["column"]],
                                               key=f"{P}_feat", help="Other numbers the RNN may read."))  # fmt: skip
        out["missing"] = st.radio("Missing values", ["interpolate", "drop"], horizontal=True, key=f"{P}_miss",
                                  help="Fill gaps from their neighbours, or drop those rows.")  # fmt: skip
        out["data"] = str(save_upload(raw, "csv"))
        upload_names.remember(out["data"], up.name)  # the Runs page lists it by this name
    return out


def window_controls() -> dict:
    c1, c2, c3, c4 = st.columns(4)
    return {
        "lookback": c1.slider("Look-back window", 2, 120, 30, key=f"{P}_lookback",
                              help="How many past steps the RNN reads to make one forecast."),
        "horizon": c2.slider("Horizon", 1, 30, 1, key=f"{P}_horizon",
                             help="How many steps ahead it predicts, all at once."),
        "scaler": c3.radio("Scaling", ["minmax", "standard"], key=f"{P}_scaler",
                           help="Min-max maps the training values to 0..1; standard to mean 0, spread 1."
                           " Either is fitted on the training split only."),
        "season": c4.number_input("Season length (0 = detect)", 0, 1000, 0, key=f"{P}_season",
                                  help="Steps in one cycle (365 for yearly daily data) for the seasonal baseline."),
    }  # fmt: skip


def show_result(snap: dict) -> None:
    final, disp = snap["result"]["final"], snap["result"]["display"]
    st.subheader("Results on the test split (the last part of the series, never trained on)")
    st.markdown(f"**{fc.verdict(final['test'])}**")
    warn_small(len(disp["test_dates"]), "forecasts")
    table = pd.DataFrame(final["test"]).T.rename(index=lambda k: fc_names.get(k, k))
    table = table.rename(columns=metric_columns(disp["units"]))
    st.dataframe(table.style.format("{:.3f}"), width="stretch")
    st.caption(
        "MAE and RMSE in the series' units; MASE below 1 beats a one-step naive forecast on training data."
    )
    step = 1
    if final["horizon"] > 1:
        step = st.slider("Forecast step to show", 1, final["horizon"], 1, key=f"{P}_step",
                         help="Compare forecasts made this many steps before their date.")  # fmt: skip
    fig, summary = forecast_chart(
        disp["test_dates"], disp["actual"], disp["predictions"], step, disp["target"], disp["units"]
    )
    st.plotly_chart(fig, width="stretch", key=f"{P}__test_chart")
    st.caption(summary)
    fig, summary = future_chart(disp["history_dates"], disp["history"], disp["future_dates"], disp["future"],
                                disp["future_low"], disp["future_high"], disp["target"], disp["units"])  # fmt: skip
    st.plotly_chart(fig, width="stretch", key=f"{P}__future_chart")
    st.caption(summary)
    csv = pd.DataFrame({"date": disp["future_dates"], "forecast": disp["future"], "low_90": disp["future_low"],
                        "high_90": disp["future_high"]}).to_csv(index=False)  # fmt: skip
    st.download_button("Download the forecast (CSV)", csv, "forecast.csv", "text/csv", key=f"{P}__dl")


fc_names = {
    "rnn": "RNN",
    "persistence": "Persistence",
    "seasonal_naive": "Seasonal naive",
    "linear": "Linear (Ridge)",
}

try:
    with shared_settings(P):
        with st.container(border=True):
            data = data_controls()
            windows = window_controls()
        with st.form(f"{P}__form"):
            c1, c2 = st.columns(2)
            with c1:
                arch = architecture_controls(P)
            with c2:
                train = training_controls(P)
            clicked = st.form_submit_button("Train", type="primary", help="Start training in the background.")
    config = ForecastConfig(**data, **windows, arch=arch, train=train)
    prep = fc.prepare(config, series_of(json.dumps(data, sort_keys=True)))
except (DataError, ValueError) as exc:
    st.error(f"{exc}")
    st.stop()

for note in prep.series.notes:
    st.warning(note)
samples, steps, feats = prep.train_shape
st.markdown(
    f"Training tensor shape **({samples}, {steps}, {feats})**: {samples} examples (windows), each"
    f" {steps} time steps long, with {feats} number{'s' if feats > 1 else ''} per step. "
    f"Seasonal baseline period: {prep.season} steps."
)
fig, summary = series_chart(prep.series.dates or list(range(len(prep.series.values))),
                            prep.series.values[:, 0].tolist(), prep.bounds, prep.series.columns[0], prep.series.units)  # fmt: skip
st.plotly_chart(fig, width="stretch", key=f"{P}__series")
st.caption(summary)

if clicked:
    submit(P, "forecast", config)
live_panel(P, show_result, y_title="mean squared error (scaled values)")
