"""Sentiment defaults on MR: test accuracy and training time, beside the TF-IDF baseline.

Runs the issue's command exactly as a user would, `python -m core sentiment --data mr
--seed 0`, in a fresh process. The reference, measured in the same run on the same
split, is the TF-IDF (1-2 grams) + logistic-regression baseline the command prints.
Targets (issue 5): training within 90 s, test accuracy of 0.75 or more.
Run: `flock /tmp/rnn-cpu.lock python -m benchmarks sentiment_mr` (the machine is shared).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

COMMAND = ["-m", "core", "sentiment", "--data", "mr", "--seed", "0"]


def run() -> list[dict]:
    root = Path(__file__).resolve().parents[1]
    t0 = time.perf_counter()
    out = subprocess.run(
        [sys.executable, *COMMAND],
        cwd=root,
        capture_output=True,
        text=True,
        env=os.environ.copy(),
        timeout=900,
    )
    wall = time.perf_counter() - t0
    if out.returncode != 0:
        return [{"benchmark": "sentiment_mr_default", "error": out.stderr.strip().splitlines()[-1:]}]
    result = json.loads(out.stdout.strip().splitlines()[-1])
    acc, seconds = result["test"]["accuracy"], result["train_seconds"]
    return [
        {
            "benchmark": "sentiment_mr_default",
            "command": "python " + " ".join(COMMAND),
            "test_accuracy": round(acc, 4),
            "test_f1": round(result["test"]["f1"], 4),
            "reference": "TF-IDF (1-2 grams) + logistic regression, same split, same run",
            "reference_accuracy": round(result["baseline"]["accuracy"], 4),
            "reference_f1": round(result["baseline"]["f1"], 4),
            "beats_reference": acc > result["baseline"]["accuracy"],
            "train_seconds": seconds,
            "wall_seconds_with_tensorflow_import": round(wall, 2),
            "target_accuracy": 0.75,
            "target_train_s": 90,
            "met": acc >= 0.75 and seconds <= 90,
        }
    ]
