"""Process-wide job manager: a queue, one worker thread, stop, status.

Pages never train in their own script (a Streamlit rerun would kill the fit);
they submit a config here and poll `snapshot(job_id)`. A job's payload is plain
data (task name and config), and progress comes back as plain events, so the
executor that runs it can later be swapped for one on a cluster.

`execute` is the one path from a config to a stored run: the worker thread and
the command line both call it.
"""

from __future__ import annotations

import importlib
import queue
import threading
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field

from core.config import ConfigError, to_dict
from core.datasets import DataError
from core.runs import RunStore
from core.training import TrainContext, TrainingError

# task name -> "module:function"; resolved lazily so no task module loads early.
RUNNERS = {"forecast": "core.forecasting:train"}

USER_ERRORS = (DataError, ConfigError, TrainingError)
MAX_BATCH_POINTS = 500


def _runner(task: str) -> Callable:
    module, func = RUNNERS[task].split(":")
    return getattr(importlib.import_module(module), func)


def execute(
    task: str,
    config,
    store: RunStore,
    run_id: str,
    on_event: Callable[[str, dict], None],
    stop_event: threading.Event,
) -> tuple[str, dict]:
    """Train one run to the end and record it; returns (final status, result).

    Raises the task's exception after recording the run as failed.
    """
    from core.tf import keras_module, versions

    keras = keras_module()
    # Reset Keras's global state (layer name counters, graphs) between jobs and
    # seed every generator so the same config gives the same losses.
    keras.backend.clear_session()
    keras.utils.set_random_seed(config.train.seed)
    store.start(run_id, versions=versions())

    def event(kind: str, payload: dict) -> None:
        if kind == "epoch":
            store.add_epoch(run_id, payload["epoch"], payload)
        on_event(kind, payload)

    ctx = TrainContext(
        run_dir=store.run_dir(run_id),
        on_event=event,
        stop_event=stop_event,
        set_fingerprint=lambda fp: store.set_fingerprint(run_id, fp),
    )
    try:
        result = _runner(task)(config, ctx)
    except USER_ERRORS as exc:
        store.finish(run_id, "failed", error=str(exc))
        raise
    except Exception as exc:
        store.finish(run_id, "failed", error=f"{exc.__class__.__name__}: {exc}")
        raise
    status = "stopped" if ctx.stop_reason == "user" else "done"
    result["stop_reason"] = ctx.stop_reason
    store.finish(run_id, status, final=result.get("final", {}))
    return status, result


@dataclass
class Job:
    id: str  # equals the run id in the store
    task: str
    config: object
    session: str = ""
    status: str = "queued"
    created: float = field(default_factory=time.time)
    started: float | None = None
    finished: float | None = None
    progress: float = 0.0
    epochs: list = field(default_factory=list)
    batches: list = field(default_factory=list)
    extras: dict = field(default_factory=dict)  # task-specific live data, e.g. samples
    message: str = ""
    error: str = ""
    result: dict | None = None
    stop_event: threading.Event = field(default_factory=threading.Event)

    def snapshot(self, position: int) -> dict:
        now = time.time()
        elapsed = (self.finished or now) - self.started if self.started else 0.0
        eta = None
        if self.status == "running" and self.progress > 0.02:
            eta = max(0.0, elapsed * (1 - self.progress) / self.progress)
        return {
            "id": self.id,
            "task": self.task,
            "config": self.config,
            "status": self.status,
            "position": position,
            "progress": self.progress,
            "elapsed": elapsed,
            "eta": eta,
            "epochs": list(self.epochs),
            "batches": list(self.batches),
            "extras": dict(self.extras),
            "message": self.message,
            "error": self.error,
            "result": self.result,
        }


class LocalExecutor:
    """Runs jobs one after another in a daemon thread of this process."""

    def __init__(self, handler: Callable[[Job], None]) -> None:
        self._handler = handler
        self._queue: queue.Queue[Job | None] = queue.Queue()
        self._thread = threading.Thread(target=self._loop, name="rnn-studio-worker", daemon=True)
        self._thread.start()

    def submit(self, job: Job) -> None:
        self._queue.put(job)

    def _loop(self) -> None:
        while (job := self._queue.get()) is not None:
            self._handler(job)

    def shutdown(self, timeout: float | None = None) -> None:
        self._queue.put(None)
        self._thread.join(timeout)


class JobManager:
    """One per process (the app makes it with st.cache_resource)."""

    def __init__(self, store: RunStore | None = None, max_queue: int = 50) -> None:
        self.store = store or RunStore()
        self.max_queue = max_queue
        self._jobs: dict[str, Job] = {}
        self._order: list[str] = []  # submission order, for queue positions
        self._lock = threading.Lock()
        self._executor = LocalExecutor(self._run)

    def submit(self, task: str, config, session: str = "") -> str:
        if task not in RUNNERS:
            raise ValueError(f"unknown task {task!r}")
        with self._lock:
            waiting = sum(1 for j in self._jobs.values() if j.status in ("queued", "running"))
            if waiting >= self.max_queue:
                raise DataError(
                    f"The training queue is full ({self.max_queue} jobs): try again in a few minutes."
                )
        cfg = to_dict(config)
        run_id = self.store.create(task, cfg, data_name=str(cfg.get("data", "")))
        job = Job(id=run_id, task=task, config=config, session=session)
        with self._lock:
            self._jobs[run_id] = job
            self._order.append(run_id)
        self._executor.submit(job)
        return run_id

    def stop(self, job_id: str) -> None:
        """Stop a running job within one batch; cancel a queued one before it starts."""
        with self._lock:
            job = self._jobs.get(job_id)
            if job is None:
                return
            job.stop_event.set()
            if job.status == "queued":
                job.status = "stopped"
                job.finished = time.time()
                job.message = "Cancelled before it started."
                self.store.finish(job_id, "stopped", error="cancelled before it started")

    def snapshot(self, job_id: str) -> dict | None:
        with self._lock:
            job = self._jobs.get(job_id)
            if job is None:
                return None
            return job.snapshot(self._position(job))

    def _position(self, job: Job) -> int:
        """0 while running; n when n jobs will run before this queued one starts."""
        if job.status != "queued":
            return 0
        ahead = 0
        for jid in self._order:
            if jid == job.id:
                break
            if self._jobs[jid].status in ("queued", "running"):
                ahead += 1
        return ahead

    def jobs(self, session: str | None = None) -> list[dict]:
        with self._lock:
            return [
                j.snapshot(self._position(j))
                for j in self._jobs.values()
                if session is None or j.session == session
            ]

    def wait(self, job_id: str, timeout: float = 600) -> dict:
        deadline = time.time() + timeout
        while time.time() < deadline:
            snap = self.snapshot(job_id)
            if snap and snap["status"] not in ("queued", "running"):
                return snap
            time.sleep(0.05)
        raise TimeoutError(f"job {job_id} still running after {timeout} s")

    def shutdown(self, timeout: float | None = 30) -> None:
        with self._lock:
            for job in self._jobs.values():
                job.stop_event.set()
        self._executor.shutdown(timeout)

    # --- worker side -----------------------------------------------------
    def _on_event(self, job: Job, kind: str, payload: dict) -> None:
        with self._lock:
            if "progress" in payload:
                job.progress = max(job.progress, float(payload["progress"]))
            if kind == "epoch":
                job.epochs.append(payload)
            elif kind == "batch":
                job.batches.append(payload)
                del job.batches[:-MAX_BATCH_POINTS]
            elif kind == "status":
                job.message = payload.get("message", "")
            else:
                job.extras[kind] = payload

    def _run(self, job: Job) -> None:
        with self._lock:
            if job.status != "queued":  # cancelled while waiting
                return
            job.status = "running"
            job.started = time.time()
            job.message = "Starting TensorFlow..."
        try:
            status, result = execute(
                job.task,
                job.config,
                self.store,
                job.id,
                lambda kind, payload: self._on_event(job, kind, payload),
                job.stop_event,
            )
        except USER_ERRORS as exc:
            status, result, error = "failed", None, str(exc)
        except Exception as exc:  # a bug or resource problem: keep the worker alive
            traceback.print_exc()
            status, result, error = "failed", None, f"{exc.__class__.__name__}: {exc}"
        else:
            error = ""
        with self._lock:
            job.status = status
            job.result = result
            job.error = error
            job.finished = time.time()
            if status != "failed":
                job.progress = 1.0 if status == "done" else job.progress
                job.message = {
                    "done": "Finished.",
                    "stopped": "Stopped by you; the model so far was kept.",
                }[status]
