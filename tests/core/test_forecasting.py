"""Forecasting core: windows, splits, scaling, baselines and every bad input (no TensorFlow)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from core import forecasting as fc
from core.config import ForecastConfig, TrainingConfig
from core.datasets import MAX_UPLOAD_MB, DataError, read_csv_bytes


def test_windows_never_look_ahead():
    values = np.arange(100, dtype=float)[:, None]
    x, y, t0 = fc.make_windows(values, lookback=7, horizon=3)
    assert x.shape == (91, 7, 1) and y.shape == (91, 3)
    # Every input value comes strictly before every value it must predict.
    assert np.all(x[:, -1, 0] < y[:, 0])
    assert np.all(x[:, -1, 0] + 1 == y[:, 0]) and np.all(y[:, 0] == t0)


def test_split_masks_keep_targets_inside_their_split():
    values = np.arange(200, dtype=float)[:, None]
    _, y, t0 = fc.make_windows(values, lookback=10, horizon=5)
    train_end, val_end = fc.split_bounds(200, 0.15, 0.15)
    tr, va, te = fc.split_masks(t0, 5, train_end, val_end)
    assert y[tr].max() < train_end
    assert y[va].min() >= train_end and y[va].max() < val_end
    assert y[te].min() >= val_end
    assert not np.any(tr & va) and not np.any(va & te)


def test_scaler_is_fitted_on_the_training_split_only():
    n = 300
    values = np.concatenate([np.linspace(0, 1, 210), np.full(n - 210, 1000.0)])
    df = pd.DataFrame({"value": values})
    cfg = ForecastConfig(data="x.csv", column="value", lookback=5)
    p = fc.prepare(cfg, fc.prepare_series(df, cfg))
    train_end = p.bounds[0]
    assert p.scaler.offset[0] == pytest.approx(values[:train_end].min())
    assert p.scaler.scale[0] == pytest.approx(values[:train_end].max() - values[:train_end].min())
    assert p.scaler.scale[0] < 2  # the huge test values did not leak into the scaling


def test_baselines_on_a_known_series():
    target = np.arange(50, dtype=float)
    t0 = np.array([20, 30])
    assert fc.persistence(target, t0, 3).tolist() == [[19, 19, 19], [29, 29, 29]]
    # Season 7: the value one season before each target date.
    assert fc.seasonal_naive(target, t0, 3, 7).tolist() == [[13, 14, 15], [23, 24, 25]]
    # Horizon longer than the season repeats the last observed season.
    assert fc.seasonal_naive(target, t0, 4, 2).tolist()[0] == [18, 19, 18, 19]
    m = fc.metrics(np.array([[1.0], [3.0]]), np.array([[2.0], [1.0]]), naive_mae=2.0)
    assert m == {"mae": 1.5, "rmse": pytest.approx(np.sqrt(2.5)), "mase": 0.75}


def test_season_detection_finds_the_period():
    t = np.arange(1000)
    y = np.sin(2 * np.pi * t / 50) + np.random.default_rng(0).normal(0, 0.1, 1000)
    assert abs(fc.detect_season(y) - 50) <= 1
    assert fc.detect_season(np.cumsum(np.ones(300))) == 1  # a trend has no season


def test_linear_baseline_beats_persistence_on_smooth_noisy_data():
    cfg = ForecastConfig(data="synthetic", synthetic_noise=2.0, lookback=20)
    p = fc.prepare(cfg)
    tr, _, te = p.masks
    pred = p.scaler.inverse_target(fc.linear_baseline(p.x[tr], p.y[tr], p.x[te]))
    actual = p.scaler.inverse_target(p.y[te])
    target = p.series.values[:, 0]
    assert np.mean(np.abs(pred - actual)) < np.mean(np.abs(fc.persistence(target, p.t0[te], 1) - actual))


def _prep_csv(text: str, **kw):
    cfg = ForecastConfig(data="upload.csv", **kw)
    return fc.prepare(cfg, fc.prepare_series(read_csv_bytes(text.encode()), cfg))


def test_dates_out_of_order_are_sorted_and_said():
    rows = [f"2020-01-{d:02d},{d}" for d in range(1, 29)] + [
        f"2020-02-{d:02d},{d + 31}" for d in range(1, 29)
    ]
    rows = rows[::-1]
    p = _prep_csv("date,value\n" + "\n".join(rows * 2), lookback=3, column="value")
    assert any("sorted" in n for n in p.series.notes)
    assert p.series.dates == sorted(p.series.dates)


def test_missing_values_are_filled_or_dropped_with_a_message():
    text = "t,v\n" + "\n".join(f"{i}," if i % 10 == 0 else f"{i},{i}" for i in range(120))
    filled = _prep_csv(text, lookback=3, column="v")
    assert any("Filled missing values in 12 rows" in n for n in filled.series.notes)
    dropped = _prep_csv(text, lookback=3, column="v", missing="drop")
    assert len(dropped.series.values) == 108 and "Dropped 12 rows" in dropped.series.notes[0]


BAD_INPUTS = {
    "empty": (b"", "empty"),
    "not csv": (b"\x89PNG\r\n\x1a\n\x00\x00\x00binary", "binary"),
    "header only": (b"a,b\n", "no data rows"),
    "no numeric column": (b"name,colour\n" + b"x,red\n" * 50, "no numeric column"),
    "too few rows": (b"value\n" + b"1\n" * 20, "too few"),
}


@pytest.mark.parametrize("case", BAD_INPUTS)
def test_bad_csv_gives_a_clear_message(case):
    data, words = BAD_INPUTS[case]
    with pytest.raises(DataError, match=words):
        cfg = ForecastConfig(data="upload.csv", lookback=10)
        fc.prepare(cfg, fc.prepare_series(read_csv_bytes(data), cfg))


def test_non_numeric_and_empty_target_columns():
    text = "value,word,blank\n" + "\n".join(f"{i},w{i}," for i in range(100))
    with pytest.raises(DataError, match="not numeric"):
        _prep_csv(text, column="word")
    with pytest.raises(DataError, match="empty"):
        _prep_csv(text, column="blank")
    with pytest.raises(DataError, match="no column 'nope'"):
        _prep_csv(text, column="nope")


def test_upload_over_the_size_limit():
    with pytest.raises(DataError, match=f"larger than {MAX_UPLOAD_MB} MB"):
        read_csv_bytes(b"1\n" * (MAX_UPLOAD_MB * 1024 * 1024 // 2 + 10))


def test_unknown_stock_and_data_names():
    with pytest.raises(DataError, match="choose one of"):
        fc.load_series(ForecastConfig(data="stocks:ZZZZ"))
    with pytest.raises(DataError, match="Unknown data"):
        fc.load_series(ForecastConfig(data="weather.xlsx"))


def test_built_in_series_load():
    seattle = fc.load_series(ForecastConfig(data="seattle"))
    assert seattle.columns[:2] == ["temp_max", "temp_min"]  # temp_min: Seattle's suggested input
    assert seattle.calendar == seattle.columns[2:] and len(seattle.calendar) == 4  # day of week, of year
    assert len(seattle.values) == 1461 and seattle.units == "deg C" and seattle.freq == "daily"
    bare = fc.load_series(ForecastConfig(data="seattle", features=(), calendar=False))
    assert bare.columns == ["temp_max"]
    stock = fc.load_series(ForecastConfig(data="stocks:IBM", calendar=False))
    assert stock.columns == ["close"] and len(stock.values) > 3000
    jobs = fc.load_series(ForecastConfig())  # the default: US jobs, monthly
    assert jobs.columns[0] == "nonfarm" and jobs.freq == "monthly" and len(jobs.values) == 120
    syn = fc.load_series(ForecastConfig(data="synthetic", train=TrainingConfig(seed=3)))
    again = fc.load_series(ForecastConfig(data="synthetic", train=TrainingConfig(seed=3)))
    assert syn.fingerprint == again.fingerprint
