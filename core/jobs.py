"""Process-wide job manager: a queue, one worker thread, stop, status.

Pages never train in their own script (a Streamlit rerun would kill the fit);
they submit a config here and poll `snapshot(job_id)`. A job's payload is plain
data (task name and config), and progress comes back as plain events, so the
executor that runs it can later be swapped for one on a cluster.

`execute` is the one path from a config to a stored run: the training process
(`core.worker`) and the command line both call it. The server itself never
trains: Keras's fit loop is Python, and sharing the interpreter lock with the
server's threads made training 3-15x slower (measured: 20 s alone, 303 s beside
one busy Python thread), so jobs run in one long-lived child process.
"""

from __future__ import annotations

import errno
import importlib
import json
import os
import queue
import statistics
import subprocess
import sys
import threading
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from core import upload_names
from core.config import ConfigError, to_dict
from core.datasets import DataError
from core.eta import ProgressClock
from core.runs import RunStore
from core.training import TrainContext, TrainingError

# task name -> "module:function"; resolved lazily so no task module loads early.
RUNNERS = {
    "forecast": "core.forecasting:train",
    "text": "core.textgen:train",
    "sentiment": "core.sentiment:train",
    "music": "core.music:train",
    "memory": "core.memory:train",
}

USER_ERRORS = (DataError, ConfigError, TrainingError)
MAX_BATCH_POINTS = 500


def _runner(task: str) -> Callable:
    module, func = RUNNERS[task].split(":")
    return getattr(importlib.import_module(module), func)


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


DISK_FULL = "The disk is full, so the model could not be saved: free some space and train again."


def failure_message(exc: BaseException) -> str:
    """The sentence a failed run is stored with."""
    if isinstance(exc, USER_ERRORS):
        return str(exc)
    if isinstance(exc, OSError) and exc.errno == errno.ENOSPC:
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

    store.start(run_id, versions=versions(), executor="local")

    def event(kind: str, payload: dict) -> None:
        if kind == "epoch":
            store.add_epoch(run_id, payload["epoch"], payload)
        on_event(kind, payload)

    fingerprint = lambda fp: store.set_fingerprint(run_id, fp)  # noqa: E731
    try:
        status, result = train_in_dir(task, config, store.run_dir(run_id), event, stop_event, fingerprint)
    except Exception as exc:
        store.finish(run_id, "failed", error=failure_message(exc))
        if isinstance(exc, OSError) and exc.errno == errno.ENOSPC:
            raise TrainingError(DISK_FULL) from exc
        raise
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
    clock: ProgressClock = field(default_factory=ProgressClock)  # this run's measured progress

    def snapshot(self, position: int) -> dict:
        now = time.time()
        elapsed = (self.finished or now) - self.started if self.started else 0.0
        eta = self.clock.eta(now) if self.status == "running" else None
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


EventFn = Callable[[str, dict], None]
Outcome = tuple[str, dict | None, str]  # (status, result, error)


def run_in_thread(job: Job, store: RunStore, on_event: EventFn) -> Outcome:
    """Train in the calling thread (tests and the command line: no server beside it)."""
    try:
        status, result = execute(job.task, job.config, store, job.id, on_event, job.stop_event)
    except USER_ERRORS as exc:
        return "failed", None, str(exc)
    except Exception as exc:  # a bug or resource problem: keep the worker alive
        traceback.print_exc()
        return "failed", None, f"{exc.__class__.__name__}: {exc}"
    return status, result, ""


class ProcessBackend:
    """One long-lived `python -m core.worker` child that trains jobs one at a time.

    It imports TensorFlow as soon as it starts, so the first Train click does not
    wait for the import. Messages are JSON lines: jobs and stops go down its stdin,
    events and outcomes come up its stdout.
    """

    def __init__(self, store: RunStore) -> None:
        self.store = store
        self._lock = threading.Lock()
        self._proc: subprocess.Popen | None = None
        self._start()

    def _start(self) -> None:
        root = str(Path(__file__).resolve().parents[1])
        env = {
            **os.environ,
            "PYTHONPATH": os.pathsep.join(filter(None, [root, os.environ.get("PYTHONPATH")])),
        }
        self._proc = subprocess.Popen(
            [sys.executable, "-m", "core.worker"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            bufsize=1,
            cwd=root,
            env=env,
        )
        self.ready = threading.Event()  # set once TensorFlow has loaded in the child
        self._lines: queue.Queue[dict | None] = queue.Queue()
        args = (self._proc, self._lines, self.ready)
        threading.Thread(target=self._read, args=args, name="rnn-studio-worker-reader", daemon=True).start()

    @staticmethod
    def _read(proc: subprocess.Popen, lines: queue.Queue, ready: threading.Event) -> None:
        for line in proc.stdout:
            msg = json.loads(line)
            if msg["kind"] == "ready":
                ready.set()
            else:
                lines.put(msg)
        lines.put(None)  # the process ended

    @property
    def pid(self) -> int:
        return self._proc.pid if self._proc else 0

    def _send(self, msg: dict) -> None:
        with self._lock:
            if self._proc and self._proc.poll() is None:
                try:
                    self._proc.stdin.write(json.dumps(msg) + "\n")
                    self._proc.stdin.flush()
                except OSError:
                    pass  # it died; run() notices and restarts it

    def run(self, job: Job, store: RunStore, on_event: EventFn) -> Outcome:
        if self._proc is None or self._proc.poll() is not None:
            self._start()
        lines = self._lines
        self._send(
            {"op": "run", "job_id": job.id, "task": job.task, "config": to_dict(job.config),
             "store": str(store.root), "db": store.url}
        )  # fmt: skip
        if job.stop_event.is_set():
            self.stop(job.id)
        while (msg := lines.get()) is not None:
            if msg.get("job_id") != job.id:
                continue
            if msg["kind"] == "end":
                self._recycle_if_large()
                return msg["status"], msg["result"], msg["error"]
            on_event(msg["kind"], msg["payload"])
        code = self._proc.wait()
        self._start()
        error = f"The training process stopped unexpectedly (exit code {code}); the run was lost."
        store.finish(job.id, "failed", error=error)
        return "failed", None, error

    def stop(self, job_id: str) -> None:
        self._send({"op": "stop", "job_id": job_id})

    def _recycle_if_large(self) -> None:
        """Each Keras build leaves ~12 MB behind even after clear_session (benchmarks/memory.py):
        past RNN_STUDIO_WORKER_MAX_MB (default 3000) start a fresh training process."""
        limit = float(os.environ.get("RNN_STUDIO_WORKER_MAX_MB", "3000"))
        try:
            status = Path(f"/proc/{self.pid}/status").read_text()
        except OSError:
            return  # not Linux, or already gone
        rss = next(
            (int(line.split()[1]) / 1024 for line in status.splitlines() if line.startswith("VmRSS:")), 0
        )
        if rss > limit:
            self.close()
            self._start()

    def close(self) -> None:
        self._send({"op": "exit"})
        if self._proc:
            try:
                self._proc.wait(10)
            except subprocess.TimeoutExpired:
                self._proc.kill()


class LocalExecutor:
    """Runs jobs one after another in a daemon thread of this process."""

    spec = "local"

    def __init__(self, handler: Callable[[Job], None]) -> None:
        self._handler = handler
        self._queue: queue.Queue[Job | None] = queue.Queue()
        self._thread = threading.Thread(target=self._loop, name="rnn-studio-worker", daemon=True)
        self._thread.start()

    def submit(self, job: Job, manager=None) -> None:
        self._queue.put(job)

    def _loop(self) -> None:
        while (job := self._queue.get()) is not None:
            self._handler(job)

    def shutdown(self, timeout: float | None = None) -> None:
        self._queue.put(None)
        self._thread.join(timeout)


class JobManager:
    """One per process (the app makes it with st.cache_resource)."""

    def __init__(
        self,
        store: RunStore | None = None,
        max_queue: int = 50,
        max_per_session: int = 3,
        isolate: bool = True,
        executor: str | None = None,
    ) -> None:
        """`executor`: "local" (a training process beside this one) or a Ray cluster address
        ("ray://HOST:PORT", "auto", "HOST:PORT"); default RNN_STUDIO_EXECUTOR, else local."""
        from core.ray_executor import executor_spec

        self.store = store or RunStore()
        self.max_queue = max_queue
        self.max_per_session = max_per_session
        self._jobs: dict[str, Job] = {}
        self._order: list[str] = []  # submission order, for queue positions
        self._lock = threading.Lock()
        spec = executor or executor_spec()
        if spec == "local":
            self._process = ProcessBackend(self.store) if isolate else None
            self._executor = LocalExecutor(self._run)
        else:
            from core.ray_executor import RayExecutor

            self._process = None  # jobs train on the cluster's nodes
            self._executor = RayExecutor(spec)

    @property
    def executor(self) -> str:
        """Where jobs train: "local" or the Ray cluster's address."""
        return self._executor.spec

    def describe_executor(self) -> str:
        if self.executor == "local":
            return "local: one training process beside the app, one job at a time"
        return self._executor.describe()

    @property
    def engine_ready(self) -> bool:
        """Whether TensorFlow has loaded where jobs train (always true in-thread)."""
        return self._process is None or self._process.ready.is_set()

    def _check_room(self, session: str, n: int) -> None:
        """Raise DataError unless `n` more jobs fit in the queue and in this session's share."""
        active = [j for j in self._jobs.values() if j.status in ("queued", "running")]
        if len(active) + n > self.max_queue:
            raise DataError(
                f"The training queue is full ({self.max_queue} jobs): try again in a few minutes."
            )
        mine = sum(1 for j in active if session and j.session == session)
        if mine + n <= self.max_per_session:
            return
        if n == 1:
            raise DataError(
                f"You already have {mine} trainings queued or running (the limit is"
                f" {self.max_per_session}): wait for one to finish, or cancel one."
            )
        raise DataError(
            f"This needs {n} training slots and you have {mine} of {self.max_per_session} in use:"
            " wait for your other trainings to finish (or stop them), then press again."
        )

    def submit(self, task: str, config, session: str = "") -> str:
        if task not in RUNNERS:
            raise ValueError(f"unknown task {task!r}")
        with self._lock:
            self._check_room(session, 1)
        return self._enqueue(task, config, session)

    def submit_all(self, task: str, configs: dict, session: str = "") -> dict:
        """Submit a group of jobs ({name: config} -> {name: run id}): all of them, or none."""
        if task not in RUNNERS:
            raise ValueError(f"unknown task {task!r}")
        with self._lock:
            self._check_room(session, len(configs))
        return {name: self._enqueue(task, cfg, session) for name, cfg in configs.items()}

    def _enqueue(self, task: str, config, session: str) -> str:
        cfg = to_dict(config)
        # An upload is listed by the name it was uploaded as; the file stays under its hash.
        run_id = self.store.create(task, cfg, data_name=upload_names.label(str(cfg.get("data", ""))))
        job = Job(id=run_id, task=task, config=config, session=session)
        with self._lock:
            self._jobs[run_id] = job
            self._order.append(run_id)
        self._executor.submit(job, self)
        return run_id

    def stop(self, job_id: str) -> None:
        """Stop a running job within one batch; cancel a queued one before it starts."""
        with self._lock:
            job = self._jobs.get(job_id)
            if job is None:
                return
            job.stop_event.set()  # a Ray job's driver thread passes it on to the node
            if job.status == "running" and self._process:
                self._process.stop(job_id)
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
            snap = job.snapshot(self._position(job))
            snap["wait_s"] = self._wait_estimate(job) if job.status == "queued" else None
            return snap

    def _wait_estimate(self, job: Job) -> float:
        """Seconds until a queued job starts: what the running job has left, plus a typical
        job's duration (the median of this server's finished jobs; 30 s before any) per job ahead."""
        durations = [j.finished - j.started for j in self._jobs.values() if j.status == "done" and j.started]
        typical = statistics.median(durations) if durations else 30.0
        wait = 0.0
        for jid in self._order:
            other = self._jobs[jid]
            if jid == job.id:
                break
            if other.status == "running":
                snap = other.snapshot(0)
                wait += snap["eta"] if snap["eta"] is not None else typical
            elif other.status == "queued":
                wait += typical
        return wait

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
                if job.status == "running" and self._process:
                    self._process.stop(job.id)
        self._executor.shutdown(timeout)
        if self._process:
            self._process.close()

    # --- worker side -----------------------------------------------------
    def _on_event(self, job: Job, kind: str, payload: dict) -> None:
        with self._lock:
            if "progress" in payload:
                job.progress = max(job.progress, float(payload["progress"]))
                job.clock.add(job.progress)
            if kind == "epoch":
                job.epochs.append(payload)
            elif kind == "batch":
                job.batches.append(payload)
                del job.batches[:-MAX_BATCH_POINTS]
            elif kind == "status":
                job.message = payload.get("message", "")
            else:
                job.extras[kind] = payload

    def _mark_running(self, job: Job, node: str = "") -> None:
        with self._lock:
            if job.status == "queued":
                job.status = "running"
                job.started = time.time()
                job.message = f"Training on {node}..." if node else "Starting TensorFlow..."

    def _finish(self, job: Job, status: str, result: dict | None, error: str) -> None:
        with self._lock:
            if job.finished is not None:  # cancelled while queued: already ended
                return
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

    def _run(self, job: Job) -> None:
        with self._lock:
            if job.status != "queued":  # cancelled while waiting
                return
        self._mark_running(job)

        def on_event(kind: str, payload: dict) -> None:
            self._on_event(job, kind, payload)

        if self._process:
            status, result, error = self._process.run(job, self.store, on_event)
        else:
            status, result, error = run_in_thread(job, self.store, on_event)
        self._finish(job, status, result, error)
