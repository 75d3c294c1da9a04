"""Memory: 20 consecutive small training runs through one job manager (as one server would run them).

Training happens in the manager's long-lived training process, so that is where
memory could grow; the server process is measured too. Growth per run is the
resident size after the last run minus after the first, divided by the runs in
between. Reference in the same run: the same 20 trainings with Keras in one
plain process without `clear_session`, so the figure shows what the worker's
reset saves. Target (issue 8): under 20 MB per run.
Run: `python -m benchmarks memory`.
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
from pathlib import Path

RUNS = 20


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def _config():
    from core.config import ArchitectureConfig, ForecastConfig, TrainingConfig

    return ForecastConfig(
        data="synthetic",
        synthetic_length=400,
        lookback=10,
        arch=ArchitectureConfig(units=16),
        train=TrainingConfig(epochs=2),
    )


REFERENCE = """
import os, resource, sys
sys.path.insert(0, os.getcwd())
from benchmarks.memory import _config, rss_mb
from core import forecasting as fc
from core.models import build_regressor
from core.tf import keras_module
keras = keras_module()
cfg = _config()
p = fc.prepare(cfg)
tr = p.masks[0]
sizes = []
for i in range(20):
    model = build_regressor(cfg.arch, cfg.lookback, 1, 1)
    model.compile(optimizer="adam", loss="mse")
    model.fit(p.x[tr], p.y[tr], epochs=2, verbose=0)
    sizes.append(rss_mb(os.getpid()))
print((sizes[-1] - sizes[0]) / 19)
"""


def run() -> list[dict]:
    from core.jobs import JobManager
    from core.runs import RunStore

    with tempfile.TemporaryDirectory() as tmp:
        mgr = JobManager(RunStore(tmp))
        mgr.backend.ready.wait(120)
        worker, server = [], []
        for _ in range(RUNS):
            job = mgr.submit("forecast", _config())
            assert mgr.wait(job, 300)["status"] == "done"
            worker.append(rss_mb(mgr.backend.pid))
            server.append(rss_mb(__import__("os").getpid()))
        mgr.shutdown()
    ref = subprocess.run(
        [sys.executable, "-c", REFERENCE], capture_output=True, text=True, cwd=Path(__file__).parents[1]
    )
    reference = float(ref.stdout.strip().splitlines()[-1]) if ref.returncode == 0 else None
    per_run = (worker[-1] - worker[0]) / (RUNS - 1)
    return [
        {
            "benchmark": "memory_growth_per_run",
            "runs": RUNS,
            "training_process_mb_per_run": round(per_run, 2),
            "training_process_first_last_mb": [round(worker[0]), round(worker[-1])],
            "server_process_mb_per_run": round((server[-1] - server[0]) / (RUNS - 1), 2),
            "reference": "same trainings in one process, no clear_session",
            "reference_mb_per_run": round(reference, 2) if reference is not None else None,
            "target_mb_per_run": 20,
            "met": per_run < 20,
        }
    ]
