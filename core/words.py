"""Plain words for what the pages show: metric names with units, and small held-out splits.

A teacher read `mae`, `rmse`, `mase` as table headers, and a verdict that rested on
"the 1 held-out pieces" without a word of warning.
"""

from __future__ import annotations

# Fewer held-out items than this and one item moves the score a lot: say so beside the verdict.
ENOUGH = {"pieces": 5, "reviews": 100, "forecasts": 30, "characters": 2000}


# Melody measures (core.melody.measures) -> table headers; core.melody.MEASURES_HELP explains each.
MELODY_COLUMNS = {  # short enough that the table fits a 1440 px page; shares are 0 to 1
    "events": "Notes and rests",
    "in_scale": "In the scale",
    "pitch_class_entropy": "Pitch variety (bits)",
    "range": "Range (semitones)",
    "step_share": "Small steps",
    "repeat_share": "Repeats",
}


def metric_columns(units: str) -> dict[str, str]:
    """Forecast metric keys -> table headers in plain words, with the series' unit."""
    unit = units or "the series' units"
    return {
        "mae": f"Mean absolute error ({unit})",
        "rmse": f"Root mean squared error ({unit})",
        "mase": "Error vs naive forecast (MASE; below 1 beats it)",
    }


def plural(n: int, word: str) -> str:
    return f"{n:,} {word}" if n != 1 else f"1 {word.removesuffix('s')}"


def small_split(n: int, what: str) -> str:
    """'' when `n` held-out `what` (a key of ENOUGH) are enough to judge by; else one warning sentence."""
    need = ENOUGH[what]
    if n >= need:
        return ""
    return (
        f"Only {plural(n, what)} held out: too few to judge the model by (a single one moves the score"
        f" a lot; {need:,} or more would be safer), so add data or raise the validation share."
    )
