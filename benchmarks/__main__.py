"""`python -m benchmarks [name ...]`: run the benchmarks, one JSON object per line on stdout."""

from __future__ import annotations

import importlib
import json
import sys

ALL = [
    "demos",
    "startup",
    "forecast_page",
    "memory",
    "classroom",
    "throughput",
    "task_speed",
    "text_generation",
    "text_quality",
    "sentiment_mr",
    "music",
    "scale",
]


def main(argv: list[str]) -> int:
    for name in argv or ALL:
        module = importlib.import_module(f"benchmarks.{name}")
        for record in module.run():
            print(json.dumps(record), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
