"""Process-wide job manager: a queue, one worker thread, stop, status.

Pages never train in their own script (a Streamlit rerun would kill the fit);
they submit a config here and poll `snapshot(job_id)`. A job's payload is plain
data (task name and config), and progress comes back as plain events, so the
executor that runs it can later be swapped for one on a cluster.

`core.execute.execute` is the one path from a config to a stored run: the training process
(`core.worker`) and the command line both call it. The server itself never
trains: Keras's fit loop is Python, and sharing the interpreter lock with the
server's threads made training 3-15x slower (measured: 20 s alone, 303 s beside
one busy Python thread), so jobs run in one long-lived child process.
"""

from __future__ import annotations

import queue
import statistics
import threading
import time
import traceback
from collections.abc import Callable

from core import sharing, upload_names
from core.config import to_dict
from core.datasets import DataError
from core.execute import RUNNERS, InThreadBackend, RunRecorder, failure_message
from core.job import Job
from core.process_backend import ProcessBackend
from core.runs import RunStore
from core.storage_errors import DISK_FULL, is_disk_full

MAX_BATCH_POINTS = 500
SPACE_POLL_S = 2.0  # how often a queue stopped by a full disk checks for free space


class OneAtATime:
    """Hands jobs to the manager's handler one after another, in a daemon thread of this process
    (one training process beside the app: a second job at once would halve both)."""

    def __init__(self, handler: Callable[[Job], None]) -> None:
        self._handler = handler
        self._queue: queue.Queue[Job | None] = queue.Queue()
        self._thread = threading.Thread(target=self._loop, name="rnn-studio-worker", daemon=True)
        self._thread.start()

    def submit(self, job: Job) -> None:
        self._queue.put(job)

    def _loop(self) -> None:
        while (job := self._queue.get()) is not None:
            try:
                self._handler(job)
            except Exception:  # never let one job end the loop: every later job would wait forever
                traceback.print_exc()

    def shutdown(self, timeout: float | None = None) -> None:
        self._queue.put(None)
        self._thread.join(timeout)


class AllAtOnce:
    """Hands every job to the handler at once, a thread each (a cluster: its free CPUs decide)."""

    def __init__(self, handler: Callable[[Job], None]) -> None:
        self._handler = handler
        self._threads: list[threading.Thread] = []

    def submit(self, job: Job) -> None:
        thread = threading.Thread(target=self._handler, args=(job,), name=f"rnn-studio-{job.id}", daemon=True)
        self._threads = [t for t in self._threads if t.is_alive()] + [thread]
        thread.start()

    def shutdown(self, timeout: float | None = None) -> None:
        deadline = time.time() + (timeout or 30)
        for thread in self._threads:
            thread.join(max(0.0, deadline - time.time()))


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
        self._disk_full = False  # the last failure was a full disk: the queue waits for room
        self._unrecorded: dict[str, str] = {}  # failures the store could not take yet
        self._closing = threading.Event()
        self._joins = sharing.Joins()  # identical requests train once (core.sharing)
        self._share_lock = threading.Lock()  # a fingerprint's lookup and its job's registration together
        spec = executor or executor_spec()
        # Where jobs train (the backend: every one has the same run/stop/ready/close), and how many
        # at once (the dispatcher, which calls `_run` for each job).
        if spec == "local":
            self.backend = ProcessBackend(self.store) if isolate else InThreadBackend()
            self._dispatch = OneAtATime(self._run)
        else:
            from core.ray_executor import RayExecutor

            self.backend = RayExecutor(spec)  # jobs train on the cluster's nodes
            self._dispatch = AllAtOnce(self._run)

    @property
    def executor(self) -> str:
        """Where jobs train: "local" or the Ray cluster's address."""
        return self.backend.spec

    def describe_executor(self) -> str:
        if self.executor == "local":
            return "local: one training process beside the app, one job at a time"
        return self.backend.describe()

    @property
    def engine_ready(self) -> bool:
        """Whether TensorFlow has loaded where jobs train (always true in-thread)."""
        return self.backend.ready.is_set()

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

    def submit(self, task: str, config, session: str = "", share: bool = True) -> str:
        """Queue a job; a request equal to a queued or running one joins it (its id is returned)
        unless `share` is False or core.sharing says it cannot be shared."""
        if task not in RUNNERS:
            raise ValueError(f"unknown task {task!r}")
        key = sharing.request_key(task, config, self.executor)[0] if share else ""
        with self._share_lock:
            with self._lock:
                joined = self._joins.find(key, lambda jid: self._jobs[jid].status)
                if joined:
                    self._joins.join(joined, session)
                    return joined
                self._check_room(session, 1)
            return self._enqueue(task, config, session, key)

    def same_finished(self, task: str, config) -> tuple[dict | None, str]:
        """(the finished run with the same fingerprint or None, why this request cannot share)."""
        key, reason = sharing.request_key(task, config, self.executor)
        return sharing.finished_run(self.store, key), reason

    def submit_all(self, task: str, configs: dict, session: str = "") -> dict:
        """Submit a group of jobs ({name: config} -> {name: run id}): all of them, or none."""
        if task not in RUNNERS:
            raise ValueError(f"unknown task {task!r}")
        with self._lock:
            self._check_room(session, len(configs))
        return {name: self._enqueue(task, cfg, session) for name, cfg in configs.items()}

    def _enqueue(self, task: str, config, session: str, key: str = "") -> str:
        cfg = to_dict(config)
        # An upload is listed by the name it was uploaded as; the file stays under its hash.
        data_name = upload_names.label(str(cfg.get("data", "")))
        run_id = self.store.create(task, cfg, data_name=data_name, owner=session)
        if key:
            sharing.set_key(self.store, run_id, key)
        job = Job(id=run_id, task=task, config=config, session=session)
        with self._lock:
            self._jobs[run_id] = job
            self._order.append(run_id)
            self._joins.add(key, run_id)
        self._dispatch.submit(job)
        return run_id

    def stop(self, job_id: str) -> None:
        """Stop a running job within one batch; cancel a queued one before it starts."""
        with self._lock:
            job = self._jobs.get(job_id)
            if job is None:
                return
            job.stop_event.set()  # a Ray job's driver thread passes it on to the node
            if job.status == "running":
                self.backend.stop(job_id)
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
            snap["session"] = job.session  # whose job it is: a person who joined it cannot stop it
            snap["joined"] = len(self._joins.followers.get(job_id, ()))
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
        self._closing.set()
        with self._lock:
            for job in self._jobs.values():
                job.stop_event.set()
                if job.status == "running":
                    self.backend.stop(job.id)
        self._dispatch.shutdown(timeout)
        self.backend.close()

    # --- worker side -----------------------------------------------------
    def _on_event(self, job: Job, kind: str, payload: dict) -> None:
        if kind == "running":  # the backend started it (on a cluster: once a node has room)
            self._mark_running(job, payload.get("node", ""))
            return
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
        self._wait_for_space(job)

        def on_event(kind: str, payload: dict) -> None:
            self._on_event(job, kind, payload)

        try:
            status, result, error = self.backend.run(job, self.store, on_event)
        except Exception as exc:  # the store or the pipe failed around the training: the job still ends
            traceback.print_exc()
            status, result, error = "failed", None, failure_message(exc, self.store.root)
        if status == "failed":
            self._record_failure(job.id, error)
        self._finish(job, status, result, error)

    def _record_failure(self, job_id: str, error: str) -> None:
        """Make sure the store says "failed": the backend may not have managed to (a training
        process that died, a store that would not open, a full disk)."""
        self._disk_full = self._disk_full or error == DISK_FULL
        try:
            RunRecorder(self.store, job_id).failed(error)
        except Exception as exc:
            if not is_disk_full(exc, self.store.root):
                traceback.print_exc()
            self._disk_full = True
            self._unrecorded[job_id] = error  # written once there is room again

    def _wait_for_space(self, job: Job) -> None:
        """After a full disk, hold the queue until there is room again (so the next job does not
        fail the same way), then write down the failures that could not be written then."""
        while self._disk_full or self._unrecorded:
            try:
                self.store.probe_space()
                for job_id, error in list(self._unrecorded.items()):
                    self.store.finish(job_id, "failed", error=error)
                    del self._unrecorded[job_id]
                self._disk_full = False
            except Exception as exc:
                if not is_disk_full(exc, self.store.root):
                    traceback.print_exc()
                    return  # not a space problem: let the job try and report what it meets
                with self._lock:
                    job.message = "Waiting for free disk space on the server..."
                if self._closing.wait(SPACE_POLL_S):
                    return
