"""Time-series forecasting: windows, scaling, baselines, metrics, training (the series: forecast_series).

The series is split chronologically into train, validation and test. A window
belongs to a split only if every value it must predict lies in that split, and
the scaler is fitted on the training rows alone, so no number computed here has
seen the future it is scored on.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from core.config import ForecastConfig
from core.datasets import DataError
from core.forecast_series import (  # noqa: F401 (the names pages and tests use, re-exported)
    DEFAULT_COLUMN,
    OFFSETS,
    UNITS,
    Series,
    calendar_columns,
    choose_season,
    detect_season,
    find_date_column,
    infer_frequency,
    input_features,
    load_frame,
    load_series,
    numeric_columns,
    prepare_series,
)
from core.numbers import fmt_value, join_words
from core.saving import load_run, read_companion, save_run


# --- windows and splits ----------------------------------------------------
def split_bounds(n: int, val_fraction: float, test_fraction: float) -> tuple[int, int]:
    """(train_end, val_end): rows [0, train_end) train, [train_end, val_end) validate, rest test."""
    n_test = int(round(n * test_fraction))
    n_val = int(round(n * val_fraction))
    return n - n_test - n_val, n - n_test


def make_windows(values: np.ndarray, lookback: int, horizon: int):
    """Inputs (samples, lookback, features), targets (samples, horizon) and each target's first row."""
    n = len(values)
    count = n - lookback - horizon + 1
    if count <= 0:
        return np.zeros((0, lookback, values.shape[1])), np.zeros((0, horizon)), np.zeros(0, int)
    x = np.lib.stride_tricks.sliding_window_view(values[: n - horizon], lookback, axis=0)
    x = np.ascontiguousarray(np.moveaxis(x, -1, 1)[:count])  # (samples, lookback, features)
    y = np.lib.stride_tricks.sliding_window_view(values[lookback:, 0], horizon)[:count]
    return x, np.ascontiguousarray(y), np.arange(lookback, lookback + count)


def split_masks(t0: np.ndarray, horizon: int, train_end: int, val_end: int):
    """Train, validation and test window masks; windows straddling a boundary are dropped."""
    last = t0 + horizon - 1
    return last < train_end, (t0 >= train_end) & (last < val_end), t0 >= val_end


@dataclass
class Scaler:
    """Per-column affine scaling; fitted on training rows only."""

    kind: str
    offset: np.ndarray
    scale: np.ndarray

    @classmethod
    def fit(cls, kind: str, rows: np.ndarray) -> Scaler:
        if kind == "minmax":
            lo, hi = rows.min(axis=0), rows.max(axis=0)
            return cls(kind, lo, np.where(hi > lo, hi - lo, 1.0))
        mean, std = rows.mean(axis=0), rows.std(axis=0)
        return cls(kind, mean, np.where(std > 0, std, 1.0))

    def transform(self, values: np.ndarray) -> np.ndarray:
        return (values - self.offset) / self.scale

    def inverse_target(self, values: np.ndarray) -> np.ndarray:
        return values * self.scale[0] + self.offset[0]

    def to_json(self) -> dict:
        return {"kind": self.kind, "offset": self.offset.tolist(), "scale": self.scale.tolist()}

    @classmethod
    def from_json(cls, d: dict) -> Scaler:
        return cls(d["kind"], np.asarray(d["offset"]), np.asarray(d["scale"]))


# --- baselines and metrics -------------------------------------------------
def persistence(target: np.ndarray, t0: np.ndarray, horizon: int) -> np.ndarray:
    return np.repeat(target[t0 - 1][:, None], horizon, axis=1)


def seasonal_naive(target: np.ndarray, t0: np.ndarray, horizon: int, season: int) -> np.ndarray:
    """Each step repeats the last observed value at the same phase of the season."""
    steps = np.arange(horizon)
    back = season * ((steps // season) + 1)  # (horizon,) how far back the same phase lies
    idx = t0[:, None] + steps[None, :] - back[None, :]
    return target[np.clip(idx, 0, None)]


def metrics(actual: np.ndarray, pred: np.ndarray, naive_mae: float) -> dict:
    if actual.shape != pred.shape:  # broadcasting would silently compare every pair
        raise ValueError(f"shape mismatch {actual.shape} vs {pred.shape}")
    err = pred - actual
    mae = float(np.mean(np.abs(err)))
    return {
        "mae": mae,
        "rmse": float(np.sqrt(np.mean(err**2))),
        "mase": mae / naive_mae if naive_mae > 0 else float("nan"),
    }


def _relative(x: np.ndarray) -> np.ndarray:
    """The window with its target column as the change from the window's last value."""
    r = x.copy()
    r[:, :, 0] -= x[:, -1:, 0]
    return r


def fit_linear(x_train, y_train, x_val=None, y_val=None) -> tuple[np.ndarray, np.ndarray]:
    """Ridge regression on the flattened (scaled) window: the classic linear autoregression.

    Returns (kernel, bias) that predict the change from the window's last value:
    forecast = last + flat(window) @ kernel + bias  # kernel (time * features, horizon).
    With a validation split it is fitted twice, on the values and on their change from the
    window's last value (as the RNN reads them), and the better one on validation is kept:
    on a rising series only the second reaches values above the training range.
    """
    from sklearn.linear_model import Ridge

    n, steps, feats = x_train.shape
    last_idx = (steps - 1) * feats  # the last target value in the flattened window

    def fit(change: bool):
        prep = _relative if change else (lambda x: x)
        shift = x_train[:, -1:, 0] if change else 0.0
        model = Ridge(alpha=1.0).fit(prep(x_train).reshape(n, -1), y_train - shift)
        kernel = model.coef_.T.reshape(steps * feats, -1).copy()  # (time * features, horizon)
        if change:  # rel(x) = x - last on the target column: fold that into the kernel
            kernel[last_idx] -= kernel[0::feats].sum(axis=0)
        else:  # the kernel predicted the value itself: make it predict the change
            kernel[last_idx] -= 1.0
        return kernel, np.asarray(model.intercept_, dtype="float64").reshape(-1)

    def mae(kb, x, y) -> float:
        return float(np.mean(np.abs(linear_predict(kb, x) - y)))

    best = fit(False)
    if x_val is not None and len(x_val):
        other = fit(True)
        if mae(other, x_val, y_val) < mae(best, x_val, y_val):
            best = other
    return best


def linear_predict(kernel_bias: tuple[np.ndarray, np.ndarray], x: np.ndarray) -> np.ndarray:
    kernel, bias = kernel_bias
    return x[:, -1:, 0] + x.reshape(len(x), -1) @ kernel + bias  # (samples, horizon)


def linear_baseline(x_train, y_train, x_eval, x_val=None, y_val=None):
    """The linear autoregression's forecasts for `x_eval` (scaled like the windows)."""
    return linear_predict(fit_linear(x_train, y_train, x_val, y_val), x_eval)


@dataclass
class Prepared:
    series: Series
    scaler: Scaler
    x: np.ndarray
    y: np.ndarray
    t0: np.ndarray
    masks: tuple
    season: int
    bounds: tuple[int, int]
    season_how: str = ""

    @property
    def train_shape(self) -> tuple[int, int, int]:
        return tuple(int(v) for v in self.x[self.masks[0]].shape)


def prepare(cfg: ForecastConfig, series: Series | None = None) -> Prepared:
    """Everything up to the model, without TensorFlow: the page uses it for previews."""
    series = series or load_series(cfg)
    n = len(series.values)
    train_end, val_end = split_bounds(n, cfg.train.val_fraction, cfg.test_fraction)
    scaler = Scaler.fit(cfg.scaler, series.values[:train_end])
    x, y, t0 = make_windows(scaler.transform(series.values), cfg.lookback, cfg.horizon)
    masks = split_masks(t0, cfg.horizon, train_end, val_end)
    counts = [int(m.sum()) for m in masks]
    if counts[0] < 10 or counts[1] < 1 or counts[2] < 1:
        need = int(
            np.ceil((cfg.lookback + 2 * cfg.horizon + 12) / (1 - cfg.test_fraction - cfg.train.val_fraction))
        )
        raise DataError(
            f"The series has {n} rows, too few for a look-back of {cfg.lookback} and a horizon of"
            f" {cfg.horizon} with a validation and test split (about {need} rows needed)."
            " Shorten the look-back or horizon, or use more data."
        )
    season, season_how = choose_season(series.values[:train_end, 0], series.freq, int(cfg.season))
    if season >= train_end:
        raise DataError(
            f"The season length ({season}) must be shorter than the training split ({train_end} rows)."
        )
    return Prepared(series, scaler, x, y, t0, masks, season, (train_end, val_end), season_how)


def train(cfg: ForecastConfig, ctx) -> dict:
    """Fit the RNN and the baselines; save the model and its companions to ctx.run_dir."""
    from core.models import build_regressor
    from core.training import make_optimizer, predict

    start = time.time()
    ctx.status("Preparing windows...")
    p = prepare(cfg)
    ctx.set_fingerprint(p.series.fingerprint)
    tr, va, te = p.masks
    linear = fit_linear(p.x[tr], p.y[tr], p.x[va], p.y[va])
    model = build_regressor(
        cfg.arch,
        cfg.lookback,
        p.x.shape[2],
        cfg.horizon,
        change=cfg.predict == "change",
        highway=linear if cfg.highway else None,
        head_name="forecast",  # the name every saved forecasting model's output layer has had
    )
    model.compile(optimizer=make_optimizer(cfg.train), loss="mse", metrics=["mae"])
    ctx.status("Training...")
    history = ctx.fit(model, p.x[tr], p.y[tr], (p.x[va], p.y[va]), cfg.train)
    train_seconds = time.time() - start

    target = p.series.values[:, 0]
    inv = p.scaler.inverse_target
    actual = inv(p.y[te])
    naive_mae = float(np.mean(np.abs(np.diff(target[: p.bounds[0]]))))
    preds = {
        "rnn": inv(predict(model, p.x[te])),
        "persistence": persistence(target, p.t0[te], cfg.horizon),
        "seasonal_naive": seasonal_naive(target, p.t0[te], cfg.horizon, p.season),
        "linear": inv(linear_predict(linear, p.x[te])),
    }
    test = {name: metrics(actual, pred, naive_mae) for name, pred in preds.items()}

    # 90% band from the RNN's errors at each step on the validation split (not the test split).
    val_err = p.y[va] - predict(model, p.x[va])
    lo_q, hi_q = np.quantile(val_err, [0.05, 0.95], axis=0) * p.scaler.scale[0]
    last_window = p.scaler.transform(p.series.values[-cfg.lookback :])[None]
    future = inv(predict(model, last_window))[0]

    final = {
        "task": "forecast",
        "data": cfg.data,
        "column": p.series.columns[0],
        "horizon": cfg.horizon,
        "season": p.season,
        "season_how": p.season_how,
        "date_column": p.series.date_column,
        "inputs": p.series.columns,
        "test": test,
        "epochs": len(history),
        "val_loss": min((h["val_loss"] for h in history), default=float("nan")),
        "train_seconds": round(train_seconds, 2),
    }
    display = {
        "target": p.series.columns[0],
        "units": p.series.units,
        "test_dates": _dates_at(p.series, p.t0[te]),
        "actual": actual.tolist(),
        "predictions": {k: v.tolist() for k, v in preds.items()},
        "history_dates": _dates_at(p.series, np.arange(max(0, len(target) - 3 * cfg.lookback), len(target))),
        "history": target[-3 * cfg.lookback :].tolist(),
        "future_dates": _future_dates(p.series, cfg.horizon),
        "future": future.tolist(),
        "future_low": (future + lo_q).tolist(),
        "future_high": (future + hi_q).tolist(),
        "notes": p.series.notes,
        "train_shape": p.train_shape,
        "predicts": what_it_predicts(cfg),
    }
    save(ctx.run_dir, model, cfg, p.scaler, final, display)
    return {"final": final, "display": display, "history": history}


def _dates_at(series: Series, idx: np.ndarray) -> list:
    if series.dates is None:
        return [int(i) for i in idx]
    return [series.dates[i] for i in idx]


def _future_dates(series: Series, horizon: int) -> list:
    n = len(series.values)
    if series.dates is None:
        return list(range(n, n + horizon))
    last = pd.Timestamp(series.dates[-1])
    if series.freq in OFFSETS:
        step = pd.DateOffset(**OFFSETS[series.freq])
        future = [last + step * (i + 1) for i in range(horizon)]
    else:
        dates = pd.to_datetime(pd.Series(series.dates[-30:]))
        gap = dates.diff().median() if len(dates) > 1 else pd.Timedelta(days=1)
        future = [last + gap * (i + 1) for i in range(horizon)]
    fmt = "%Y-%m-%d %H:%M" if len(series.dates[-1]) > 10 else "%Y-%m-%d"
    return [d.strftime(fmt) for d in future]


def what_it_predicts(cfg: ForecastConfig) -> str:
    """One plain sentence: what the network's output means."""
    ahead = "the next value" if cfg.horizon == 1 else f"the next {cfg.horizon} values"
    if cfg.predict == "change":
        how = (
            f"The RNN predicts how much {ahead} will differ from the last value it read, so"
            " 'the same as the last value' is where it starts"
        )
    else:
        how = f"The RNN predicts {ahead} directly, on the scale of the training split"
    if cfg.highway:
        return how + (
            "; it starts from the linear model's forecast (fitted on the training split) and learns"
            " a correction to it."
        )
    return how + "."


def save(run_dir: Path, model, cfg: ForecastConfig, scaler: Scaler, final: dict, display: dict) -> None:
    save_run(run_dir, model, cfg, final, display, scaler=scaler.to_json())


def load(run_dir: Path):
    """(model, config, scaler) of a saved forecasting run."""
    from core.models import forecast_layers

    forecast_layers()  # registered before loading, so such models deserialise
    model, cfg = load_run(run_dir, ForecastConfig)
    return model, cfg, Scaler.from_json(read_companion(run_dir, "scaler"))


MODEL_NAMES = {"persistence": "persistence", "seasonal_naive": "seasonal naive", "linear": "the linear model"}


def verdict(test: dict, units: str = "") -> str:
    """One plain sentence: did the RNN beat each baseline on test MAE?"""
    rnn = test["rnn"]["mae"]
    names = [k for k in MODEL_NAMES if k in test]
    beat = [MODEL_NAMES[k] for k in names if rnn < test[k]["mae"]]
    tied = [MODEL_NAMES[k] for k in names if rnn == test[k]["mae"]]
    lost = [MODEL_NAMES[k] for k in names if rnn > test[k]["mae"]]
    score = f"test MAE {fmt_value(rnn, units)}"
    best = min(names, key=lambda k: test[k]["mae"])
    best_score = f"{MODEL_NAMES[best]}'s {fmt_value(test[best]['mae'], units)}"
    if not lost and not tied:
        return (
            f"The RNN beat every baseline ({score}; the best baseline, {MODEL_NAMES[best]},"
            f" {fmt_value(test[best]['mae'], units)})."
        )
    if not beat and not tied:
        return f"The RNN did not beat any baseline ({score} against {best_score}): a simpler model is better here."
    parts = []
    if beat:
        parts.append(f"beat {join_words(beat)}")
    if tied:
        parts.append(f"tied with {join_words(tied)}")
    sentence = f"The RNN {join_words(parts)}"
    if lost:
        return f"{sentence} but not {join_words(lost, 'or')} ({score} against {best_score})."
    return f"{sentence} ({score})."
