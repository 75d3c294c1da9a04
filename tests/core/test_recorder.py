"""One run recorder: events become rows in one place, a failure is written once, and every
backend has the same face, so the manager never needs to know which one it drives."""

from __future__ import annotations

import inspect
from pathlib import Path

from core.execute import InThreadBackend, RunRecorder
from core.process_backend import ProcessBackend
from core.ray_executor import RayExecutor
from core.runs import RunStore

ROOT = Path(__file__).resolve().parents[2]


def test_epoch_events_become_rows_and_reach_the_listener(data_dir):
    store = RunStore()
    run_id = store.create("forecast", {"seed": 0})
    seen = []
    rec = RunRecorder(store, run_id, lambda kind, payload: seen.append(kind))
    rec.started(versions={"tensorflow": "x"})
    rec.event("epoch", {"epoch": 1, "loss": 0.5})
    rec.event("batch", {"progress": 0.1})
    rec.fingerprint("abc")
    rec.finished("done", {"final": {"val_mae": 1.25}})
    row = store.get(run_id)
    assert seen == ["epoch", "batch"]
    assert row["status"] == "done" and row["final"]["val_mae"] == 1.25
    assert [e["loss"] for e in store.epochs(run_id)] == [0.5]


def test_a_failure_is_a_sentence_and_never_overwrites_a_finished_run(data_dir):
    store = RunStore()
    running, finished = store.create("text", {}), store.create("text", {})
    RunRecorder(store, running).started()
    assert RunRecorder(store, running).failed(ValueError("bad")) == "ValueError: bad"
    assert store.get(running)["status"] == "failed" and store.get(running)["error"] == "ValueError: bad"
    RunRecorder(store, finished).finished("done", {"final": {}})
    RunRecorder(store, finished).failed("The training process stopped unexpectedly")
    assert store.get(finished)["status"] == "done"  # the safety net does not undo a result


def test_every_backend_has_one_face():
    faces = [
        [*inspect.signature(cls.run).parameters] for cls in (InThreadBackend, ProcessBackend, RayExecutor)
    ]
    assert faces == [["self", "job", "store", "on_event"]] * 3
    for cls in (InThreadBackend, ProcessBackend, RayExecutor):
        assert callable(cls.stop) and callable(cls.close)


def test_no_backend_reaches_into_the_manager_or_writes_an_end_itself():
    for name in ("process_backend.py", "ray_executor.py", "worker.py"):
        source = (ROOT / "core" / name).read_text()
        assert "manager._" not in source and ".finish(" not in source, name
    recorder = inspect.getsource(RunRecorder)
    assert (ROOT / "core" / "execute.py").read_text().count(".finish(") == recorder.count(".finish(") == 2
