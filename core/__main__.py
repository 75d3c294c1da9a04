"""Command line: `python -m core <task> ...` runs a task without a browser.

Progress goes to stderr; the last line of stdout is one JSON object with the
final metrics. Exit status 0 on success, 2 with a one-line message on bad input.
"""

from __future__ import annotations

import argparse
import json
import math
import re
import sys
import threading
from pathlib import Path

from core.cli import UsageError, check, config_from_args, parser, recipe  # noqa: F401  (tests import them here)
from core.config import to_dict
from core.errors import USER_ERRORS, DataError
from core.tasks import TASK_CONFIGS, TASKS, load

_SHOWN = ("loss", "val_loss", "mae", "val_mae", "accuracy", "val_accuracy")


def _print_event(kind: str, payload: dict) -> None:
    if kind == "epoch":
        parts = [f"{k}={v:.4g}" for k, v in payload.items() if k in _SHOWN]
        print(f"epoch {payload['epoch']}: {' '.join(parts)}", file=sys.stderr, flush=True)
    elif kind == "status":
        print(payload["message"], file=sys.stderr, flush=True)
    elif kind == "sample" and payload.get("samples"):  # text: the newest live sample, on one line
        print(f"sample: {payload['samples'][-1]['text'][:100]!r}", file=sys.stderr, flush=True)


def _clean(obj):
    """JSON has no NaN: write null instead."""
    if isinstance(obj, float) and not math.isfinite(obj):
        return None
    if isinstance(obj, dict):
        return {k: _clean(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [_clean(v) for v in obj]
    return obj


def _train(task: str, config, store, run_id: str) -> dict:
    """Train here, or on the Ray cluster that RNN_STUDIO_EXECUTOR names."""
    from core.errors import TrainingError
    from core.execute import execute
    from core.job import Job
    from core.ray_executor import RayExecutor, executor_spec

    spec = executor_spec()
    if spec == "local":
        return execute(task, config, store, run_id, _print_event, threading.Event())[1]
    print(f"training on the Ray cluster {spec}", file=sys.stderr, flush=True)

    def on_event(kind: str, payload: dict) -> None:
        if kind == "running":
            print(f"running on node {payload['node']}", file=sys.stderr, flush=True)
        else:
            _print_event(kind, payload)

    status, result, error = RayExecutor(spec).run(Job(id=run_id, task=task, config=config), store, on_event)
    if status == "failed":
        raise TrainingError(error)
    return result


def runs_command(a: argparse.Namespace) -> int:
    from core import recipes
    from core.runs import RunStore

    store = RunStore()
    if a.action == "list":
        rows = store.list(task=a.only_task)
        if a.json:
            print(json.dumps(_clean([recipes.summary(r) for r in rows])))
        else:
            for r in rows:
                s = {k: re.sub(r"[\x00-\x1f\x7f]", "?", str(v)) for k, v in recipes.summary(r).items()}
                print(
                    f"{s['id']}  {s['task']:9} {s['status']:11} {s['data']:20.20} {s['model']:24} {s['best']}"
                )
        return 0
    row = store.get(a.id) if a.action != "import" else None
    if a.action != "import" and row is None:
        raise DataError(f"No run with id {a.id!r}: `python -m core runs list` shows them.")
    if a.action == "show":
        card = recipes.card(store, row)
        print(json.dumps(_clean(card)) if a.json else json.dumps(_clean(card), indent=2))
    elif a.action == "export":
        Path(a.out).write_bytes(recipes.export_zip(store, a.id))
        print(json.dumps({"exported": a.id, "file": a.out}))
    elif a.action == "import":
        new_id = recipes.import_zip(store, a.file)  # read member by member, never whole
        print(json.dumps({"imported": new_id}))
    elif a.action == "delete":
        store.delete(a.id)
        print(json.dumps({"deleted": a.id}))
    return 0


def main(argv: list[str] | None = None) -> int:
    from core.runs import RunStore

    try:
        a = parser().parse_args(argv)
        if a.task == "runs":
            return runs_command(a)
        task = a.task
        config = config_from_args(TASK_CONFIGS[task], a)
        check(task, config, a)  # the data and settings, before TensorFlow loads
        store = RunStore()
        run_id = store.create(task, to_dict(config), data_name=getattr(a, "data", ""))
        result = _train(task, config, store, run_id)
        final = dict(result["final"], run_id=run_id)
        if TASKS[task].after:  # what the task adds to its JSON: a text's sample, a review's reading
            final = load(TASKS[task].after)(final, a, store, run_id)
    except (UsageError, OSError, *USER_ERRORS) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(json.dumps(_clean(final)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
