"""Identical requests train once.

A request's fingerprint is its task, its whole config (which holds the seed), its data's
fingerprint and where it would train (the libraries, the machine and the training thread
count): two requests with the same fingerprint give the same weights and metrics, which
tests/core/test_determinism.py checks for every task. So a request equal to a queued or
running job joins it (the same live chart and result, one training), and one equal to a
finished run can be given that run's result at once (the page offers "train again anyway").

Sharing is off, and the request trains on its own, where the result cannot be guaranteed
to be the same:
- a time budget (`budget_s`): training stops at a wall-clock time, so how many batches it
  runs (and, for text, its learning-rate schedule) depends on how busy the machine is;
- a Ray cluster: jobs may train on different machines, CPUs or thread counts;
- a data file that cannot be read to fingerprint it;
- RNN_STUDIO_SHARING=0 (for the "without sharing" classroom benchmark, or a teacher who
  wants every student's training to be their own).
"""

from __future__ import annotations

import hashlib
import json
import os
import platform
import socket
import threading
from importlib import metadata
from pathlib import Path

from core.config import to_dict

LIBRARIES = ("tensorflow", "keras", "numpy")


def enabled() -> bool:
    return os.environ.get("RNN_STUDIO_SHARING", "1") != "0"


def _version(name: str) -> str:
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return ""


_file_hashes: dict[tuple[str, int, int], str] = {}
_hash_lock = threading.Lock()


def _file_sha(path: Path) -> str:
    """sha256 of a file (or of every file in a folder, by name), cached by size and time."""
    files = sorted(p for p in path.rglob("*") if p.is_file()) if path.is_dir() else [path]
    digest = hashlib.sha256()
    for f in files:
        st = f.stat()
        key = (str(f), st.st_size, st.st_mtime_ns)
        with _hash_lock:
            known = _file_hashes.get(key)
        if known is None:
            known = hashlib.sha256(f.read_bytes()).hexdigest()
            with _hash_lock:
                _file_hashes[key] = known
        digest.update(f"{f.relative_to(path) if path.is_dir() else f.name}:{known}\n".encode())
    return digest.hexdigest()


def data_fingerprint(config_dict: dict) -> str:
    """What identifies the data: a built-in set's name (their files are checked by sha256 when
    fetched, or come with an installed package), or the content hash of a file or folder."""
    data = str(config_dict.get("data", ""))
    path = Path(data)
    if data and ("/" in data or "\\" in data) and path.exists():
        return "sha256:" + _file_sha(path)
    if data and ("/" in data or "\\" in data):
        raise FileNotFoundError(data)
    return "name:" + data


def why_not(config, executor: str = "local") -> str:
    """Why this request may not share ("" when it may)."""
    if not enabled():
        return "sharing is turned off on this server (RNN_STUDIO_SHARING=0)"
    if executor != "local":
        return "jobs train on a cluster, where machines and thread counts may differ"
    train = getattr(config, "train", None)
    if train is not None and getattr(train, "budget_s", 0):
        return "it has a time budget: where it stops depends on how busy the machine is"
    return ""


def request_key(task: str, config, executor: str = "local") -> tuple[str, str]:
    """(fingerprint, "") for a request that may share, or ("", why not)."""
    reason = why_not(config, executor)
    if reason:
        return "", reason
    cfg = to_dict(config)
    try:
        data = data_fingerprint(cfg)
    except OSError as exc:
        return "", f"its data could not be read to fingerprint it ({exc.__class__.__name__})"
    from core.tf import thread_count

    where = {
        "libraries": {name: _version(name) for name in LIBRARIES},
        "machine": platform.machine(),
        "host": socket.gethostname(),
        "threads": thread_count(),
    }
    text = json.dumps({"task": task, "config": cfg, "data": data, "where": where}, sort_keys=True)
    return hashlib.sha256(text.encode()).hexdigest(), ""


def set_key(store, run_id: str, key: str) -> None:
    """Record a run's fingerprint (the runs table's request_key, schema 5)."""
    store.set_class_fields(run_id, request_key=key)


def finished_run(store, key: str) -> dict | None:
    """The newest finished run with this fingerprint whose result is still there, if any."""
    if not key:
        return None
    for run_id in store.done_with_key(key):
        if store.result(run_id) is not None:
            return store.get(run_id)
    return None


class Joins:
    """Fingerprint -> the queued or running job with it, and who joined which job (in memory:
    jobs live in this server's manager)."""

    def __init__(self) -> None:
        self._live: dict[str, str] = {}
        self.followers: dict[str, set[str]] = {}

    def add(self, key: str, job_id: str) -> None:
        if key:
            self._live[key] = job_id

    def find(self, key: str, status_of) -> str:
        """The live job with this fingerprint ("" if none); `status_of(job_id)` reads its status."""
        job_id = self._live.get(key, "") if key else ""
        if job_id and status_of(job_id) in ("queued", "running"):
            return job_id
        self._live.pop(key, None)
        return ""

    def join(self, job_id: str, session: str) -> None:
        self.followers.setdefault(job_id, set()).add(session)
