"""A job manager with the real one's face and canned snapshots: a page renders every state of a
training (queued, running, failed, stopped, lost with an old server) without training anything."""

from __future__ import annotations

import time

from core.runs import RunStore


def canned(job_id: str, task: str, config, status: str) -> dict:
    """A snapshot as `JobManager.snapshot` gives it, three epochs into a run when running."""
    epochs = [{"epoch": e, "loss": 1.0 / e, "val_loss": 1.2 / e, "progress": e / 10} for e in (1, 2, 3)]
    batches = [
        {"epoch": 4, "batch": b, "batches": 10, "loss": 0.3 - b / 100, "progress": 0.3} for b in (1, 2)
    ]
    running = status in ("running", "failed", "stopped")
    return {
        "id": job_id,
        "task": task,
        "config": config,
        "status": status,
        "position": 2 if status == "queued" else 0,
        "progress": 0.32 if running else 0.0,
        "elapsed": 12.0 if running else 0.0,
        "eta": 25.0 if status == "running" else None,
        "wait_s": 40.0 if status == "queued" else None,
        "epochs": epochs if running else [],
        "batches": batches if running else [],
        "extras": {},
        "message": "Training",
        "error": "The CSV file has no column of numbers to forecast." if status == "failed" else "",
        "result": None,
    }


class FakeJobs:
    """What pages call on `ui.panel.manager()`; submissions and stops are recorded, not run."""

    executor = "local"
    engine_ready = True

    def __init__(self) -> None:
        self.store = RunStore()
        self.snaps: dict[str, dict] = {}
        self.submitted: list[tuple[str, object, str]] = []
        self.stopped: list[str] = []

    def describe_executor(self) -> str:
        return "a fake job manager (tests)"

    def put(self, job_id: str, task: str, config, status: str) -> str:
        self.snaps[job_id] = canned(job_id, task, config, status)
        return job_id

    def submit(self, task: str, config, session: str = "", share: bool = True) -> str:
        self.submitted.append((task, config, session))
        return self.put(f"fake{len(self.submitted)}-{int(time.time())}", task, config, "queued")

    def same_finished(self, task: str, config) -> tuple[dict | None, str]:
        """No finished twin: every press of Train submits (core.sharing is tested on its own)."""
        return None, ""

    def submit_all(self, task: str, configs: dict, session: str = "") -> dict:
        return {name: self.submit(task, cfg, session) for name, cfg in configs.items()}

    def snapshot(self, job_id: str) -> dict | None:
        snap = self.snaps.get(job_id)
        return dict(snap) if snap else None

    def stop(self, job_id: str) -> None:
        self.stopped.append(job_id)

    def jobs(self, session: str | None = None) -> list[dict]:
        return list(self.snaps.values())

    def shutdown(self, timeout: float | None = None) -> None:
        """Nothing runs."""
