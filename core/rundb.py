"""The run store's two databases: a SQLite file (the default) or PostgreSQL (`RNN_STUDIO_DB`).

Both speak the same SQL (written with `?` placeholders; PostgreSQL's driver gets
`%s`) and the same versioned schema: `schema_version` holds the number of the
last migration applied, and every start applies the missing ones in one
transaction. PostgreSQL goes through psycopg 3 directly, not SQLAlchemy: the
store's dozen statements are plain SQL already, one driver is a smaller install
than an ORM toolkit plus a driver, and the SQLite path (with its corrupt and
locked file handling) stays exactly as it was.
"""

from __future__ import annotations

import re
import sqlite3
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from core.datasets import DataError
from core.storage_errors import DISK_FULL, is_disk_full, is_unusable_file

# Migration n (1-based) brings the schema from version n-1 to n. {real} and {blob}
# are the dialect's double-precision float and byte-string types.
MIGRATIONS = [
    [
        """CREATE TABLE IF NOT EXISTS runs (
            id TEXT PRIMARY KEY,
            task TEXT NOT NULL,
            status TEXT NOT NULL,
            config TEXT NOT NULL,
            data_name TEXT NOT NULL DEFAULT '',
            fingerprint TEXT NOT NULL DEFAULT '',
            versions TEXT NOT NULL DEFAULT '{{}}',
            final TEXT NOT NULL DEFAULT '{{}}',
            error TEXT NOT NULL DEFAULT '',
            created {real} NOT NULL,
            started {real},
            finished {real},
            host TEXT NOT NULL DEFAULT '',
            pid INTEGER NOT NULL DEFAULT 0
        )""",
        """CREATE TABLE IF NOT EXISTS epochs (
            run_id TEXT NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
            epoch INTEGER NOT NULL,
            metrics TEXT NOT NULL,
            PRIMARY KEY (run_id, epoch)
        )""",
    ],
    [  # where each run trained: "local" or a Ray cluster, and the machine (node) that ran it
        "ALTER TABLE runs ADD COLUMN executor TEXT NOT NULL DEFAULT ''",
        "ALTER TABLE runs ADD COLUMN node TEXT NOT NULL DEFAULT ''",
    ],
    [  # model files, for stores that keep them in the database (PostgreSQL)
        """CREATE TABLE IF NOT EXISTS run_files (
            run_id TEXT NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
            name TEXT NOT NULL,
            data {blob} NOT NULL,
            PRIMARY KEY (run_id, name)
        )""",
    ],
    [  # who made each run (a browser's id, or "" for the command line): who may delete it
        "ALTER TABLE runs ADD COLUMN owner TEXT NOT NULL DEFAULT ''",
    ],
    [  # class mode: the name a student chose, the lesson a run was made in, hidden from the board
        # by the teacher, and the request's fingerprint (identical requests train once)
        "ALTER TABLE runs ADD COLUMN display_name TEXT NOT NULL DEFAULT ''",
        "ALTER TABLE runs ADD COLUMN lesson TEXT NOT NULL DEFAULT ''",
        "ALTER TABLE runs ADD COLUMN hidden INTEGER NOT NULL DEFAULT 0",
        "ALTER TABLE runs ADD COLUMN request_key TEXT NOT NULL DEFAULT ''",
        "CREATE INDEX IF NOT EXISTS runs_request_key ON runs (request_key)",
        "CREATE INDEX IF NOT EXISTS runs_created ON runs (created)",
    ],
]
VERSION = len(MIGRATIONS)


def _migrate(execute, types: dict, mark: str) -> None:
    """Apply the missing migrations; the caller holds a write transaction. A store made
    before versioning counts as version 0: the first migration's CREATEs are IF NOT EXISTS."""
    execute("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)")
    current = execute("SELECT MAX(version) FROM schema_version").fetchone()[0] or 0
    for number, statements in enumerate(MIGRATIONS[current:], start=current + 1):
        for sql in statements:
            execute(sql.format(**types))
        execute(f"INSERT INTO schema_version (version) VALUES ({mark})", (number,))


class SqliteDB:
    """runs.db in the data directory (WAL mode), or a fresh file beside it if it is corrupt or locked."""

    kind = "sqlite"
    files_in_db = False

    def __init__(self, root: Path) -> None:
        self.root = root
        self.warning = ""
        self.path = self._open()

    @staticmethod
    def _prepare(con: sqlite3.Connection) -> None:
        con.execute("PRAGMA journal_mode=WAL")
        con.execute("BEGIN IMMEDIATE")  # can we write at all, or is it locked? (also serialises migrations)
        _migrate(con.execute, {"real": "REAL", "blob": "BLOB"}, "?")
        con.execute("COMMIT")

    def _open(self) -> Path:
        """runs.db, or, if it is corrupt or locked, a fresh store beside it (never deleting it)."""
        main = self.root / "runs.db"
        fallbacks = sorted(self.root.glob("runs-*.db"), reverse=True)
        existed = main.exists()
        problem = ""
        for path in [main, *fallbacks]:
            try:
                con = sqlite3.connect(path, timeout=5, isolation_level=None)
                try:
                    self._prepare(con)
                finally:
                    con.close()
            except sqlite3.DatabaseError as exc:
                if path == main and not existed:
                    for leftover in (main, main.with_name("runs.db-wal"), main.with_name("runs.db-shm")):
                        leftover.unlink(missing_ok=True)  # ours, and empty: not worth keeping
                if not is_unusable_file(exc):
                    # A full disk or a folder without write permission is no reason to start
                    # another file: that one would fail the same way (or be left empty).
                    raise DataError(
                        DISK_FULL
                        if is_disk_full(exc, self.root)
                        else f"The run store {path} could not be opened ({exc})."
                    ) from exc
                problem = problem or f"{exc}"
                continue
            if path != main:
                self.warning = (
                    f"The run store runs.db in {self.root} could not be used ({problem}), so runs are"
                    f" kept in {path.name} beside it. The old file was left untouched for you to inspect."
                )
            return path
        path = self.root / time.strftime("runs-%Y%m%d-%H%M%S.db")
        try:
            con = sqlite3.connect(path, isolation_level=None)
            try:
                self._prepare(con)
            finally:
                con.close()
        except (sqlite3.Error, OSError) as exc:
            for leftover in (path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")):
                leftover.unlink(missing_ok=True)  # never leave an empty store behind
            raise DataError(
                DISK_FULL if is_disk_full(exc, self.root) else f"No run store could be started ({exc})."
            ) from exc
        self.warning = (
            f"The run store runs.db in {self.root} could not be used ({problem}), so a fresh store"
            f" {path.name} was started beside it. The old file was left untouched for you to inspect."
        )
        return path

    @contextmanager
    def connect(self) -> Iterator[sqlite3.Connection]:
        con = sqlite3.connect(self.path, timeout=30, isolation_level=None)
        try:
            con.row_factory = sqlite3.Row
            con.execute("PRAGMA foreign_keys=ON")
            yield con
        finally:
            con.close()

    def describe(self) -> str:
        return f"SQLite file {self.path}"


_PLACEHOLDER = re.compile(r"\?")


class _PgConnection:
    """A psycopg connection that takes the store's `?` placeholders."""

    def __init__(self, con) -> None:
        self._con = con

    def execute(self, sql: str, args=()):
        return self._con.execute(_PLACEHOLDER.sub("%s", sql), tuple(args))


class PostgresDB:
    """A PostgreSQL database shared by every app server; model files live in it too (run_files)."""

    kind = "postgresql"
    files_in_db = True

    def __init__(self, url: str) -> None:
        try:
            import psycopg
        except ImportError as exc:
            raise DataError(
                "RNN_STUDIO_DB names a PostgreSQL database, but psycopg is not installed:"
                " pip install -r requirements-scale.txt"
            ) from exc
        self._psycopg = psycopg
        self.url = url
        self.warning = ""
        try:
            with psycopg.connect(url, connect_timeout=10) as con:  # one transaction, committed on exit
                con.execute("SELECT pg_advisory_xact_lock(4151)")  # one migrating server at a time
                _migrate(con.execute, {"real": "DOUBLE PRECISION", "blob": "BYTEA"}, "%s")
        except psycopg.Error as exc:
            raise DataError(
                f"The PostgreSQL run store ({self.describe()}) could not be opened: {exc}".strip()
            ) from exc

    @contextmanager
    def connect(self) -> Iterator[_PgConnection]:
        from psycopg.rows import dict_row

        con = self._psycopg.connect(self.url, autocommit=True, row_factory=dict_row, connect_timeout=10)
        try:
            yield _PgConnection(con)
        finally:
            con.close()

    def describe(self) -> str:
        """The URL without its password."""
        return re.sub(r"//([^:/@]+):[^@]*@", r"//\1:***@", self.url)


def open_db(url: str, root: Path) -> SqliteDB | PostgresDB:
    if not url:
        return SqliteDB(root)
    if url.startswith(("postgresql://", "postgres://")):
        return PostgresDB(url)
    raise DataError(
        f"RNN_STUDIO_DB must be a postgresql:// URL (got {url[:40]!r}); leave it unset for"
        " the SQLite file in the data directory."
    )
