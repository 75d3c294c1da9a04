"""The run store: one SQLite file (WAL mode) plus a folder of files per run.

Rows hold what a run was (task, config, data fingerprint, library versions),
how it went (status, metrics per epoch, final metrics, error) and where its
model lives. Each run's folder holds `model.keras`, `config.json` and the
companions the task needs to use the model again (a scaler, a vocabulary).
A process that dies mid-run cannot mark its rows, so the next store opened
marks runs whose owning process is gone as interrupted.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import sqlite3
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from core.datasets import data_dir

STATUSES = ("queued", "running", "done", "stopped", "failed", "interrupted")
ACTIVE = ("queued", "running")

_SCHEMA = """
CREATE TABLE IF NOT EXISTS runs (
    id TEXT PRIMARY KEY,
    task TEXT NOT NULL,
    status TEXT NOT NULL,
    config TEXT NOT NULL,
    data_name TEXT NOT NULL DEFAULT '',
    fingerprint TEXT NOT NULL DEFAULT '',
    versions TEXT NOT NULL DEFAULT '{}',
    final TEXT NOT NULL DEFAULT '{}',
    error TEXT NOT NULL DEFAULT '',
    created REAL NOT NULL,
    started REAL,
    finished REAL,
    host TEXT NOT NULL DEFAULT '',
    pid INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS epochs (
    run_id TEXT NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
    epoch INTEGER NOT NULL,
    metrics TEXT NOT NULL,
    PRIMARY KEY (run_id, epoch)
);
"""


def _pid_alive(pid: int) -> bool:
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


class RunStore:
    """Thread-safe access to the runs database; one connection per call keeps it simple."""

    def __init__(self, root: Path | str | None = None) -> None:
        self.root = Path(root) if root else data_dir()
        self.root.mkdir(parents=True, exist_ok=True)
        self.files = self.root / "runs"
        self.files.mkdir(exist_ok=True)
        self._lock = threading.Lock()
        self.warning = ""  # set when runs.db could not be used; the pages show it
        self.db_path = self._open_database()
        self.mark_interrupted()

    def _open_database(self) -> Path:
        """runs.db, or, if it is corrupt or locked, a fresh store beside it (never deleting it)."""
        main = self.root / "runs.db"
        fallbacks = sorted(self.root.glob("runs-*.db"), reverse=True)
        problem = ""
        for path in [main, *fallbacks]:
            try:
                con = sqlite3.connect(path, timeout=5, isolation_level=None)
                try:
                    con.execute("PRAGMA journal_mode=WAL")
                    con.executescript(_SCHEMA)
                    con.execute("BEGIN IMMEDIATE")  # can we write at all, or is it locked?
                    con.execute("ROLLBACK")
                finally:
                    con.close()
            except sqlite3.DatabaseError as exc:
                problem = problem or f"{exc}"
                continue
            if path != main:
                self.warning = (
                    f"The run store runs.db in {self.root} could not be used ({problem}), so runs are"
                    f" kept in {path.name} beside it. The old file was left untouched for you to inspect."
                )
            return path
        path = self.root / time.strftime("runs-%Y%m%d-%H%M%S.db")
        con = sqlite3.connect(path, isolation_level=None)
        con.execute("PRAGMA journal_mode=WAL")
        con.executescript(_SCHEMA)
        con.close()
        self.warning = (
            f"The run store runs.db in {self.root} could not be used ({problem}), so a fresh store"
            f" {path.name} was started beside it. The old file was left untouched for you to inspect."
        )
        return path

    @contextmanager
    def _connect(self) -> Iterator[sqlite3.Connection]:
        con = sqlite3.connect(self.db_path, timeout=30, isolation_level=None)
        try:
            con.row_factory = sqlite3.Row
            con.execute("PRAGMA foreign_keys=ON")
            yield con
        finally:
            con.close()

    def _write(self, sql: str, args: tuple = ()) -> None:
        with self._lock, self._connect() as con:
            con.execute(sql, args)

    # --- lifecycle -------------------------------------------------------
    def create(self, task: str, config: dict, data_name: str = "") -> str:
        run_id = time.strftime("%Y%m%d-%H%M%S-") + uuid.uuid4().hex[:6]
        self._write(
            "INSERT INTO runs (id, task, status, config, data_name, created, host, pid)"
            " VALUES (?, ?, 'queued', ?, ?, ?, ?, ?)",
            (
                run_id,
                task,
                json.dumps(config, sort_keys=True),
                data_name,
                time.time(),
                socket.gethostname(),
                os.getpid(),
            ),
        )
        return run_id

    def start(self, run_id: str, fingerprint: str = "", versions: dict | None = None) -> None:
        self._write(
            "UPDATE runs SET status='running', started=?, fingerprint=?, versions=? WHERE id=?",
            (time.time(), fingerprint, json.dumps(versions or {}), run_id),
        )

    def set_fingerprint(self, run_id: str, fingerprint: str) -> None:
        self._write("UPDATE runs SET fingerprint=? WHERE id=?", (fingerprint, run_id))

    def add_epoch(self, run_id: str, epoch: int, metrics: dict) -> None:
        self._write(
            "INSERT OR REPLACE INTO epochs (run_id, epoch, metrics) VALUES (?, ?, ?)",
            (run_id, epoch, json.dumps(metrics)),
        )

    def finish(self, run_id: str, status: str, final: dict | None = None, error: str = "") -> None:
        assert status in STATUSES
        self._write(
            "UPDATE runs SET status=?, final=?, error=?, finished=? WHERE id=?",
            (status, json.dumps(final or {}), error, time.time(), run_id),
        )

    def mark_interrupted(self) -> int:
        """Mark queued or running rows whose owning process on this host has died."""
        host = socket.gethostname()
        with self._lock, self._connect() as con:
            rows = con.execute(
                "SELECT id, pid FROM runs WHERE status IN ('queued', 'running') AND host=?",
                (host,),
            ).fetchall()
            dead = [r["id"] for r in rows if not _pid_alive(r["pid"])]
            for run_id in dead:
                con.execute(
                    "UPDATE runs SET status='interrupted', finished=?,"
                    " error='the process running it stopped before it finished' WHERE id=?",
                    (time.time(), run_id),
                )
        return len(dead)

    # --- reading ---------------------------------------------------------
    @staticmethod
    def _row(row: sqlite3.Row) -> dict:
        d = dict(row)
        for key in ("config", "versions", "final"):
            d[key] = json.loads(d[key])
        return d

    def get(self, run_id: str) -> dict | None:
        with self._connect() as con:
            row = con.execute("SELECT * FROM runs WHERE id=?", (run_id,)).fetchone()
        return self._row(row) if row else None

    def list(self, task: str | None = None, status: str | None = None) -> list[dict]:
        sql, args = "SELECT * FROM runs WHERE 1=1", []
        if task:
            sql += " AND task=?"
            args.append(task)
        if status:
            sql += " AND status=?"
            args.append(status)
        with self._connect() as con:
            rows = con.execute(sql + " ORDER BY created DESC", args).fetchall()
        return [self._row(r) for r in rows]

    def epochs(self, run_id: str) -> list[dict]:
        with self._connect() as con:
            rows = con.execute(
                "SELECT epoch, metrics FROM epochs WHERE run_id=? ORDER BY epoch", (run_id,)
            ).fetchall()
        return [{"epoch": r["epoch"], **json.loads(r["metrics"])} for r in rows]

    def count(self) -> int:
        with self._connect() as con:
            return con.execute("SELECT COUNT(*) FROM runs").fetchone()[0]

    # --- files -----------------------------------------------------------
    def run_dir(self, run_id: str) -> Path:
        path = self.files / run_id
        path.mkdir(parents=True, exist_ok=True)
        return path

    def result(self, run_id: str) -> dict | None:
        """The saved result (what the task's page draws), if the run wrote one."""
        path = self.files / run_id / "result.json"
        return json.loads(path.read_text()) if path.is_file() else None

    def delete(self, run_id: str) -> None:
        self._write("DELETE FROM runs WHERE id=?", (run_id,))
        shutil.rmtree(self.files / run_id, ignore_errors=True)
