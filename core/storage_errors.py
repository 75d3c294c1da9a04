"""Telling a full disk apart from other storage failures, in one place.

A full disk shows up as the operating system's "no space" error (writing a model,
a folder) or as SQLite's "database or disk is full" (writing a row). Both mean the
same thing to a user; neither means the run store is corrupt.
"""

from __future__ import annotations

import errno
import os
import sqlite3
from pathlib import Path

DISK_FULL = "The disk is full, so the model could not be saved: free some space and train again."
# SQLite's primary result codes (https://www.sqlite.org/rescode.html).
SQLITE_FULL = 13
SQLITE_CORRUPT = 11
SQLITE_NOTADB = 26
SQLITE_BUSY = 5
SQLITE_LOCKED = 6
SQLITE_IOERR = 10
MIN_FREE = 1024 * 1024  # bytes: less than this free is a full disk


def no_space(where: Path | str | None = None) -> bool:
    """Whether the filesystem of `where` (default: the data directory) has (almost) no room."""
    from core.datasets import data_dir

    try:
        st = os.statvfs(where or data_dir())
    except OSError:
        return False
    return st.f_bavail * st.f_frsize < MIN_FREE


def is_disk_full(exc: BaseException, where: Path | str | None = None) -> bool:
    """True for the OS's ENOSPC/EDQUOT and SQLite's SQLITE_FULL, also when wrapped in a chain.
    SQLite says only "disk I/O error" when its shared-memory file cannot grow (WAL mode on a
    full tmpfs, measured): then the filesystem of `where` is asked whether it has room."""
    seen = 0
    while exc is not None and seen < 10:
        if isinstance(exc, OSError) and exc.errno in (errno.ENOSPC, errno.EDQUOT):
            return True
        if (
            isinstance(exc, sqlite3.Error)
            and (getattr(exc, "sqlite_errorcode", 0) or 0) & 0xFF == SQLITE_FULL
        ):
            return True
        if isinstance(exc, sqlite3.Error) and "database or disk is full" in str(exc):
            return True
        code = getattr(exc, "sqlite_errorcode", 0) or 0
        if isinstance(exc, sqlite3.Error) and (code & 0xFF == SQLITE_IOERR or "disk I/O error" in str(exc)):
            return no_space(where)
        exc, seen = exc.__cause__ or exc.__context__, seen + 1
    return False


def is_unusable_file(exc: sqlite3.Error) -> bool:
    """A database file that is corrupt, not a database, or locked by someone else: the store then
    starts a fresh file beside it. Anything else (a full disk, no permission) is not the file's fault."""
    code = (getattr(exc, "sqlite_errorcode", 0) or 0) & 0xFF
    if code:
        return code in (SQLITE_CORRUPT, SQLITE_NOTADB, SQLITE_BUSY, SQLITE_LOCKED)
    text = str(exc)
    return any(s in text for s in ("malformed", "not a database", "locked", "busy"))


def user_message(exc: BaseException, where: Path | str | None = None) -> str:
    """The one sentence a storage failure is shown with."""
    if is_disk_full(exc, where):
        return DISK_FULL
    return str(exc)
