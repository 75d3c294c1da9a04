"""From a config to a stored run, in this process: the one path every executor ends in.

`execute` is what the training process (`core.worker`) and the command line call;
`train_in_dir` is the part without a store that a cluster node runs. A failure is
recorded here in one place, and a full disk (the operating system's error or
SQLite's) is always told in the same sentence.
"""

from __future__ import annotations

import threading
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from core import tasks as _tasks
from core.errors import USER_ERRORS, TrainingError
from core.runs import ACTIVE, RunStore
from core.storage_errors import DISK_FULL, is_disk_full
from core.training import TrainContext

if TYPE_CHECKING:
    from core.job import Job

EventFn = Callable[[str, dict], None]
Outcome = tuple[str, dict | None, str]  # (status, result, error)
# task name -> "module:function" (from the task records); resolved lazily so no task module loads early.
RUNNERS = _tasks.RUNNERS


def _runner(task: str) -> Callable:
    return _tasks.TASKS[task].trainer()


def train_in_dir(
    task: str,
    config,
    run_dir: Path,
    on_event: Callable[[str, dict], None],
    stop_event: threading.Event,
    set_fingerprint: Callable[[str], None] = lambda fp: None,
) -> tuple[str, dict]:
    """Train one run, writing its files into run_dir; returns (status, result). No store:
    a cluster node runs this too, and the app records what comes back."""
    from core.tf import keras_module

    keras = keras_module()
    # Reset Keras's global state (layer name counters, graphs) between jobs and
    # seed every generator so the same config gives the same losses.
    keras.backend.clear_session()
    keras.utils.set_random_seed(config.train.seed)
    ctx = TrainContext(
        run_dir=run_dir, on_event=on_event, stop_event=stop_event, set_fingerprint=set_fingerprint
    )
    result = _runner(task)(config, ctx)
    status = "stopped" if ctx.stop_reason == "user" else "done"
    result["stop_reason"] = ctx.stop_reason
    return status, result


def failure_message(exc: BaseException, where: Path | str | None = None) -> str:
    """The sentence a failed run is stored with."""
    if isinstance(exc, USER_ERRORS):
        return str(exc)
    if is_disk_full(exc, where):
        return DISK_FULL
    return f"{exc.__class__.__name__}: {exc}"


class RunRecorder:
    """The one place where a run's events become rows in the store and its end is written down.

    The command line, the training process and the Ray executor all record through it, and the
    job manager makes sure of a failure with it; `on_event` receives every event after its row.
    """

    def __init__(self, store: RunStore, run_id: str, on_event: EventFn = lambda kind, payload: None):
        self.store, self.run_id, self.on_event = store, run_id, on_event

    def started(self, versions: dict | None = None, executor: str = "local", node: str = "") -> None:
        try:
            self.store.start(self.run_id, versions=versions, executor=executor, node=node)
        except Exception as exc:
            if is_disk_full(exc, self.store.root):
                raise TrainingError(DISK_FULL) from exc
            raise

    def event(self, kind: str, payload: dict) -> None:
        if kind == "epoch":
            self.store.add_epoch(self.run_id, payload["epoch"], payload)
        self.on_event(kind, payload)

    def fingerprint(self, fingerprint: str) -> None:
        self.store.set_fingerprint(self.run_id, fingerprint)

    def finished(self, status: str, result: dict | None, error: str = "") -> None:
        self.store.finish(self.run_id, status, final=(result or {}).get("final", {}), error=error)

    def failed(self, error: BaseException | str) -> str:
        """Record the run as failed, unless it has already ended; returns the sentence. Raises
        only when the store cannot take it (a full disk: the manager writes it once there is room)."""
        message = error if isinstance(error, str) else failure_message(error, self.store.root)
        row = self.store.get(self.run_id)
        if row is None or row["status"] in ACTIVE:
            self.store.finish(self.run_id, "failed", error=message)
        return message


def execute(
    task: str,
    config,
    store: RunStore,
    run_id: str,
    on_event: Callable[[str, dict], None],
    stop_event: threading.Event,
) -> tuple[str, dict]:
    """Train one run to the end in this process and record it; returns (final status, result).

    Raises the task's exception after recording the run as failed.
    """
    from core.tf import versions

    recorder = RunRecorder(store, run_id, on_event)
    recorder.started(versions=versions(), executor="local")
    try:
        run_dir = store.run_dir(run_id)
        status, result = train_in_dir(task, config, run_dir, recorder.event, stop_event, recorder.fingerprint)
        recorder.finished(status, result)
    except Exception as exc:
        try:
            recorder.failed(exc)
        except Exception:  # the disk is still full: the manager records it once there is room
            traceback.print_exc()
        if is_disk_full(exc, store.root):
            raise TrainingError(DISK_FULL) from exc
        raise
    return status, result


def outcome_of(job: Job, store: RunStore, on_event: EventFn) -> Outcome:
    """`execute` for a job, as (status, result, error): a failure is a sentence, never a raise."""
    try:
        status, result = execute(job.task, job.config, store, job.id, on_event, job.stop_event)
    except USER_ERRORS as exc:
        return "failed", None, str(exc)
    except Exception as exc:  # a bug or resource problem: keep the worker alive
        traceback.print_exc()
        return "failed", None, failure_message(exc, store.root)
    return status, result, ""


class InThreadBackend:
    """Trains in the calling thread (tests and a server started with isolate=False).

    Every backend (this one, `ProcessBackend`, `RayExecutor`) has the same face: `run(job, store,
    on_event) -> (status, result, error)`, which sends a "running" event when the job starts,
    `stop(job_id)`, `ready` (set once TensorFlow has loaded where jobs train), `close()`.
    """

    spec = "local"
    pid = 0

    def __init__(self) -> None:
        self.ready = threading.Event()
        self.ready.set()

    def run(self, job: Job, store: RunStore, on_event: EventFn) -> Outcome:
        on_event("running", {})
        return outcome_of(job, store, on_event)

    def stop(self, job_id: str) -> None:
        """Nothing to pass on: the fit loop reads the job's stop event itself."""

    def close(self) -> None:
        """Nothing to close."""
