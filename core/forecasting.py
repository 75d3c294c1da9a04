"""Time-series forecasting: series loading, windows, scaling, baselines, metrics, training.

The series is split chronologically into train, validation and test. A window
belongs to a split only if every value it must predict lies in that split, and
the scaler is fitted on the training rows alone, so no number computed here has
seen the future it is scored on.
"""

from __future__ import annotations

import time
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from core.config import ForecastConfig
from core.datasets import (
    DataError,
    fingerprint_frame,
    load_employment,
    load_seattle,
    load_stocks,
    read_csv_bytes,
    synthetic_temperature,
)
from core.numbers import fmt_value, join_words
from core.saving import load_run, read_companion, save_run

DEFAULT_COLUMN = {
    "synthetic": "temperature",
    "seattle": "temp_max",
    "employment": "nonfarm",
    "stocks": "close",
}
# Extra inputs when none are chosen (features=None): chosen on Seattle's validation split.
DEFAULT_FEATURES = {"seattle": {"temp_max": ("temp_min",)}}


def input_features(cfg: ForecastConfig, target: str) -> tuple[str, ...]:
    """The extra input columns: the chosen ones, else the data set's suggestion for this column."""
    if cfg.features is not None:
        return tuple(cfg.features)
    return DEFAULT_FEATURES.get(cfg.data.split(":")[0], {}).get(target, ())


UNITS = {"synthetic": "deg C", "seattle": "deg C", "employment": "thousand jobs", "stocks": "USD"}


@dataclass
class Series:
    """A cleaned, sorted numeric series: target first, then extra features, then calendar inputs."""

    values: np.ndarray  # (time, features), target in column 0
    columns: list[str]
    dates: list[str] | None
    notes: list[str] = field(default_factory=list)
    fingerprint: str = ""
    units: str = ""
    freq: str = ""  # hourly, daily, ... from the dates; "" without dates or when irregular
    date_column: str = ""
    date_how: str = ""  # how the date column was chosen
    calendar: list[str] = field(default_factory=list)  # the calendar inputs among `columns`
    groups: tuple[str, list[str]] | None = None  # (column, values) when several series are stacked


def load_frame(cfg: ForecastConfig) -> pd.DataFrame:
    if cfg.data == "synthetic":
        return synthetic_temperature(
            cfg.synthetic_length, cfg.synthetic_amplitude, cfg.synthetic_noise, cfg.train.seed
        )
    if cfg.data == "seattle":
        return load_seattle()
    if cfg.data == "employment":
        return load_employment()
    if cfg.data.startswith("stocks:"):
        return load_stocks(cfg.data.split(":", 1)[1])
    path = Path(cfg.data)
    if path.suffix.lower() != ".csv":
        raise DataError(
            f"Unknown data {cfg.data!r}: use employment, seattle, synthetic, stocks:TICKER or a .csv file."
        )
    if not path.is_file():
        raise DataError(f"The file {cfg.data} does not exist.")
    return read_csv_bytes(path.read_bytes())


DATE_NAMES = ("date", "time", "datetime", "timestamp", "ds", "day", "week", "month", "year", "period", "hour")
DATE_SHARE = 0.95  # a column is dates when at least this share of its non-empty cells parse as dates


def _as_dates(col: pd.Series, name: str) -> pd.Series:
    """The column as datetimes, NaT where a cell is not a date. Plain numbers are dates only in a
    column named like a year (2001 is a year; 17.5 or 20120101 in a price column is not a date)."""
    if pd.api.types.is_datetime64_any_dtype(col):
        return col
    numbers = pd.to_numeric(col, errors="coerce")
    if name.strip().lower() in ("year", "yr") and numbers.notna().any():
        years = numbers.where(numbers.between(1000, 2500) & (numbers == numbers.round()))
        return pd.to_datetime(years.astype("Int64").astype("string"), format="%Y", errors="coerce")
    text = col.astype("string").str.strip()
    text = text.where(numbers.isna())  # numbers in a column not named as a year are not dates
    with warnings.catch_warnings():  # "could not infer format": the answer below is what counts
        warnings.simplefilter("ignore", UserWarning)
        parsed = pd.to_datetime(text, errors="coerce")  # one inferred format: fast
        if parsed.notna().sum() < DATE_SHARE * text.notna().sum():
            parsed = pd.to_datetime(text, errors="coerce", format="mixed")  # cell by cell: slow, rare
    return parsed


def _date_share(col: pd.Series, name: str) -> float:
    present = col.dropna()
    present = present[present.astype(str).str.strip() != ""].head(200)  # a sample decides quickly
    if present.empty:
        return 0.0
    return float(_as_dates(present, name).notna().mean())


def find_date_column(df: pd.DataFrame, wanted: str = "", detect: bool = True) -> tuple[str, str]:
    """(column, how it was chosen): the named column, else (if `detect`) a column whose values
    are dates for at least 95% of rows, preferring names like date, time or month; else ("", "")."""
    if wanted:
        if wanted not in df.columns:
            raise DataError(
                f"There is no column {wanted!r}; the columns are {', '.join(map(str, df.columns))}."
            )
        return wanted, "chosen by you"
    if not detect:
        return "", ""
    named = sorted(df.columns, key=lambda c: str(c).strip().lower() not in DATE_NAMES)  # names first
    for col in named:
        if _date_share(df[col], str(col)) >= DATE_SHARE:
            return col, "found: its values are dates"
    return "", ""


FREQUENCIES = {  # name: (typical step in hours, tolerance as a share of it)
    "hourly": (1.0, 0.1),
    "daily": (24.0, 0.1),
    "weekly": (168.0, 0.1),
    "monthly": (730.5, 0.1),
    "quarterly": (2191.5, 0.06),
    "yearly": (8766.0, 0.02),
}
OFFSETS = {
    "hourly": {"hours": 1},
    "daily": {"days": 1},
    "weekly": {"weeks": 1},
    "monthly": {"months": 1},
    "quarterly": {"months": 3},
    "yearly": {"years": 1},
}


def infer_frequency(dates: pd.Series) -> str:
    """hourly, daily, weekly, monthly, quarterly or yearly from the median step; "" if irregular."""
    steps = pd.Series(dates).diff().dropna()
    if steps.empty:
        return ""
    hours = steps.median() / pd.Timedelta(hours=1)
    for name, (typical, tolerance) in FREQUENCIES.items():
        if abs(hours - typical) <= tolerance * typical:
            return name
    return ""


# Calendar inputs that mean something at each frequency: (name, period, value from the dates).
CALENDAR = {
    "hourly": ("hour of day", "day of week", "day of year"),
    "daily": ("day of week", "day of year"),
    "weekly": ("day of year",),
    "monthly": ("month of year",),
    "quarterly": ("month of year",),
}


def calendar_columns(dates: pd.Series, freq: str) -> dict[str, np.ndarray]:
    """Sine/cosine pairs of the calendar position (so December sits next to January)."""
    d = pd.DatetimeIndex(dates)
    phase = {
        "hour of day": (d.hour + d.minute / 60) / 24,
        "day of week": d.dayofweek / 7,
        "day of year": (d.dayofyear - 1) / 365.25,
        "month of year": (d.month - 1) / 12,
    }
    out = {}
    for name in CALENDAR.get(freq, ()):
        angle = 2 * np.pi * np.asarray(phase[name], dtype="float64")
        out[f"{name} (sin)"], out[f"{name} (cos)"] = np.sin(angle), np.cos(angle)
    return out


def _stacked_series(df: pd.DataFrame, date_col: str, cfg: ForecastConfig, notes: list[str]) -> pd.DataFrame:
    """Rows of one series where a date repeats because several series are stacked in one file."""
    repeated = int(df["_date"].duplicated().sum())
    if not repeated:
        return df
    candidates = [
        c
        for c in df.columns
        if c not in (date_col, "_date") and df[c].nunique() <= 100 and not df.duplicated(["_date", c]).any()
    ]
    column = cfg.group_column or next((c for c in candidates if c not in numeric_columns(df[[c]])), "")
    if cfg.group_column and cfg.group_column not in df.columns:
        raise DataError(f"There is no column {cfg.group_column!r} to pick a series with.")
    if not column:
        notes.append(
            f"{repeated} rows repeat an earlier date in {date_col!r} and no column tells them apart:"
            " they are used in date order, as they are."
        )
        return df
    values = [str(v) for v in pd.unique(df[column].astype(str))]
    value = cfg.group_value or values[0]
    if value not in values:
        raise DataError(f"The column {column!r} has no value {value!r}; it has {', '.join(values[:20])}.")
    notes.append(
        f"Each date appears several times: the file holds {len(values)} series told apart by"
        f" {column!r} ({', '.join(values[:8])}{', ...' if len(values) > 8 else ''}). Forecasting {value!r};"
        " pick another with the series filter."
    )
    return df[df[column].astype(str) == value]


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
    date_col, date_how = find_date_column(df, cfg.date_column, cfg.detect_date)
    dates, freq, groups = None, "", None
    if date_col:
        parsed = _as_dates(df[date_col], date_col)
        bad = int(parsed.isna().sum())
        if bad == len(df):
            raise DataError(f"The date column {date_col!r} has no readable dates: pick another or none.")
        if bad:
            notes.append(f"Dropped {bad} rows whose date could not be read.")
        df = df.assign(_date=parsed).dropna(subset=["_date"])
        if not df["_date"].is_monotonic_increasing:
            df = df.sort_values("_date", kind="stable")
            notes.append(f"The rows were not in time order, so they were sorted by {date_col!r}.")
        if df["_date"].duplicated().any():
            before = df
            df = _stacked_series(df, date_col, cfg, notes)
            column = cfg.group_column or next(
                (c for c in df.columns if before[c].nunique() > df[c].nunique()), ""
            )
            if column:
                groups = (column, [str(v) for v in pd.unique(before[column].astype(str))])
        freq = infer_frequency(df["_date"])
    numeric = numeric_columns(df, exclude=date_col)
    if groups:
        numeric = [c for c in numeric if c != groups[0]]
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
    features = input_features(cfg, target)
    for feat in features:
        if feat not in numeric or feat == target:
            raise DataError(f"The extra feature {feat!r} is not a numeric column other than the target.")
    cols = [target, *features]
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
    fingerprint = fingerprint_frame(frame)
    calendar: list[str] = []
    if date_col:
        fmt = "%Y-%m-%d %H:%M" if freq == "hourly" or (df["_date"].dt.hour != 0).any() else "%Y-%m-%d"
        dates = df["_date"].dt.strftime(fmt).tolist()
        if cfg.calendar:
            extra = calendar_columns(df["_date"], freq)
            frame = frame.assign(**extra)
            calendar = list(extra)
    return Series(
        values=frame.to_numpy(dtype="float64"),
        columns=[*cols, *calendar],
        dates=dates,
        notes=notes,
        fingerprint=fingerprint,
        units=UNITS.get(source, ""),
        freq=freq,
        date_column=date_col,
        date_how=date_how,
        calendar=calendar,
        groups=groups,
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
    """The lag of the highest autocorrelation of the step-to-step changes after it first turns
    negative; 1 if none is clear. Changes, not levels: a trend makes every lag look alike."""
    y = np.diff(np.asarray(y, dtype="float64"))
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


SEASON_BY_FREQUENCY = {
    "hourly": (24, "a day"),
    "weekly": (52, "a year"),
    "monthly": (12, "a year"),
    "quarterly": (4, "a year"),
}


def choose_season(y_train: np.ndarray, freq: str, wanted: int = 0) -> tuple[int, str]:
    """(season length, how it was found): from the dates' frequency where there is one, else from
    the autocorrelation of the training split's changes."""
    if wanted:
        return wanted, "set by you"
    if freq in SEASON_BY_FREQUENCY:
        season, span = SEASON_BY_FREQUENCY[freq]
        if season < len(y_train) // 2:
            return season, f"from the {freq} dates: {season} steps make {span}"
    if freq == "daily":
        fits = {}
        for season in (7, 365):
            if season < len(y_train) // 2:
                fits[season] = float(np.mean(np.abs(y_train[season:] - y_train[:-season])))
        if fits:
            season = min(fits, key=fits.get)
            if len(fits) == 1:
                return season, "from the daily dates: a week (too few rows for a year)"
            return season, (
                f"from the daily dates: {'a year' if season == 365 else 'a week'} fits the training split"
                f" better than {'a week' if season == 365 else 'a year'}"
            )
    season = detect_season(y_train)
    if season == 1:
        return 1, "none found in the autocorrelation of the changes, so it repeats the last value"
    return season, "from the autocorrelation of the step-to-step changes in the training split"


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
    from core.training import make_optimizer

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
        "rnn": inv(model.predict(p.x[te], batch_size=512, verbose=0)),
        "persistence": persistence(target, p.t0[te], cfg.horizon),
        "seasonal_naive": seasonal_naive(target, p.t0[te], cfg.horizon, p.season),
        "linear": inv(linear_predict(linear, p.x[te])),
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
