"""A full disk: the run ends "failed" with one sentence, the queue waits for room and goes on,
no stray database files are left, and other database errors are not taken for corruption.

The real tests put the data directory on a small tmpfs (root and `mount` needed; skipped
elsewhere); one test injects SQLite's error where the machine does not allow mounts."""

from __future__ import annotations

import errno
import sqlite3
import subprocess
import time
from contextlib import contextmanager
from pathlib import Path

import pytest

from core.config import ArchitectureConfig, ForecastConfig, TrainingConfig
from core.datasets import DataError
from core.jobs import JobManager
from core.runs import RunStore
from core.storage_errors import DISK_FULL, is_disk_full


@contextmanager
def small_filesystem(path: Path, size_mb: int):
    path.mkdir(parents=True, exist_ok=True)
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={size_mb}m", "tmpfs", str(path)], capture_output=True, text=True
    )
    if done.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here ({done.stderr.strip()})")
    try:
        yield path
    finally:
        subprocess.run(["umount", "-l", str(path)], check=False)


def fill(folder: Path) -> Path:
    """Write a file until the filesystem is full; returns it (delete it to free the space)."""
    filler = folder / "filler.bin"
    with open(filler, "wb") as f:
        try:
            while True:
                f.write(b"\0" * 256 * 1024)
                f.flush()
        except OSError as exc:
            assert exc.errno == errno.ENOSPC
    return filler


def stray_files(root: Path) -> list[str]:
    return sorted(p.name for p in root.iterdir() if p.name.startswith(("runs-", ".space-probe")))


def test_both_kinds_of_full_disk_are_recognised(tmp_path):
    assert is_disk_full(OSError(errno.ENOSPC, "No space left on device"))
    assert not is_disk_full(OSError(errno.EACCES, "Permission denied"))
    with small_filesystem(tmp_path / "small", 2) as root:
        con = sqlite3.connect(root / "x.db")
        con.execute("CREATE TABLE t (b BLOB)")
        with pytest.raises(sqlite3.OperationalError) as info:
            for _ in range(100):
                con.execute("INSERT INTO t VALUES (?)", (b"\0" * 100_000,))
                con.commit()
        con.close()
        assert "full" in str(info.value) and is_disk_full(info.value)


def test_a_store_on_a_full_disk_says_so_and_leaves_no_files(tmp_path):
    with small_filesystem(tmp_path / "small", 1) as root:
        fill(root)
        with pytest.raises(DataError) as info:
            RunStore(root, url="")
        assert str(info.value) == DISK_FULL
        assert stray_files(root) == [] and not (root / "runs.db").exists()


def test_a_read_only_store_is_not_taken_for_a_corrupt_one(tmp_path):
    with small_filesystem(tmp_path / "small", 4) as root:
        RunStore(root, url="").create("forecast", {})
        subprocess.run(["mount", "-o", "remount,ro", str(root)], check=True)
        with pytest.raises(DataError, match="could not be opened"):
            RunStore(root, url="")
        assert stray_files(root) == []


def tiny(epochs: int, seed: int = 0) -> ForecastConfig:
    return ForecastConfig(
        data="synthetic",
        synthetic_length=3000,
        lookback=20,
        arch=ArchitectureConfig(units=16),
        train=TrainingConfig(epochs=epochs, batch_size=16, seed=seed),
    )


def wait_until(cond, timeout: float, what: str):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if value := cond():
            return value
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


@pytest.mark.slow
def test_a_disk_that_fills_during_training_fails_the_run_and_the_queue_goes_on(tmp_path, monkeypatch):
    with small_filesystem(tmp_path / "small", 24) as root:
        monkeypatch.setenv("RNN_STUDIO_DATA", str(root))
        mgr = JobManager(store=RunStore(root, url=""), executor="local")
        try:
            first = mgr.submit("forecast", tiny(epochs=200), session="a")
            second = mgr.submit("forecast", tiny(epochs=2, seed=1), session="a")
            wait_until(lambda: len(mgr.snapshot(first)["epochs"]) >= 1, 180, "the first epoch")
            filler = fill(root)
            snap = wait_until(
                lambda: (s := mgr.snapshot(first))["status"] != "running" and s, 120, "the failure"
            )
            assert snap["status"] == "failed" and snap["error"] == DISK_FULL
            time.sleep(3)  # the queue holds the next job while there is no room
            assert mgr.snapshot(second)["status"] == "queued"
            filler.unlink()
            done = mgr.wait(second, timeout=180)
            assert done["status"] == "done", done["error"]
            row = mgr.store.get(first)
            assert row["status"] == "failed" and row["error"] == DISK_FULL
            assert stray_files(root) == []
        finally:
            mgr.shutdown(timeout=30)


@pytest.mark.slow
def test_an_injected_sqlite_full_error_fails_the_run_and_the_next_job_runs(monkeypatch):
    """Where no tmpfs can be mounted: SQLite's own error, raised by the store mid-training."""
    store = RunStore()
    real_add_epoch = RunStore.add_epoch
    full = {"on": True}

    def add_epoch(self, run_id, epoch, metrics):
        if full["on"]:
            raise sqlite3.OperationalError("database or disk is full")
        return real_add_epoch(self, run_id, epoch, metrics)

    def probe_space(self, size=0):
        if full["on"]:
            raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(RunStore, "add_epoch", add_epoch)
    monkeypatch.setattr(RunStore, "probe_space", probe_space)
    monkeypatch.setattr("core.jobs.SPACE_POLL_S", 0.1)
    mgr = JobManager(store=store, isolate=False, executor="local")
    try:
        first = mgr.submit("forecast", tiny(epochs=3), session="a")
        snap = mgr.wait(first, timeout=180)
        assert snap["status"] == "failed" and snap["error"] == DISK_FULL
        second = mgr.submit("forecast", tiny(epochs=1, seed=1), session="a")
        time.sleep(1)
        assert mgr.snapshot(second)["status"] == "queued"  # held until there is room
        full["on"] = False
        assert mgr.wait(second, timeout=180)["status"] == "done"
        assert store.get(first)["status"] == "failed" and store.get(first)["error"] == DISK_FULL
    finally:
        mgr.shutdown(timeout=30)
