"""Reading an uploaded CSV with bounds that hold before pandas sees it.

A 10 MB file with a million columns kept pandas' Python engine busy for minutes
(and the server with it). So the header and first lines are sniffed with the
standard library first (the separator, the number of columns), the longest line
is measured at C speed, and only then does pandas'
C engine parse the text, in chunks, with a deadline checked between them.
"""

from __future__ import annotations

import csv
import io
import time
from typing import TYPE_CHECKING

from core.errors import DataError

# The Streamlit server refuses larger uploads too (.streamlit/config.toml, server.maxUploadSize).
MAX_UPLOAD_MB = 50

if TYPE_CHECKING:
    import pandas as pd

MAX_COLUMNS = 1000
MAX_LINE_CHARS = 100_000  # a long review fits; a one-line 30 MB file does not
PARSE_SECONDS = 20.0
CHUNK_ROWS = 20_000
SNIFF_CHARS = 4 * MAX_LINE_CHARS  # the first lines, for the separator
LIMITS = f"this app reads at most {MAX_COLUMNS:,} columns and lines of at most {MAX_LINE_CHARS:,} characters"


def decode(data: bytes) -> tuple[str, str]:
    """(text, encoding): UTF-8 (with or without a BOM), else Windows-1252, else Latin-1."""
    for encoding in ("utf-8-sig", "cp1252", "latin-1"):
        try:
            return data.decode(encoding), encoding
        except UnicodeDecodeError:
            continue
    raise AssertionError("latin-1 decodes any bytes")


def sniff(text: str) -> tuple[str, int]:
    """(separator, columns in the header) from the first lines only."""
    if text.find("\n", 0, MAX_LINE_CHARS + 1) == -1 and len(text) > MAX_LINE_CHARS:
        raise DataError(f"The CSV's first line is longer than {MAX_LINE_CHARS:,} characters, and {LIMITS}.")
    lines = text[:SNIFF_CHARS].splitlines()[:20] or [""]
    try:
        sep = csv.Sniffer().sniff("\n".join(lines), delimiters=",;\t|").delimiter
    except csv.Error:
        sep = ","
    header = next(csv.reader(lines[:1], delimiter=sep), [])
    return sep, len(header)


def read(data: bytes) -> tuple[pd.DataFrame, str]:
    import pandas as pd

    if len(data) > MAX_UPLOAD_MB * 1024 * 1024:
        raise DataError(f"The file is larger than {MAX_UPLOAD_MB} MB: upload a smaller file.")
    if not data.strip():
        raise DataError("The CSV file is empty: choose a file with a header row and data rows.")
    if b"\x00" in data[:4096]:
        raise DataError("This does not look like a CSV file (it contains binary data).")
    text, encoding = decode(data)
    sep, columns = sniff(text)
    if columns > MAX_COLUMNS:
        raise DataError(f"The CSV has {columns:,} columns, and {LIMITS}: keep only the columns you need.")
    if max(map(len, text.splitlines()), default=0) > MAX_LINE_CHARS:  # C speed: ~0.1 s for 50 MB
        raise DataError(f"The CSV has a line longer than {MAX_LINE_CHARS:,} characters, and {LIMITS}.")
    deadline = time.monotonic() + PARSE_SECONDS
    parts = []
    try:
        for chunk in pd.read_csv(
            io.StringIO(text), sep=sep, engine="c", chunksize=CHUNK_ROWS, low_memory=False
        ):
            parts.append(chunk)
            if time.monotonic() > deadline:
                raise DataError(
                    f"Reading the CSV took longer than {PARSE_SECONDS:.0f} s: upload a smaller file, and {LIMITS}."
                )
    except (pd.errors.ParserError, pd.errors.EmptyDataError, csv.Error, UnicodeError, ValueError) as exc:
        if isinstance(exc, DataError):
            raise
        raise DataError(
            f"This file could not be read as CSV ({str(exc)[:200]}). Save it as comma-separated text."
        ) from exc
    df = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame()
    if df.empty or df.shape[1] == 0:
        raise DataError("The CSV has a header but no data rows.")
    return df, encoding
