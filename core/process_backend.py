"""The default executor's training process: one long-lived `python -m core.worker` child.

The server never trains: Keras's fit loop is Python, and sharing the interpreter
lock with the server's threads made training 3-15x slower (measured: 20 s alone,
303 s beside one busy Python thread).
"""

from __future__ import annotations

import json
import os
import queue
import subprocess
import sys
import threading
from pathlib import Path
from typing import TYPE_CHECKING

from core.config import to_dict
from core.execute import EventFn, Outcome
from core.runs import RunStore

if TYPE_CHECKING:
    from core.job import Job


class ProcessBackend:
    """One long-lived `python -m core.worker` child that trains jobs one at a time.

    It imports TensorFlow as soon as it starts, so the first Train click does not
    wait for the import. Messages are JSON lines: jobs and stops go down its stdin,
    events and outcomes come up its stdout. It has the face of every backend (see
    `core.execute.InThreadBackend`).
    """

    spec = "local"

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
        on_event("running", {})
        self._send(
            {
                "op": "run",
                "job_id": job.id,
                "task": job.task,
                "config": to_dict(job.config),
                "store": str(store.root),
                "db": store.url,
            }
        )
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
        # The manager records the failure (the process could not): core.jobs.JobManager._run.
        return (
            "failed",
            None,
            f"The training process stopped unexpectedly (exit code {code}); the run was lost.",
        )

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
