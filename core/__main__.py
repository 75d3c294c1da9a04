"""Command line: `python -m core <task> ...` runs a task without a browser.

Progress goes to stderr; the last line of stdout is one JSON object with the
final metrics. Exit status 0 on success, 2 with a one-line message on bad input.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import math
import sys
import threading
from pathlib import Path

from core.config import TASK_CONFIGS, ArchitectureConfig, ConfigError, TrainingConfig, to_dict


class UsageError(Exception):
    pass


class _Parser(argparse.ArgumentParser):
    def error(self, message: str):  # argparse would exit with its own format
        raise UsageError(message)


def _shared(p: argparse.ArgumentParser, epochs: int, batch_size: int = 32) -> None:
    """The architecture and training options every task takes (dest = config field name)."""
    flag = argparse.BooleanOptionalAction
    g = p.add_argument_group("model and training")
    g.add_argument("--cell", choices=["simple", "lstm", "gru"], default="lstm")
    g.add_argument("--units", type=int, default=32)
    g.add_argument("--layers", type=int, default=1)
    g.add_argument("--bidirectional", action=flag, default=False)
    g.add_argument("--dropout", type=float, default=0.0)
    g.add_argument("--recurrent-dropout", type=float, default=0.0)
    g.add_argument("--l2", type=float, default=0.0)
    g.add_argument("--layer-norm", action=flag, default=False)
    g.add_argument("--epochs", type=int, default=epochs)
    g.add_argument("--budget-s", type=float, default=0.0, help="stop after this many seconds (0: no limit)")
    g.add_argument("--seed", type=int, default=0)
    g.add_argument("--batch-size", type=int, default=batch_size)
    g.add_argument("--learning-rate", type=float, default=1e-3)
    g.add_argument("--optimizer", choices=["adam", "rmsprop", "sgd"], default="adam")
    g.add_argument("--clip-norm", type=float, default=1.0)
    g.add_argument("--patience", type=int, default=0)
    g.add_argument("--reduce-on-plateau", action=flag, default=False)
    g.add_argument("--val-fraction", type=float, default=0.15)


def config_from_args(cls: type, a: argparse.Namespace):
    """Build a task config from parsed options whose dest matches the config's field names."""
    values = vars(a)

    def build(kind: type):
        kwargs = {}
        for f in dataclasses.fields(kind):
            if f.name == "arch":
                kwargs["arch"] = build(ArchitectureConfig)
            elif f.name == "train":
                kwargs["train"] = build(TrainingConfig)
            elif f.name in values:
                value = values[f.name]
                kwargs[f.name] = tuple(value) if isinstance(value, list) else value
        return kind(**kwargs)

    return build(cls)


def recipe(task: str, config: dict) -> list[str]:
    """The command line that trains this config again: every option spelled out."""
    flat = {k: v for k, v in config.items() if k not in ("arch", "train")}
    flat.update(config.get("arch", {}))
    flat.update(config.get("train", {}))
    sub = _subparsers(parser())[task]
    args = ["python", "-m", "core", task]
    for action in sub._actions:
        if action.dest not in flat or not action.option_strings:
            continue
        value, name = flat[action.dest], action.option_strings[0]
        if isinstance(action, argparse.BooleanOptionalAction):
            args.append(name if value else "--no-" + name[2:])
        elif isinstance(value, list | tuple):
            if value:
                args += [name, *map(str, value)]
        else:
            args += [name, str(value)]
    return args


def _subparsers(p: argparse.ArgumentParser) -> dict[str, argparse.ArgumentParser]:
    return next(a for a in p._actions if isinstance(a, argparse._SubParsersAction)).choices


def parser() -> argparse.ArgumentParser:
    p = _Parser(prog="python -m core", description="RNN Studio without a browser.")
    sub = p.add_subparsers(dest="task", required=True, parser_class=_Parser)
    f = sub.add_parser("forecast", help="forecast a time series")
    f.add_argument("--data", default="synthetic", help="synthetic, seattle, stocks:TICKER or FILE.csv")
    f.add_argument("--column", default="", help="the column to forecast")
    f.add_argument("--date-column", default="")
    f.add_argument("--features", nargs="*", default=[], help="extra input columns")
    f.add_argument("--lookback", type=int, default=30)
    f.add_argument("--horizon", type=int, default=1)
    f.add_argument("--scaler", choices=["minmax", "standard"], default="minmax")
    f.add_argument("--test-fraction", type=float, default=0.15)
    f.add_argument("--season", type=int, default=0, help="seasonal period in steps (0: detect)")
    f.add_argument("--missing", choices=["interpolate", "drop"], default="interpolate")
    f.add_argument("--synthetic-length", type=int, default=1461, help="days of synthetic data")
    f.add_argument("--synthetic-amplitude", type=float, default=10.0)
    f.add_argument("--synthetic-noise", type=float, default=2.0)
    _shared(f, epochs=20)

    m = sub.add_parser("memory", help="long-memory toy task: gradients before and after a short training")
    m.add_argument("--length", type=int, default=50, help="steps per sequence (the memory distance)")
    m.add_argument(
        "--recurrent-scale", type=float, default=1.0, help="multiplies the initial recurrent weights"
    )
    m.add_argument("--samples", type=int, default=4000, help="training sequences")
    _shared(m, epochs=5, batch_size=64)
    m.set_defaults(learning_rate=3e-3)

    r = sub.add_parser("runs", help="list, show, export, import or delete stored runs")
    rs = r.add_subparsers(dest="action", required=True, parser_class=_Parser)
    ls = rs.add_parser("list")
    ls.add_argument("--task", dest="only_task", default=None)
    ls.add_argument("--json", action="store_true")
    show = rs.add_parser("show")
    show.add_argument("id")
    show.add_argument("--json", action="store_true")
    ex = rs.add_parser("export")
    ex.add_argument("id")
    ex.add_argument("--out", required=True)
    im = rs.add_parser("import")
    im.add_argument("file")
    de = rs.add_parser("delete")
    de.add_argument("id")
    return p


def _print_event(kind: str, payload: dict) -> None:
    if kind == "epoch":
        parts = [f"{k}={v:.4g}" for k, v in payload.items() if k in ("loss", "val_loss", "mae", "val_mae")]
        print(f"epoch {payload['epoch']}: {' '.join(parts)}", file=sys.stderr, flush=True)
    elif kind == "status":
        print(payload["message"], file=sys.stderr, flush=True)


def _clean(obj):
    """JSON has no NaN: write null instead."""
    if isinstance(obj, float) and not math.isfinite(obj):
        return None
    if isinstance(obj, dict):
        return {k: _clean(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [_clean(v) for v in obj]
    return obj


def runs_command(a: argparse.Namespace) -> int:
    from core import recipes
    from core.datasets import DataError
    from core.runs import RunStore

    store = RunStore()
    if a.action == "list":
        rows = store.list(task=a.only_task)
        if a.json:
            print(json.dumps(_clean([recipes.summary(r) for r in rows])))
        else:
            for r in rows:
                s = recipes.summary(r)
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
        new_id = recipes.import_zip(store, Path(a.file).read_bytes())
        print(json.dumps({"imported": new_id}))
    elif a.action == "delete":
        store.delete(a.id)
        print(json.dumps({"deleted": a.id}))
    return 0


def main(argv: list[str] | None = None) -> int:
    from core.datasets import DataError
    from core.jobs import USER_ERRORS, execute
    from core.runs import RunStore

    try:
        a = parser().parse_args(argv)
        if a.task == "runs":
            return runs_command(a)
        task = a.task
        config = config_from_args(TASK_CONFIGS[task], a)
        if task == "forecast":
            from core.forecasting import prepare

            prepare(config)  # check the data before TensorFlow loads
        store = RunStore()
        run_id = store.create(task, to_dict(config), data_name=getattr(a, "data", ""))
        _, result = execute(task, config, store, run_id, _print_event, threading.Event())
    except (UsageError, ConfigError, DataError, OSError, *USER_ERRORS) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    final = dict(result["final"], run_id=run_id)
    print(json.dumps(_clean(final)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
