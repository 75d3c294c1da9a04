"""Every task's default model, trained as the app trains it, before and after the fast layers.

For each task (forecast, text, music, sentiment, memory) the task's own trainer runs on its
default config and data, in a fresh process, twice: with Keras's own recurrent loop
(RNN_STUDIO_FAST_RNN=0: what the app ran before issue 18) and with the app's path (the
fast loop, XLA where the app chooses it). Each run reports its fit's windows (or
characters) per second of fitting (the time inside `TrainContext.fit`, compilation and
per-epoch validation included, as a person waits for it), the steps it took and the task's
headline quality number, so a speed-up that costs quality shows. The text model trains for
60 s (its default has no time budget). Target (issue 18): >= 1.5x before for every task,
quality bars still held. Run: `flock /tmp/rnn-cpu.lock python -m benchmarks task_speed`.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TASK_NAMES = ("forecast", "text", "music", "sentiment", "memory")
QUALITY = {  # the headline number of each task's final metrics (a path into them), which way is better
    "forecast": ("test.rnn.mae", "lower"),
    "text": ("val_loss", "lower"),
    "music": ("val_nll", "lower"),
    "sentiment": ("test.accuracy", "higher"),
    "memory": ("test.accuracy", "higher"),
}


def _get(final: dict, path: str):
    for part in path.split("."):
        final = final.get(part) if isinstance(final, dict) else None
    return final


def one(task: str) -> dict:
    """Train `task`'s default model here; what the fit measured (run in a child process)."""
    from core.tasks import TASKS, load
    from core.training import TrainContext

    cfg = TASKS[task].config()
    if task == "text":
        cfg = replace(cfg, train=replace(cfg.train, budget_s=60.0))
    fits = []
    original = TrainContext.fit

    def timed(self, model, x, y, validation_data, train_cfg, extra_callbacks=()):
        first = x[0] if isinstance(x, list | tuple) else x
        steps0 = int(model.optimizer.iterations.numpy())
        t = time.perf_counter()
        history = original(self, model, x, y, validation_data, train_cfg, extra_callbacks)
        seconds = time.perf_counter() - t
        steps = int(model.optimizer.iterations.numpy()) - steps0
        per_window = first.shape[1] if task == "text" else 1  # characters: windows x length
        fits.append(
            {
                "seconds": seconds,
                "steps": steps,
                "windows": min(steps * train_cfg.batch_size, len(history) * len(first)) * per_window,
                "xla": bool(model.jit_compile),
            }
        )
        return history

    TrainContext.fit = timed
    with tempfile.TemporaryDirectory() as tmp:
        result = load(TASKS[task].runner)(cfg, TrainContext(run_dir=Path(tmp)))
    final = result["final"]
    key, _ = QUALITY[task]
    seconds = sum(f["seconds"] for f in fits)
    return {
        "fit_seconds": round(seconds, 1),
        "steps": sum(f["steps"] for f in fits),
        "per_s": sum(f["windows"] for f in fits) / seconds,
        "steps_per_s": sum(f["steps"] for f in fits) / seconds,
        "xla": any(f["xla"] for f in fits),
        "quality": _get(final, key),
        "load_average": round(os.getloadavg()[0], 2),
    }


def _child(task: str, fast: bool) -> dict:
    env = {**os.environ, "RNN_STUDIO_FAST_RNN": "1" if fast else "0"}
    out = subprocess.run(
        [sys.executable, "-m", "benchmarks.task_speed", task],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env=env,
        timeout=1800,
    )
    if out.returncode != 0:
        return {"error": out.stderr.strip()[-500:]}
    return json.loads(out.stdout.strip().splitlines()[-1])


def run(tasks=TASK_NAMES) -> list[dict]:
    records = []
    for task in tasks:
        load_before = round(os.getloadavg()[0], 2)
        before, after = _child(task, False), _child(task, True)
        record = {
            "benchmark": f"task_speed_{task}",
            "before": before,
            "after": after,
            "load_at_start": load_before,
        }
        if "per_s" in before and "per_s" in after:
            key, better = QUALITY[task]
            record["unit"] = "characters/s" if task == "text" else "windows/s"
            record["speedup"] = round(after["per_s"] / before["per_s"], 2)
            record["steps_speedup"] = round(after["steps_per_s"] / before["steps_per_s"], 2)
            record["quality_metric"] = f"{key} ({better} is better)"
            record["target_speedup"] = 1.5
            record["met"] = record["speedup"] >= 1.5
        records.append(record)
    return records


if __name__ == "__main__":
    print(json.dumps(one(sys.argv[1])), flush=True)
