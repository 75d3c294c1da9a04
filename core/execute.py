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
from core.runs import RunStore
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

    try:
        store.start(run_id, versions=versions(), executor="local")
    except Exception as exc:
        if is_disk_full(exc, store.root):
            raise TrainingError(DISK_FULL) from exc
        raise

    def event(kind: str, payload: dict) -> None:
        if kind == "epoch":
            store.add_epoch(run_id, payload["epoch"], payload)
        on_event(kind, payload)

    fingerprint = lambda fp: store.set_fingerprint(run_id, fp)  # noqa: E731
    try:
        status, result = train_in_dir(task, config, store.run_dir(run_id), event, stop_event, fingerprint)
        store.finish(run_id, status, final=result.get("final", {}))
    except Exception as exc:
        try:
            store.finish(run_id, "failed", error=failure_message(exc, store.root))
        except Exception:  # the disk is still full: the caller records it once there is room
            traceback.print_exc()
        if is_disk_full(exc, store.root):
            raise TrainingError(DISK_FULL) from exc
        raise
    return status, result


def run_in_thread(job: Job, store: RunStore, on_event: EventFn) -> Outcome:
    """Train in the calling thread (tests and the command line: no server beside it)."""
    try:
        status, result = execute(job.task, job.config, store, job.id, on_event, job.stop_event)
    except USER_ERRORS as exc:
        return "failed", None, str(exc)
    except Exception as exc:  # a bug or resource problem: keep the worker alive
        traceback.print_exc()
        return "failed", None, failure_message(exc, store.root)
    return status, result, ""
