"""Series found without being told: date columns, time order, seasons, calendar inputs, stacked series."""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd
import pytest

from core import forecasting as fc
from core.config import ForecastConfig
from core.datasets import read_csv_bytes
from core.numbers import fmt_value, join_words


def _series(df: pd.DataFrame, **kw) -> fc.Series:
    cfg = ForecastConfig(data="upload.csv", **kw)
    return fc.prepare_series(read_csv_bytes(df.to_csv(index=False).encode()), cfg)


def test_a_shuffled_csv_with_a_timestamp_column_is_sorted_without_being_told():
    hours = pd.date_range("2021-03-01", periods=300, freq="h")
    df = pd.DataFrame({"reading": np.arange(300.0), "when": hours.strftime("%Y-%m-%d %H:%M")})
    s = _series(df.sample(frac=1, random_state=0), column="reading")
    assert s.date_column == "when" and "found" in s.date_how
    assert s.values[:, 0].tolist() == list(np.arange(300.0))  # time order, not file order
    assert any("sorted by 'when'" in n for n in s.notes)
    assert s.freq == "hourly" and s.dates[1] == "2021-03-01 01:00"
    off = _series(df.sample(frac=1, random_state=0), column="reading", detect_date=False)
    assert off.date_column == "" and off.values[:, 0].tolist() != list(np.arange(300.0))


def test_month_and_year_columns_are_dates_but_plain_numbers_are_not():
    months = pd.date_range("2000-01-01", periods=60, freq="MS").strftime("%Y-%m-%d")
    s = _series(pd.DataFrame({"value": np.arange(60.0), "month": months}), column="value")
    assert s.date_column == "month" and s.freq == "monthly"
    assert s.calendar == ["month of year (sin)", "month of year (cos)"]
    years = _series(pd.DataFrame({"year": range(1950, 2010), "wheat": np.arange(60.0)}), column="wheat")
    assert years.date_column == "year" and years.freq == "yearly" and years.calendar == []
    plain = _series(pd.DataFrame({"a": np.arange(60.0), "b": np.arange(60.0) * 2}), column="b")
    assert plain.date_column == "" and plain.dates is None


def test_season_comes_from_the_date_frequency_and_says_how():
    y = np.random.default_rng(0).normal(size=500)
    assert fc.choose_season(y, "hourly")[0] == 24
    assert fc.choose_season(y, "monthly")[0] == 12
    assert fc.choose_season(y, "quarterly")[0] == 4
    assert fc.choose_season(y, "weekly")[0] == 52
    assert fc.choose_season(y, "", wanted=9) == (9, "set by you")
    yearly = 10 * np.sin(2 * np.pi * np.arange(1200) / 365.25) + np.random.default_rng(1).normal(0, 1, 1200)
    season, how = fc.choose_season(yearly, "daily")
    assert season == 365 and "a year fits the training split better" in how
    weekly = np.tile([0, 0, 0, 0, 0, 5, 5], 150) + np.random.default_rng(2).normal(0, 0.3, 1050)
    assert fc.choose_season(weekly, "daily")[0] == 7
    assert fc.choose_season(np.cumsum(np.ones(300)), "")[0] == 1  # a trend alone has no season


def test_us_employment_and_sf_temps_seasons_are_found(tmp_path):
    vega = pytest.importorskip("vega_datasets").data
    jobs = vega.us_employment()[["month", "nonfarm"]]
    p = fc.prepare(ForecastConfig(data="jobs.csv", column="nonfarm"), _series(jobs, column="nonfarm"))
    assert p.series.date_column == "month" and p.season == 12
    temps = vega.sf_temps()
    p = fc.prepare(ForecastConfig(data="t.csv", column="temp"), _series(temps, column="temp"))
    assert p.series.freq == "hourly" and p.season == 24


def test_stacked_series_are_told_apart_and_offered_as_a_filter():
    years = [f"{y}-01-01" for y in range(2001, 2031)]
    rows = [(y, src, i * (k + 1)) for k, src in enumerate(["coal", "wind"]) for i, y in enumerate(years)]
    df = pd.DataFrame(rows, columns=["year", "source", "net"]).sample(frac=1, random_state=0)
    s = _series(df, column="net")
    assert s.groups == ("source", ["coal", "wind"]) or s.groups == ("source", ["wind", "coal"])
    assert any("told apart by 'source'" in n for n in s.notes) and len(s.values) == 30
    wind = _series(df, column="net", group_column="source", group_value="wind")
    assert wind.values[:, 0].tolist() == [2.0 * i for i in range(30)]


def test_calendar_inputs_are_sine_cosine_pairs_given_to_the_linear_baseline_too():
    days = pd.date_range("2020-01-01", periods=400, freq="D").strftime("%Y-%m-%d")
    df = pd.DataFrame({"date": days, "v": np.arange(400.0)})
    s = _series(df, column="v")
    assert s.columns == [
        "v",
        "day of week (sin)",
        "day of week (cos)",
        "day of year (sin)",
        "day of year (cos)",
    ]
    sin, cos = s.values[:, 1], s.values[:, 2]
    assert np.allclose(sin**2 + cos**2, 1.0) and np.isclose(s.values[7, 1], s.values[0, 1])
    p = fc.prepare(ForecastConfig(data="x.csv", column="v", lookback=5), s)
    assert p.x.shape[2] == 5  # the windows (and so the Ridge baseline) carry the calendar too


@pytest.mark.parametrize("outcome", list(itertools.product(["win", "tie", "lose"], repeat=3)))
def test_forecast_verdict_is_one_english_sentence_for_every_outcome(outcome):
    rnn = 2.0
    test = {"rnn": {"mae": rnn}}
    for name, result in zip(["persistence", "seasonal_naive", "linear"], outcome, strict=True):
        test[name] = {"mae": {"win": 2.5, "tie": 2.0, "lose": 1.5}[result]}
    sentence = fc.verdict(test, "deg C")
    assert sentence.startswith("The RNN ") and sentence.endswith(".") and sentence.count(".") <= 3
    assert ", the" not in sentence.split("(")[0]  # no bare comma lists: "persistence, the linear model"
    assert "e+" not in sentence and "deg C" in sentence
    if set(outcome) == {"win"}:
        assert "beat every baseline" in sentence
    elif "win" not in outcome and "tie" not in outcome:
        assert "did not beat any baseline" in sentence
    if "lose" in outcome and "win" in outcome:
        assert " but not " in sentence


def test_numbers_read_in_units_with_thousands_separators():
    assert fmt_value(137051.4, "thousand jobs") == "137,051 thousand jobs"
    assert fmt_value(5005.2) == "5,005" and fmt_value(2.826) == "2.83" and fmt_value(0.04123) == "0.0412"
    assert "e" not in fmt_value(1.371e5) and "e" not in fmt_value(3.2e-5)
    assert join_words(["a"]) == "a" and join_words(["a", "b", "c"], "or") == "a, b or c"


def test_the_linear_baseline_reaches_values_above_the_training_range():
    t = np.arange(300.0)
    df = pd.DataFrame({"v": 100 + 3 * t + np.sin(t)})
    cfg = ForecastConfig(data="x.csv", column="v", lookback=6)
    p = fc.prepare(cfg, fc.prepare_series(df, cfg))
    tr, va, te = p.masks
    pred = p.scaler.inverse_target(fc.linear_baseline(p.x[tr], p.y[tr], p.x[te], p.x[va], p.y[va]))
    actual = p.scaler.inverse_target(p.y[te])
    assert actual.min() > df["v"][: p.bounds[0]].max()  # every test value lies above training
    assert np.mean(np.abs(pred - actual)) < 1.0
