"""Time-series forecasting: series loading, windows, scaling, baselines, metrics, training.

The series is split chronologically into train, validation and test. A window
belongs to a split only if every value it must predict lies in that split, and
the scaler is fitted on the training rows alone, so no number computed here has
seen the future it is scored on.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from core.config import ForecastConfig
from core.datasets import (
    DataError,
    fingerprint_frame,
    load_seattle,
    load_stocks,
    read_csv_bytes,
    synthetic_temperature,
)
from core.saving import load_run, read_companion, save_run

DEFAULT_COLUMN = {"synthetic": "temperature", "seattle": "temp_max", "stocks": "close"}
UNITS = {"synthetic": "deg C", "seattle": "deg C", "stocks": "USD"}


@dataclass
class Series:
    """A cleaned, sorted numeric series: target first, then extra features."""

    values: np.ndarray  # (time, features), target in column 0
    columns: list[str]
    dates: list[str] | None
    notes: list[str] = field(default_factory=list)
    fingerprint: str = ""
    units: str = ""


def load_frame(cfg: ForecastConfig) -> pd.DataFrame:
    if cfg.data == "synthetic":
        return synthetic_temperature(
            cfg.synthetic_length, cfg.synthetic_amplitude, cfg.synthetic_noise, cfg.train.seed
        )
    if cfg.data == "seattle":
        return load_seattle()
    if cfg.data.startswith("stocks:"):
        return load_stocks(cfg.data.split(":", 1)[1])
    path = Path(cfg.data)
    if path.suffix.lower() != ".csv":
        raise DataError(f"Unknown data {cfg.data!r}: use synthetic, seattle, stocks:TICKER or a .csv file.")
    if not path.is_file():
        raise DataError(f"The file {cfg.data} does not exist.")
    return read_csv_bytes(path.read_bytes())


def _find_date_column(df: pd.DataFrame, wanted: str) -> str:
    if wanted:
        if wanted not in df.columns:
            raise DataError(
                f"There is no column {wanted!r}; the columns are {', '.join(map(str, df.columns))}."
            )
        return wanted
    for col in df.columns:
        if str(col).strip().lower() in ("date", "time", "datetime", "timestamp", "day"):
            return col
    return ""


def numeric_columns(df: pd.DataFrame, exclude: str = "") -> list[str]:
    """Columns where most non-empty cells parse as numbers."""
    out = []
    for col in df.columns:
        if col == exclude:
            continue
        parsed = pd.to_numeric(df[col], errors="coerce")
        present = df[col].notna() & (df[col].astype(str).str.strip() != "")
        if parsed.notna().sum() > 0 and parsed.notna().sum() >= 0.9 * present.sum():
            out.append(col)
    return out


def prepare_series(df: pd.DataFrame, cfg: ForecastConfig) -> Series:
    notes: list[str] = []
    df = df.copy()
    df.columns = [str(c) for c in df.columns]
    date_col = _find_date_column(df, cfg.date_column)
    dates = None
    if date_col:
        parsed = pd.to_datetime(df[date_col], errors="coerce", format="mixed")
        bad = int(parsed.isna().sum())
        if bad == len(df):
            raise DataError(f"The date column {date_col!r} has no readable dates: pick another or none.")
        if bad:
            notes.append(f"Dropped {bad} rows whose date could not be read.")
        df = df.assign(_date=parsed).dropna(subset=["_date"])
        if not df["_date"].is_monotonic_increasing:
            df = df.sort_values("_date", kind="stable")
            notes.append("The dates were out of order, so the rows were sorted by date.")
    numeric = numeric_columns(df, exclude=date_col)
    if not numeric:
        raise DataError("The CSV has no numeric column to forecast: it needs at least one column of numbers.")
    source = cfg.data.split(":")[0]
    target = cfg.column or DEFAULT_COLUMN.get(source, "") or numeric[0]
    if target not in df.columns:
        raise DataError(f"There is no column {target!r}; numeric columns are {', '.join(numeric)}.")
    if target not in numeric:
        if df[target].replace("", np.nan).isna().all():
            raise DataError(f"The column {target!r} is empty: choose a column with numbers.")
        raise DataError(f"The column {target!r} is not numeric: choose one of {', '.join(numeric)}.")
    for feat in cfg.features:
        if feat not in numeric or feat == target:
            raise DataError(f"The extra feature {feat!r} is not a numeric column other than the target.")
    cols = [target, *cfg.features]
    # An infinity (inf, 1e999) is a missing value too: left in, it makes every loss NaN and the
    # failure reads as a learning-rate problem.
    frame = df[cols].apply(pd.to_numeric, errors="coerce").replace([np.inf, -np.inf], np.nan)
    missing = int(frame.isna().any(axis=1).sum())
    if missing:
        if cfg.missing == "drop":
            keep = frame.notna().all(axis=1)
            frame, df = frame[keep], df[keep]
            notes.append(f"Dropped {missing} rows with missing values.")
        else:
            frame = frame.interpolate(limit_direction="both")
            notes.append(f"Filled missing values in {missing} rows by linear interpolation.")
    if frame.empty or frame[target].isna().all():
        raise DataError(f"The column {target!r} has no values left after cleaning.")
    if date_col:
        dates = df["_date"].dt.strftime("%Y-%m-%d").tolist()
    units = UNITS.get(source, "")
    return Series(
        values=frame.to_numpy(dtype="float64"),
        columns=cols,
        dates=dates,
        notes=notes,
        fingerprint=fingerprint_frame(frame),
        units=units,
    )


def load_series(cfg: ForecastConfig) -> Series:
    return prepare_series(load_frame(cfg), cfg)


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
def detect_season(y: np.ndarray, max_lag: int = 400) -> int:
    """The lag of the highest autocorrelation after it first turns negative; 1 if none is clear."""
    y = y - y.mean()
    max_lag = min(max_lag, len(y) // 2)
    denom = float(np.dot(y, y))
    if max_lag < 3 or denom == 0:
        return 1
    acf = np.array([np.dot(y[:-k], y[k:]) / denom for k in range(1, max_lag + 1)])
    negative = np.nonzero(acf < 0)[0]
    if len(negative) == 0:
        return 1
    start = negative[0]
    best = start + int(np.argmax(acf[start:]))
    return best + 1 if acf[best] > 0.2 else 1


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


def linear_baseline(x_train, y_train, x_eval):
    """Ridge regression on the flattened (scaled) window: the classic linear autoregression."""
    from sklearn.linear_model import Ridge

    model = Ridge(alpha=1.0).fit(x_train.reshape(len(x_train), -1), y_train)
    return model.predict(x_eval.reshape(len(x_eval), -1)).reshape(len(x_eval), y_train.shape[1])


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
    season = int(cfg.season or detect_season(series.values[:train_end, 0]))
    if season >= train_end:
        raise DataError(
            f"The season length ({season}) must be shorter than the training split ({train_end} rows)."
        )
    return Prepared(series, scaler, x, y, t0, masks, season, (train_end, val_end))


def train(cfg: ForecastConfig, ctx) -> dict:
    """Fit the RNN and the baselines; save the model and its companions to ctx.run_dir."""
    from core.models import build_regressor
    from core.training import make_optimizer

    start = time.time()
    ctx.status("Preparing windows...")
    p = prepare(cfg)
    ctx.set_fingerprint(p.series.fingerprint)
    tr, va, te = p.masks
    model = build_regressor(cfg.arch, cfg.lookback, p.x.shape[2], cfg.horizon)
    model.compile(optimizer=make_optimizer(cfg.train), loss="mse", metrics=["mae"])
    ctx.status("Training...")
    history = ctx.fit(model, p.x[tr], p.y[tr], (p.x[va], p.y[va]), cfg.train)
    train_seconds = time.time() - start

    target = p.series.values[:, 0]
    inv = p.scaler.inverse_target
    actual = inv(p.y[te])
    naive_mae = float(np.mean(np.abs(np.diff(target[: p.bounds[0]]))))
    preds = {
        "rnn": inv(model.predict(p.x[te], batch_size=512, verbose=0)),
        "persistence": persistence(target, p.t0[te], cfg.horizon),
        "seasonal_naive": seasonal_naive(target, p.t0[te], cfg.horizon, p.season),
        "linear": inv(linear_baseline(p.x[tr], p.y[tr], p.x[te])),
    }
    test = {name: metrics(actual, pred, naive_mae) for name, pred in preds.items()}

    # 90% band from the RNN's errors at each step on the validation split (not the test split).
    val_err = p.y[va] - model.predict(p.x[va], batch_size=512, verbose=0)
    lo_q, hi_q = np.quantile(val_err, [0.05, 0.95], axis=0) * p.scaler.scale[0]
    last_window = p.scaler.transform(p.series.values[-cfg.lookback :])[None]
    future = inv(model.predict(last_window, verbose=0))[0]

    final = {
        "task": "forecast",
        "data": cfg.data,
        "column": p.series.columns[0],
        "horizon": cfg.horizon,
        "season": p.season,
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
    dates = pd.to_datetime(pd.Series(series.dates[-30:]))
    step = dates.diff().median() if len(dates) > 1 else pd.Timedelta(days=1)
    last = dates.iloc[-1]
    return [(last + step * (i + 1)).strftime("%Y-%m-%d") for i in range(horizon)]


def save(run_dir: Path, model, cfg: ForecastConfig, scaler: Scaler, final: dict, display: dict) -> None:
    save_run(run_dir, model, cfg, final, display, scaler=scaler.to_json())


def load(run_dir: Path):
    """(model, config, scaler) of a saved forecasting run."""
    model, cfg = load_run(run_dir, ForecastConfig)
    return model, cfg, Scaler.from_json(read_companion(run_dir, "scaler"))


def verdict(test: dict) -> str:
    """One plain sentence: did the RNN beat each baseline on test MAE?"""
    names = {"persistence": "persistence", "seasonal_naive": "seasonal naive", "linear": "the linear model"}
    rnn = test["rnn"]["mae"]
    beat = [names[k] for k in names if rnn < test[k]["mae"]]
    lost = [names[k] for k in names if rnn >= test[k]["mae"]]
    if not lost:
        return f"The RNN beat every baseline on test MAE ({rnn:.3g})."
    if not beat:
        return f"The RNN did not beat any baseline on test MAE ({rnn:.3g}): a simpler model is better here."
    return f"The RNN beat {', '.join(beat)} but not {', '.join(lost)} on test MAE ({rnn:.3g})."
