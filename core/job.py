"""One job as the manager and every executor see it: settings, live progress, result."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field

from core.eta import ProgressClock


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
