"""Faults and limits: failing jobs, NaN losses, a full disk, a broken store, queue bounds, fuzzed CSVs."""

from __future__ import annotations

import errno
import sqlite3
import threading

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from core import forecasting as fc
from core.config import ArchitectureConfig, ForecastConfig, TrainingConfig
from core.datasets import DataError, read_csv_bytes
from core.execute import execute
from core.jobs import JobManager
from core.runs import RunStore
from core.training import TrainContext, TrainingError

TINY = ForecastConfig(
    data="synthetic",
    synthetic_length=300,
    lookback=5,
    arch=ArchitectureConfig(units=4),
    train=TrainingConfig(epochs=1),
)


def test_nan_loss_stops_training_and_suggests_clipping(tmp_path):
    from core.tf import keras_module

    keras = keras_module()
    model = keras.Sequential([keras.Input((3, 1)), keras.layers.GRU(2), keras.layers.Dense(1)])
    model.compile(optimizer="adam", loss="mse")
    x = np.ones((64, 3, 1), "float32")
    y = np.full((64, 1), np.nan, "float32")
    ctx = TrainContext(run_dir=tmp_path)
    with pytest.raises(TrainingError, match="gradient clipping"):
        ctx.fit(model, x, y, None, TrainingConfig(epochs=5, batch_size=8))
    assert ctx.stop_reason == "nan"


def test_full_disk_while_saving_fails_the_run_cleanly(monkeypatch, store_db):
    def no_space(*args, **kwargs):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(fc, "save", no_space)
    store = RunStore()
    run_id = store.create("forecast", {})
    with pytest.raises(TrainingError, match="disk is full"):
        execute("forecast", TINY, store, run_id, lambda k, p: None, threading.Event())
    row = store.get(run_id)
    assert row["status"] == "failed" and "disk is full" in row["error"]
    assert store.list(status="failed")[0]["id"] == run_id  # the store still reads and writes


def test_corrupt_store_gives_a_message_and_a_fresh_store_beside_it(data_dir):
    (data_dir / "runs.db").write_bytes(b"this is not a database" * 100)
    store = RunStore()
    assert "could not be used" in store.warning and store.db_path.name.startswith("runs-")
    assert (data_dir / "runs.db").read_bytes().startswith(b"this is not")  # never deleted
    run_id = store.create("forecast", {})
    again = RunStore()  # the next start reuses the fresh store
    assert again.db_path == store.db_path and again.get(run_id) is not None


def test_locked_store_gives_a_message_and_a_fresh_store(data_dir):
    RunStore()
    holder = sqlite3.connect(data_dir / "runs.db", isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE")  # another program holds the write lock
    try:
        store = RunStore()
        assert "locked" in store.warning and store.db_path != data_dir / "runs.db"
    finally:
        holder.execute("ROLLBACK")
        holder.close()


@pytest.mark.slow
def test_queue_and_per_session_limits():
    mgr = JobManager(RunStore(), max_queue=4, max_per_session=2, isolate=False)
    seeds = iter(range(100))  # each request its own seed: an identical one would join, not queue

    def slow():
        return ForecastConfig(
            **{**TINY.__dict__, "train": TrainingConfig(epochs=300, batch_size=4, seed=next(seeds))}
        )

    first = mgr.submit("forecast", slow(), session="ann")
    mgr.submit("forecast", slow(), session="ann")
    with pytest.raises(DataError, match="limit is 2"):
        mgr.submit("forecast", slow(), session="ann")
    mgr.submit("forecast", slow(), session="bob")
    queued = mgr.submit("forecast", slow(), session="cat")
    with pytest.raises(DataError, match="queue is full"):
        mgr.submit("forecast", slow(), session="dan")
    assert mgr.snapshot(queued)["wait_s"] > 0 and mgr.snapshot(queued)["position"] == 3
    # One person's Stop never stops another's run.
    mgr.stop(queued)
    assert mgr.snapshot(queued)["status"] == "stopped" and mgr.snapshot(first)["status"] in (
        "queued",
        "running",
    )
    mgr.shutdown()


@settings(max_examples=200, derandomize=True, deadline=None, suppress_health_check=list(HealthCheck))
@given(st.binary(max_size=2000) | st.text(max_size=2000).map(str.encode))
def test_fuzzed_csv_bytes_only_raise_data_error(data):
    cfg = ForecastConfig(data="upload.csv", lookback=3)
    try:
        fc.prepare(cfg, fc.prepare_series(read_csv_bytes(data), cfg))
    except DataError as exc:
        assert str(exc)


CSV_ROWS = st.lists(
    st.tuples(
        st.sampled_from(["2020-01-01", "2021-13-40", "", "x"]), st.one_of(st.floats(), st.text(max_size=5))
    ),
    max_size=80,
)


@settings(max_examples=200, derandomize=True, deadline=None, suppress_health_check=list(HealthCheck))
@given(CSV_ROWS)
def test_fuzzed_csv_tables_only_raise_data_error(rows):
    data = ("date,value\n" + "\n".join(f"{d},{v}" for d, v in rows)).encode()
    cfg = ForecastConfig(data="upload.csv", lookback=3)
    try:
        fc.prepare(cfg, fc.prepare_series(read_csv_bytes(data), cfg))
    except DataError as exc:
        assert str(exc)


@pytest.mark.slow
def test_a_large_training_process_is_replaced_between_jobs(monkeypatch):
    monkeypatch.setenv("RNN_STUDIO_WORKER_MAX_MB", "1")  # every process is "too large"
    mgr = JobManager(RunStore())
    first_pid = mgr.backend.pid
    job = mgr.submit("forecast", TINY)
    assert mgr.wait(job, 300)["status"] == "done"
    assert mgr.backend.pid != first_pid
    again = mgr.submit("forecast", TINY)  # the fresh process trains the next job
    assert mgr.wait(again, 300)["status"] == "done"
    mgr.shutdown()
