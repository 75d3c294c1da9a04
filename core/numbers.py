"""Numbers for people: in the data's units, with thousands separators, never in scientific notation."""

from __future__ import annotations

import math


def fmt_value(value: float, units: str = "", digits: int = 3, trim: bool = False) -> str:
    """`value` with about `digits` significant digits, e.g. 137,100 · 2.83 · 0.0412 (never 1.371e+05).

    Large numbers keep every digit before the point (a forecast of 137,051 jobs is not
    "137,000"); small ones get the decimals they need to show `digits` significant figures.
    """
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        text = "n/a" if value is None or math.isnan(value) else ("∞" if value > 0 else "-∞")
    else:
        size = abs(float(value))
        decimals = digits - 1 if size == 0 else max(0, digits - 1 - int(math.floor(math.log10(size))))
        decimals = min(decimals, 8)
        text = f"{float(value):,.{decimals}f}"
        if trim and "." in text:  # in a sentence: 6.5, not 6.500
            text = text.rstrip("0").rstrip(".")
        if text.startswith("-") and float(text.replace(",", "")) == 0:
            text = text[1:]
    return f"{text} {units}" if units else text


def join_words(items: list[str], conjunction: str = "and") -> str:
    """'a', 'a and b', 'a, b and c': an English list."""
    items = list(items)
    if not items:
        return ""
    if len(items) == 1:
        return items[0]
    return f"{', '.join(items[:-1])} {conjunction} {items[-1]}"


def plain_number(x: float) -> str:
    """`fmt_value` for a table cell: "-" where there is no number, "0" for zero."""
    if not isinstance(x, int | float) or not math.isfinite(x):
        return "-"
    return "0" if x == 0 else fmt_value(x)
