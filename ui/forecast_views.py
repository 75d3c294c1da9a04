"""Forecasting page pieces: the data and window controls, the preview sentence and the results."""

from __future__ import annotations

import json

import pandas as pd
import streamlit as st

from core import forecasting as fc
from core import upload_names
from core.charts import forecast_chart, future_chart
from core.config import ForecastConfig, from_dict, to_dict
from core.datasets import read_csv_bytes, save_upload, stock_tickers
from core.numbers import fmt_value
from core.words import metric_columns
from ui.data_notice import warn_small

P = "fc"
D = ForecastConfig()  # the page's defaults are the config's (and so the command line's)
SOURCES = {
    "employment": "US jobs",
    "seattle": "Seattle weather",
    "synthetic": "Synthetic",
    "stocks": "Stock prices",
    "csv": "Your CSV",
}
# A lesson preset: the settings it sets, and what it is for.
PRESETS = {
    "default": (
        "Default: an RNN that wins (US jobs, monthly)",
        {"source": D.data, "lookback": D.lookback, "horizon": D.horizon},
    ),
    "persistence": (
        "Lesson: why 'same as yesterday' is hard to beat (stock prices)",
        {"source": "stocks", "tick": "IBM", "pcol": "close", "lookback": 14, "horizon": 1},
    ),
}
MODEL_NAMES = {
    "rnn": "RNN",
    "persistence": "Persistence",
    "seasonal_naive": "Seasonal naive",
    "linear": "Linear (Ridge)",
}


@st.cache_data(show_spinner="Reading the data...", max_entries=20)
def series_of(data_json: str):
    """The cleaned series for the data controls' settings. Kept apart from the windows, so that
    moving the look-back or horizon slider only re-cuts windows (about 1 ms) instead of
    reading the data again (about 45 ms of the server's time per move)."""
    return fc.load_series(from_dict(ForecastConfig, json.loads(data_json)))


SERIES_FIELDS = (
    "data",
    "column",
    "date_column",
    "detect_date",
    "group_column",
    "group_value",
    "features",
    "calendar",
    "missing",
    "synthetic_length",
    "synthetic_amplitude",
    "synthetic_noise",
)


def series_key(config: ForecastConfig) -> str:
    """The settings the series depends on (the synthetic one on the seed too), as the cache key."""
    d = to_dict(config)
    return json.dumps(
        {**{k: d[k] for k in SERIES_FIELDS}, "train": {"seed": config.train.seed}}, sort_keys=True
    )


@st.cache_data(show_spinner=False, max_entries=5)
def _frame_columns(data: str) -> tuple[list[str], list[str]]:
    """(numeric columns, all columns) of a built-in table, for its column picker."""
    df = fc.load_frame(ForecastConfig(data=data))
    return fc.numeric_columns(df.rename(columns=str)), [str(c) for c in df.columns]


def _apply_preset() -> None:
    for name, value in PRESETS[st.session_state[f"{P}_preset"]][1].items():
        st.session_state[f"{P}_{name}"] = value


def data_controls() -> dict:
    st.radio(
        "Start from",
        list(PRESETS),
        format_func=lambda k: PRESETS[k][0],
        horizontal=True,
        key=f"{P}_preset",
        on_change=_apply_preset,
        help="The default shows an RNN that beats every baseline; the lesson shows a series where"
        " repeating the last value is about as good as anything can be.",
    )
    source = st.radio(
        "Data",
        list(SOURCES),
        format_func=SOURCES.get,
        horizontal=True,
        key=f"{P}_source",
        index=list(SOURCES).index(D.data),
        help="US jobs: monthly 2006-2015, a trend and a recession. Seattle: daily weather"
        " 2012-2015. Synthetic: a yearly sine plus noise you control. Stocks: daily prices"
        " 2000-2013. Your CSV: a file with a column of numbers.",
    )
    out: dict = {"data": source}
    if source == "synthetic":
        c1, c2, c3 = st.columns(3)
        out["synthetic_length"] = c1.slider(
            "Days", 200, 4000, D.synthetic_length, 100, key=f"{P}_len", help="Length of the series."
        )
        out["synthetic_amplitude"] = c2.slider(
            "Amplitude (deg C)",
            0.0,
            20.0,
            D.synthetic_amplitude,
            key=f"{P}_amp",
            help="How far summer and winter are from the mean of 15 deg C.",
        )
        out["synthetic_noise"] = c3.slider(
            "Noise (deg C)",
            0.0,
            8.0,
            D.synthetic_noise,
            key=f"{P}_noise",
            help="Day-to-day randomness no model can predict.",
        )
    elif source in ("seattle", "employment"):
        numeric, _ = _frame_columns(source)
        c1, c2 = st.columns(2)
        default = fc.DEFAULT_COLUMN[source]
        out["column"] = c1.selectbox(
            "Column",
            numeric,
            index=numeric.index(default),
            key=f"{P}_col_{source}",
            help="The series to forecast: deg C, mm or m/s for Seattle; thousands of jobs for US jobs.",
        )
        suggested = list(fc.input_features(ForecastConfig(data=source, column=out["column"]), out["column"]))
        out["features"] = tuple(
            c2.multiselect(
                "Extra input columns",
                [c for c in numeric if c != out["column"]],
                default=suggested,
                key=f"{P}_feat_{source}_{out['column']}",
                help="Other columns the RNN and the linear model read beside the one they forecast.",
            )
        )
    elif source == "stocks":
        c1, c2 = st.columns(2)
        out["data"] = "stocks:" + c1.selectbox(
            "Stock", stock_tickers(), key=f"{P}_tick", help="Which company."
        )
        out["column"] = c2.selectbox(
            "Price",
            ["close", "adj_close", "open", "high", "low"],
            key=f"{P}_pcol",
            help="adj_close corrects for splits and dividends.",
        )
        st.info("Stock prices move almost like a random walk: 'tomorrow = today' is very hard to beat.")
    else:
        out.update(_csv_controls())
    return out


def _csv_controls() -> dict:
    up = st.file_uploader(
        "CSV file",
        type=["csv"],
        key=f"{P}_upload",
        help="A header row, then one row per time step. Up to 50 MB.",
    )
    if up is None:
        st.info("Upload a CSV file to continue: a header row, then one row per time step.")
        st.stop()
    raw = up.getvalue()
    df = read_csv_bytes(raw).rename(columns=str)
    cols = list(df.columns)
    found, _ = fc.find_date_column(df)
    c1, c2 = st.columns(2)
    out: dict = {"data": str(save_upload(raw, "csv"))}
    upload_names.remember(out["data"], up.name)  # the Runs page lists it by this name
    out["date_column"] = c1.selectbox(
        "Date column",
        ["", *cols],
        index=(["", *cols]).index(found),
        format_func=lambda c: c or "(none: rows in file order)",
        key=f"{P}_date",
        help="Found from the values where a column holds dates; rows are"
        " sorted by it and the charts labelled with it.",
    )
    out["detect_date"] = bool(out["date_column"])
    numeric = [c for c in fc.numeric_columns(df, exclude=out["date_column"])]
    out["column"] = c2.selectbox(
        "Column to forecast", numeric or cols, key=f"{P}_target", help="Must hold numbers."
    )
    out["features"] = tuple(
        st.multiselect(
            "Extra input columns",
            [c for c in numeric if c != out["column"]],
            key=f"{P}_feat",
            help="Other numbers the RNN may read.",
        )
    )
    if out["date_column"] and df[out["date_column"]].duplicated().any():
        groups = [c for c in cols if c not in (out["date_column"], *numeric) and df[c].nunique() <= 100]
        if groups:
            g1, g2 = st.columns(2)
            out["group_column"] = g1.selectbox(
                "Series column",
                groups,
                key=f"{P}_gcol",
                help="Dates repeat: this column says which series a row is.",
            )
            out["group_value"] = g2.selectbox(
                "Series",
                sorted(df[out["group_column"]].astype(str).unique()),
                key=f"{P}_gval",
                help="The one series to forecast.",
            )
    out["missing"] = st.radio(
        "Missing values",
        ["interpolate", "drop"],
        horizontal=True,
        key=f"{P}_miss",
        help="Fill gaps from their neighbours, or drop those rows.",
    )
    return out


def window_controls() -> dict:
    c1, c2, c3, c4 = st.columns(4)
    out = {
        "lookback": c1.slider(
            "Look-back window",
            2,
            120,
            D.lookback,
            key=f"{P}_lookback",
            help="How many past steps the RNN reads to make one forecast.",
        ),
        "horizon": c2.slider(
            "Horizon",
            1,
            30,
            D.horizon,
            key=f"{P}_horizon",
            help="How many steps ahead it predicts, all at once.",
        ),
        "scaler": c3.radio(
            "Scaling",
            ["minmax", "standard"],
            key=f"{P}_scaler",
            help="Min-max maps the training values to 0..1; standard to mean 0, spread 1."
            " Either is fitted on the training split only.",
        ),
        "season": c4.number_input(
            "Season length (0 = from the dates)",
            0,
            1000,
            D.season,
            key=f"{P}_season",
            help="Steps in one cycle for the seasonal baseline; 0 finds it from the"
            " dates (hourly 24, monthly 12, ...) or the data.",
        ),
    }
    c1, c2, c3 = st.columns(3)
    out["predict"] = c1.radio(
        "The RNN predicts",
        ["change", "level"],
        horizontal=True,
        key=f"{P}_predict",
        format_func={"change": "the change", "level": "the value"}.get,
        help="The change from the last value it read (it can reach values never"
        " seen in training), or the value itself.",
    )
    out["calendar"] = c2.toggle(
        "Calendar inputs",
        D.calendar,
        key=f"{P}_calendar",
        help="Time of day, day of week and day of year as extra inputs, where the"
        " data has dates. The linear model gets them too.",
    )
    out["highway"] = c3.toggle(
        "Start from the linear model",
        D.highway,
        key=f"{P}_highway",
        help="The RNN adds a correction to the linear model's forecast instead of starting from nothing.",
    )
    return out


def preview(prep) -> str:
    """The tensor-shape sentence: what one training example is made of."""
    samples, steps, feats = prep.train_shape
    inputs = ", ".join(prep.series.columns)
    dates = (
        f" Dates: column '{prep.series.date_column}' ({prep.series.date_how}), {prep.series.freq or 'irregular'}."
        if prep.series.date_column
        else " No dates: the rows are used in file order."
    )
    return (
        f"Training tensor shape **({samples}, {steps}, {feats})**: {samples} examples (windows), each"
        f" {steps} time steps long, with {feats} number{'s' if feats > 1 else ''} per step ({inputs})."
        f"{dates} Seasonal baseline period: {prep.season} steps ({prep.season_how})."
    )


def show_result(snap: dict) -> None:
    final, disp = snap["result"]["final"], snap["result"]["display"]
    units = disp.get("units", "")
    st.subheader("Results on the test split (the last part of the series, never trained on)")
    st.markdown(f"**{fc.verdict(final['test'], units)}**")
    if disp.get("predicts"):
        st.caption(disp["predicts"])
    warn_small(len(disp["test_dates"]), "forecasts")
    headers = metric_columns(units)
    table = pd.DataFrame(
        {headers[m]: [fmt_value(v[m]) for v in final["test"].values()] for m in ("mae", "rmse", "mase")},
        index=[MODEL_NAMES.get(k, k) for k in final["test"]],
    )
    st.dataframe(table, width="stretch")
    st.caption(
        "MAE and RMSE in the series' units; MASE below 1 beats a one-step naive forecast on training data."
    )
    step = 1
    if final["horizon"] > 1:
        step = st.slider(
            "Forecast step to show",
            1,
            final["horizon"],
            1,
            key=f"{P}_step",
            help="Compare forecasts made this many steps before their date.",
        )
    fig, summary = forecast_chart(
        disp["test_dates"], disp["actual"], disp["predictions"], step, disp["target"], units
    )
    st.plotly_chart(fig, width="stretch", key=f"{P}__test_chart")
    st.caption(summary)
    fig, summary = future_chart(
        disp["history_dates"],
        disp["history"],
        disp["future_dates"],
        disp["future"],
        disp["future_low"],
        disp["future_high"],
        disp["target"],
        units,
    )
    st.plotly_chart(fig, width="stretch", key=f"{P}__future_chart")
    st.caption(summary)
    csv = pd.DataFrame(
        {
            "date": disp["future_dates"],
            "forecast": disp["future"],
            "low_90": disp["future_low"],
            "high_90": disp["future_high"],
        }
    ).to_csv(index=False)
    st.download_button("Download the forecast (CSV)", csv, "forecast.csv", "text/csv", key=f"{P}__dl")
