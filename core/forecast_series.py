"""Reading a time series for forecasting: the data sets, the date column, its frequency,
calendar inputs, stacked series, and the season length.

Everything here runs before any window is cut or any model is built, so the page can
preview a series (and the command line check it) without TensorFlow.
"""

from __future__ import annotations

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
