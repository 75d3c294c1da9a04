"""Every task's default model, trained as the app trains it, before and after the fast layers.

For each task (forecast, text, music, sentiment, memory) the task's own trainer runs on its
default config and data, in a fresh process, twice: "before" is the app as it was when
issue 18 was filed (commit BEFORE, unpacked with `git archive` into a temporary folder and
run by this same measuring code: Keras's own recurrent loop, and Keras's per-epoch data
iterators), "after" is this checkout (the fast loop, XLA where the app chooses it, one
data pipeline per fit and the held-out split scored from the arrays). Each run reports its fit's windows (or
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
BEFORE = "0ca5993"  # main just before the fast layers landed (2026-12-01 11:52), issue 18's "today"
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
    from core.tf import keras_module
    from core.training import TrainContext

    cfg = TASKS[task].config()
    keras_module().utils.set_random_seed(cfg.train.seed)  # as a training job does (core.execute)
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


# This file run as a script with the tree's folder (cwd) first on the path, not benchmarks/.
_RUN_THIS = "import runpy, sys; sys.argv = sys.argv[1:]; runpy.run_path(sys.argv[0], run_name='__main__')"


def _child(task: str, tree: Path) -> dict:
    """`one(task)` in a fresh process on the app in `tree` (this file measures either tree)."""
    env = {**os.environ, "PYTHONPATH": str(tree)}
    out = subprocess.run(
        [sys.executable, "-c", _RUN_THIS, str(Path(__file__).resolve()), task],
        cwd=tree,
        capture_output=True,
        text=True,
        env=env,
        timeout=1800,
    )
    if out.returncode != 0:
        return {"error": out.stderr.strip()[-500:]}
    return json.loads(out.stdout.strip().splitlines()[-1])


def _before_tree(folder: Path) -> Path | None:
    """The app at commit BEFORE, unpacked into `folder`; None without git or that commit."""
    try:
        archive = subprocess.run(
            ["git", "archive", BEFORE], cwd=ROOT, capture_output=True, check=True, timeout=60
        )
        subprocess.run(["tar", "-x", "-C", str(folder)], input=archive.stdout, check=True, timeout=60)
    except (OSError, subprocess.SubprocessError):
        return None
    return folder


def run(tasks=TASK_NAMES) -> list[dict]:
    records = []
    with tempfile.TemporaryDirectory() as tmp:
        before_tree = _before_tree(Path(tmp))
        for task in tasks:
            records.append(_compare(task, before_tree))
    return records


def _compare(task: str, before_tree: Path | None) -> dict:
    load_before = round(os.getloadavg()[0], 2)
    if before_tree is None:
        before = {"error": f"skipped: commit {BEFORE} is not in this checkout (git archive failed)"}
    else:
        before = _child(task, before_tree)
    after = _child(task, ROOT)
    record = {
        "benchmark": f"task_speed_{task}",
        "before": before,
        "before_commit": BEFORE,
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
    return record


if __name__ == "__main__":
    print(json.dumps(one(sys.argv[1])), flush=True)
