"""The run store: a database (a SQLite file by default, PostgreSQL with `RNN_STUDIO_DB`)
plus a folder of files per run.

Rows hold what a run was (task, config, data fingerprint, library versions),
how it went (status, metrics per epoch, final metrics, error) and where its
model lives. Each run's folder holds `model.keras`, `config.json` and the
companions the task needs to use the model again (a scaler, a vocabulary).
A process that dies mid-run cannot mark its rows, so the next store opened
marks runs whose owning process is gone as interrupted.

With PostgreSQL several app servers share the store, so a run's files are also
kept in the database (table run_files, written when the run finishes): models
here are kilobytes to a few MB, one backup then holds everything, and no shared
folder has to be mounted on every server. Each server keeps a local copy under
`runs/` in its data directory, fetched from the database on first use.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import threading
import time
import uuid
from pathlib import Path

from core.datasets import DataError, data_dir
from core.run_class_fields import ClassFields
from core.rundb import open_db
from core.storage_errors import is_disk_full, user_message
from core.tasks import TASKS as TASK_RECORDS

STATUSES = ("queued", "running", "done", "stopped", "failed", "interrupted")
# The tasks a row may name (the records in core.tasks, which import no task code).
TASKS = tuple(TASK_RECORDS)
ACTIVE = ("queued", "running")


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


def _problem(d: dict) -> str:
    """Why a stored row cannot be shown ("" when it can); parses its JSON columns in place."""
    for key in ("config", "versions", "final"):
        try:
            d[key] = json.loads(d[key])
        except (TypeError, ValueError, RecursionError):
            return f"its {key} is not readable JSON"
        if not isinstance(d[key], dict):
            return f"its {key} is not a JSON object"
    if d.get("task") not in TASKS:
        return "its task is unknown"
    if d.get("status") not in STATUSES:
        return "its status is unknown"
    if not all(isinstance(v, str) for v in d["versions"].values()):
        return "its library versions are not texts"
    if not isinstance(d.get("created"), int | float):
        return "its creation time is not a number"
    return ""


class RunStore(ClassFields):
    """Thread-safe access to the runs database; one connection per call keeps it simple."""

    def __init__(self, root: Path | str | None = None, url: str | None = None) -> None:
        self.root = Path(root) if root else data_dir()
        self.files = self.root / "runs"
        try:
            self.files.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise DataError(
                user_message(exc)
                if is_disk_full(exc)
                else f"The data directory {self.root} cannot be written ({exc})."
            ) from exc
        self._lock = threading.Lock()
        self.url = os.environ.get("RNN_STUDIO_DB", "") if url is None else url
        self._db = open_db(self.url, self.root)
        self.warning = self._db.warning  # set when runs.db could not be used; the pages show it
        self.db_path = getattr(self._db, "path", None)  # the SQLite file (None on PostgreSQL)
        self.mark_interrupted()

    @property
    def kind(self) -> str:
        """'sqlite' or 'postgresql'."""
        return self._db.kind

    def describe(self) -> str:
        """Where the runs are kept, for the landing page (no password)."""
        return self._db.describe()

    def _connect(self):
        return self._db.connect()

    def _write(self, sql: str, args: tuple = ()) -> None:
        with self._lock, self._connect() as con:
            con.execute(sql, args)

    # --- lifecycle -------------------------------------------------------
    @staticmethod
    def new_id() -> str:
        return time.strftime("%Y%m%d-%H%M%S-") + uuid.uuid4().hex[:6]

    def create(self, task: str, config: dict, data_name: str = "", owner: str = "") -> str:
        run_id = self.new_id()
        self._write(
            "INSERT INTO runs (id, task, status, config, data_name, created, host, pid, owner)"
            " VALUES (?, ?, 'queued', ?, ?, ?, ?, ?, ?)",
            (
                run_id,
                task,
                json.dumps(config, sort_keys=True),
                data_name,
                time.time(),
                socket.gethostname(),
                os.getpid(),
                owner,
            ),
        )
        return run_id

    def add_imported(
        self, row: dict, status: str, final: dict, epochs: list, staging: Path, owner: str = ""
    ) -> str:
        """Add a checked imported run: its row, epochs and files (already in `staging`, a hidden
        folder under runs/) appear together or not at all."""
        run_id = self.new_id()
        folder = self.files / run_id
        now = time.time()
        try:
            with self._lock, self._connect() as con:
                con.execute("BEGIN")
                try:
                    con.execute(
                        "INSERT INTO runs (id, task, status, config, data_name, fingerprint, versions,"
                        " final, error, created, started, finished, host, pid, executor, node, owner)"
                        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 0, ?, ?, ?)",
                        (
                            run_id,
                            row["task"],
                            status,
                            json.dumps(row["config"], sort_keys=True),
                            row["data_name"],
                            row["fingerprint"],
                            json.dumps(row["versions"]),
                            json.dumps(final),
                            row["error"],
                            now,
                            now,
                            now,
                            socket.gethostname(),
                            row["executor"] or "local",
                            row["node"],
                            owner,
                        ),
                    )
                    for epoch, metrics in epochs:
                        con.execute(
                            "INSERT INTO epochs (run_id, epoch, metrics) VALUES (?, ?, ?)"
                            " ON CONFLICT (run_id, epoch) DO UPDATE SET metrics=excluded.metrics",
                            (run_id, epoch, json.dumps(metrics)),
                        )
                    if self._db.files_in_db:
                        for p in sorted(staging.iterdir()):
                            con.execute(
                                "INSERT INTO run_files (run_id, name, data) VALUES (?, ?, ?)",
                                (run_id, p.name, p.read_bytes()),
                            )
                    staging.rename(folder)  # inside the transaction: a failed rename rolls the row back
                    con.execute("COMMIT")
                except BaseException:
                    con.execute("ROLLBACK")
                    if folder.exists() and not staging.exists():
                        folder.rename(staging)
                    raise
        finally:
            shutil.rmtree(staging, ignore_errors=True)
        return run_id

    def start(
        self,
        run_id: str,
        fingerprint: str = "",
        versions: dict | None = None,
        executor: str = "local",
        node: str = "",
    ) -> None:
        """Mark a run running; `executor` ("local" or the Ray address) and `node` say where."""
        self._write(
            "UPDATE runs SET status='running', started=?, fingerprint=?, versions=?, executor=?, node=?"
            " WHERE id=?",
            (
                time.time(),
                fingerprint,
                json.dumps(versions or {}),
                executor,
                node or socket.gethostname(),
                run_id,
            ),
        )

    def set_fingerprint(self, run_id: str, fingerprint: str) -> None:
        self._write("UPDATE runs SET fingerprint=? WHERE id=?", (fingerprint, run_id))

    def add_epoch(self, run_id: str, epoch: int, metrics: dict) -> None:
        self._write(
            "INSERT INTO epochs (run_id, epoch, metrics) VALUES (?, ?, ?)"
            " ON CONFLICT (run_id, epoch) DO UPDATE SET metrics=excluded.metrics",
            (run_id, epoch, json.dumps(metrics)),
        )

    def finish(self, run_id: str, status: str, final: dict | None = None, error: str = "") -> None:
        assert status in STATUSES
        self._write(
            "UPDATE runs SET status=?, final=?, error=?, finished=? WHERE id=?",
            (status, json.dumps(final or {}), error, time.time(), run_id),
        )
        if self._db.files_in_db:
            self._upload_files(run_id)

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

    def probe_space(self, size: int = 1024 * 1024) -> None:
        """Raise OSError (no space) unless a small file can be written where the runs live."""
        probe = self.root / f".space-probe-{os.getpid()}"
        try:
            with open(probe, "wb") as f:
                f.write(b"\0" * size)
                f.flush()
                os.fsync(f.fileno())
        finally:
            probe.unlink(missing_ok=True)

    # --- reading ---------------------------------------------------------
    @staticmethod
    def _row(row) -> dict:
        """A row as a dict; a row that cannot be shown (bad JSON, wrong types, an unknown task) gets
        `damaged` (why) and empty settings, so one bad row never breaks a listing."""
        d = dict(row)
        d["damaged"] = _problem(d)
        if d["damaged"]:
            d["config"], d["versions"], d["final"] = {}, {}, {}
            d["created"] = d["created"] if isinstance(d.get("created"), int | float) else 0.0
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
        out = []
        for r in rows:
            try:
                metrics = json.loads(r["metrics"])
            except (TypeError, ValueError, RecursionError):
                continue  # a damaged epoch (an old import) is left out, not fatal
            if isinstance(metrics, dict):
                out.append({**metrics, "epoch": r["epoch"]})
        return out

    def count(self) -> int:
        with self._connect() as con:
            return con.execute("SELECT COUNT(*) AS n FROM runs").fetchone()["n"]

    # --- files -----------------------------------------------------------
    def run_dir(self, run_id: str) -> Path:
        """The run's folder on this machine (on PostgreSQL, fetched from the database on first use)."""
        path = self.files / run_id
        if self._db.files_in_db and not (path.is_dir() and any(path.iterdir())):
            self._download_files(run_id, path)
        path.mkdir(parents=True, exist_ok=True)
        return path

    def put_files(self, run_id: str, files: dict[str, bytes]) -> None:
        """Store files a run made elsewhere (a cluster node); `finish` then records them."""
        folder = self.run_dir(run_id)
        for name, data in files.items():
            if "/" in name or "\\" in name or name in ("", ".", ".."):
                raise ValueError(f"unsafe file name {name!r}")
            (folder / name).write_bytes(data)

    def _upload_files(self, run_id: str) -> None:
        folder = self.files / run_id
        paths = sorted(p for p in folder.iterdir() if p.is_file()) if folder.is_dir() else []
        with self._lock, self._connect() as con:
            con.execute("DELETE FROM run_files WHERE run_id=?", (run_id,))
            for p in paths:
                con.execute(
                    "INSERT INTO run_files (run_id, name, data) VALUES (?, ?, ?)",
                    (run_id, p.name, p.read_bytes()),
                )

    def _download_files(self, run_id: str, path: Path) -> None:
        with self._connect() as con:
            rows = con.execute("SELECT name, data FROM run_files WHERE run_id=?", (run_id,)).fetchall()
        if not rows:
            return
        partial = path.with_name(f".{path.name}-{uuid.uuid4().hex[:6]}")  # never a half-written folder
        partial.mkdir(parents=True)
        for r in rows:
            (partial / r["name"]).write_bytes(bytes(r["data"]))
        try:
            partial.rename(path)
        except OSError:  # another thread fetched it first (renaming onto an empty folder works)
            shutil.rmtree(partial, ignore_errors=True)

    def result(self, run_id: str) -> dict | None:
        """The saved result (what the task's page draws), if the run wrote one."""
        path = self.files / run_id / "result.json"
        if self._db.files_in_db and not path.is_file() and self.get(run_id):
            path = self.run_dir(run_id) / "result.json"
        return json.loads(path.read_text()) if path.is_file() else None

    def delete(self, run_id: str, owner: str | None = None, teacher: bool = False) -> None:
        """Delete a finished run and its files. `owner` (a browser's id) may delete only its own
        runs unless `teacher`; None (the command line, run by whoever runs the server) any finished
        one. Nobody deletes a queued or running run: its training would fail half-way."""
        with self._lock, self._connect() as con:
            row = con.execute("SELECT status, owner FROM runs WHERE id=?", (run_id,)).fetchone()
            if row is None:
                raise DataError(f"No run with id {run_id!r}.")
            if row["status"] in ACTIVE:
                raise DataError(f"Run {run_id} is still {row['status']}: stop it first, then delete it.")
            if owner is not None and not teacher and row["owner"] != owner:
                raise DataError(
                    f"Run {run_id} was made from another browser: only that person or the teacher"
                    " (with the teacher password) can delete it."
                )
            # The status is checked again in the statement: a run queued meanwhile stays.
            con.execute("DELETE FROM runs WHERE id=? AND status NOT IN ('queued', 'running')", (run_id,))
        shutil.rmtree(self.files / run_id, ignore_errors=True)
