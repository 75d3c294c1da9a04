"""CSV uploads are bounded before pandas parses them: columns, line length, time."""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from core.config import ForecastConfig
from core.csv_upload import MAX_COLUMNS, MAX_LINE_CHARS
from core.datasets import DataError, read_csv_with_encoding
from core.forecasting import prepare_series

ROOT = Path(__file__).resolve().parents[2]
FORECAST = str(ROOT / "app_pages" / "1_Forecasting.py")


def wide_csv(columns: int) -> bytes:
    return (
        ",".join(f"c{i}" for i in range(columns)) + "\n" + ",".join("1" for _ in range(columns)) + "\n"
    ).encode()


def refused(data: bytes) -> str:
    t0 = time.time()
    with pytest.raises(DataError) as info:
        read_csv_with_encoding(data)
    assert time.time() - t0 < 2, "the refusal must come before any slow parse"
    message = str(info.value)
    assert f"{MAX_COLUMNS:,} columns" in message and f"{MAX_LINE_CHARS:,} characters" in message, message
    return message


def test_a_million_columns_is_refused_at_once_with_both_limits():
    refused(wide_csv(1_000_000))


def test_too_many_columns_or_a_long_line_is_refused():
    assert "1,001 columns" in refused(wide_csv(MAX_COLUMNS + 1))
    assert "line longer" in refused(b"a,b\n1,2\n" + b"x" * (MAX_LINE_CHARS + 1) + b",3\n")
    assert "first line" in refused(b"x" * 30_000_000)


def test_files_within_the_limits_still_read():
    assert read_csv_with_encoding(wide_csv(MAX_COLUMNS))[0].shape == (1, MAX_COLUMNS)
    df, _ = read_csv_with_encoding(b"date;value\n2020-01-01;1,5\n2020-01-02;2\n")
    assert list(df.columns) == ["date", "value"]
    df, _ = read_csv_with_encoding(b'review,label\n"good, really good",1\n"bad",0\n')
    assert df["review"].tolist() == ["good, really good", "bad"]


def test_the_parse_has_a_time_limit(monkeypatch):
    monkeypatch.setattr("core.csv_upload.PARSE_SECONDS", 0.0)
    monkeypatch.setattr("core.csv_upload.CHUNK_ROWS", 10)
    data = ("a,b\n" + "1,2\n" * 1000).encode()
    with pytest.raises(DataError, match="took longer than"):
        read_csv_with_encoding(data)


def test_infinity_in_the_target_is_a_missing_value():
    values = np.sin(np.arange(200) / 5.0)
    df = pd.DataFrame({"value": values.astype(object)})
    df.loc[50, "value"], df.loc[51, "value"] = "inf", "-inf"
    series = prepare_series(df, ForecastConfig(data="x.csv", column="value"))
    assert np.isfinite(series.values).all()
    assert any("Filled missing values in 2 rows" in n for n in series.notes)


def test_the_page_says_it_in_one_sentence(fresh_app):
    at = AppTest.from_file(FORECAST, default_timeout=60).run()
    at.radio(key="fc_source").set_value("csv").run()
    at.file_uploader(key="fc_upload").set_value(("wide.csv", wide_csv(200_000), "text/csv"))
    at.run()
    assert not at.exception
    assert at.error and f"{MAX_COLUMNS:,} columns" in at.error[0].value
