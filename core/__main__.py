"""Command line: `python -m core <task> ...` runs a task without a browser.

Progress goes to stderr; the last line of stdout is one JSON object with the
final metrics. Exit status 0 on success, 2 with a one-line message on bad input.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import threading

from core.config import ArchitectureConfig, ConfigError, ForecastConfig, TextConfig, TrainingConfig, to_dict


class UsageError(Exception):
    pass


class _Parser(argparse.ArgumentParser):
    def error(self, message: str):  # argparse would exit with its own format
        raise UsageError(message)


def _shared(p: argparse.ArgumentParser, epochs: int) -> None:
    g = p.add_argument_group("model and training")
    g.add_argument("--cell", choices=["simple", "lstm", "gru"], default="lstm")
    g.add_argument("--units", type=int, default=32)
    g.add_argument("--layers", type=int, default=1)
    g.add_argument("--bidirectional", action="store_true")
    g.add_argument("--dropout", type=float, default=0.0)
    g.add_argument("--recurrent-dropout", type=float, default=0.0)
    g.add_argument("--l2", type=float, default=0.0)
    g.add_argument("--layer-norm", action="store_true")
    g.add_argument("--epochs", type=int, default=epochs)
    g.add_argument("--budget-s", type=float, default=0.0, help="stop after this many seconds (0: no limit)")
    g.add_argument("--seed", type=int, default=0)
    g.add_argument("--batch-size", type=int, default=32)
    g.add_argument("--learning-rate", type=float, default=1e-3)
    g.add_argument("--optimizer", choices=["adam", "rmsprop", "sgd"], default="adam")
    g.add_argument("--clip-norm", type=float, default=1.0)
    g.add_argument("--patience", type=int, default=0)
    g.add_argument("--reduce-on-plateau", action="store_true")
    g.add_argument("--val-fraction", type=float, default=0.15)


def _arch(a) -> ArchitectureConfig:
    return ArchitectureConfig(
        cell=a.cell,
        units=a.units,
        layers=a.layers,
        bidirectional=a.bidirectional,
        dropout=a.dropout,
        recurrent_dropout=a.recurrent_dropout,
        l2=a.l2,
        layer_norm=a.layer_norm,
    )


def _train(a) -> TrainingConfig:
    return TrainingConfig(
        epochs=a.epochs,
        batch_size=a.batch_size,
        learning_rate=a.learning_rate,
        optimizer=a.optimizer,
        clip_norm=a.clip_norm,
        patience=a.patience,
        reduce_on_plateau=a.reduce_on_plateau,
        val_fraction=a.val_fraction,
        seed=a.seed,
        budget_s=a.budget_s,
    )


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
    _shared(f, epochs=20)
    _text_parser(sub)
    return p


def _text_parser(sub) -> None:
    t = sub.add_parser("text", help="learn a text character by character, then write more of it")
    t.add_argument("--data", default="shakespeare", help="shakespeare or FILE.txt (UTF-8, else Latin-1)")
    t.add_argument("--seq-len", type=int, default=100, help="characters per training sequence")
    t.add_argument("--embed-dim", type=int, default=64, help="size of each character's embedding")
    t.add_argument("--lr-decay", action=argparse.BooleanOptionalAction, default=TextConfig().lr_decay,
                   help="learning rate falls linearly to 10%% over the run (budget or epochs)")  # fmt: skip
    g = t.add_argument_group("generation after training (the JSON's sample)")
    g.add_argument("--generate", type=int, default=500, help="characters to write (1-5000)")
    g.add_argument("--temperature", type=float, default=0.8, help="0.1-2.0: low is safe, high is bold")
    g.add_argument("--top-k", type=int, default=0, help="sample among the k likeliest characters (0: all)")
    g.add_argument("--prompt", default="", help="text the model reads before it writes")
    g.add_argument("--sample-seed", type=int, default=0, help="the same seed writes the same text")
    g.add_argument("--greedy", action="store_true", help="always take the likeliest character")
    _shared(t, epochs=20)
    defaults = TextConfig()
    t.set_defaults(
        cell=defaults.arch.cell,
        units=defaults.arch.units,
        layers=defaults.arch.layers,
        batch_size=defaults.train.batch_size,
        learning_rate=defaults.train.learning_rate,
        val_fraction=defaults.train.val_fraction,
        epochs=defaults.train.epochs,
    )
    for action in t._actions:
        if action.dest == "bidirectional":
            action.help = (
                "not for text (an error): the model writes one character at a time,"
                " so it cannot read the characters after the one it writes"
            )


def forecast_config(a) -> ForecastConfig:
    return ForecastConfig(
        data=a.data,
        column=a.column,
        date_column=a.date_column,
        features=tuple(a.features),
        lookback=a.lookback,
        horizon=a.horizon,
        scaler=a.scaler,
        test_fraction=a.test_fraction,
        season=a.season,
        missing=a.missing,
        arch=_arch(a),
        train=_train(a),
    )


def text_config(a) -> TextConfig:
    return TextConfig(
        data=a.data,
        seq_len=a.seq_len,
        embed_dim=a.embed_dim,
        lr_decay=a.lr_decay,
        arch=_arch(a),
        train=_train(a),
    )


def _print_event(kind: str, payload: dict) -> None:
    if kind == "epoch":
        parts = [f"{k}={v:.4g}" for k, v in payload.items() if k in ("loss", "val_loss", "mae", "val_mae")]
        print(f"epoch {payload['epoch']}: {' '.join(parts)}", file=sys.stderr, flush=True)
    elif kind == "status":
        print(payload["message"], file=sys.stderr, flush=True)
    elif kind == "sample":  # text: the newest live sample, on one line
        print(f"sample: {payload['samples'][-1]['text'][:100]!r}", file=sys.stderr, flush=True)


def _text_sample(a, run_dir) -> dict:
    """Write --generate characters with the saved model, as the page would."""
    from core import textgen

    gen = textgen.generate_saved(
        run_dir, a.prompt, a.generate, a.temperature, a.top_k, a.sample_seed, a.greedy
    )
    for note in gen.notes:
        print(f"note: {note}", file=sys.stderr, flush=True)
    return {"sample": gen.text, "generate_chars_per_s": round(gen.chars_per_s)}


def _clean(obj):
    """JSON has no NaN: write null instead."""
    if isinstance(obj, float) and not math.isfinite(obj):
        return None
    if isinstance(obj, dict):
        return {k: _clean(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [_clean(v) for v in obj]
    return obj


def main(argv: list[str] | None = None) -> int:
    from core.datasets import DataError
    from core.jobs import USER_ERRORS, execute
    from core.runs import RunStore

    try:
        a = parser().parse_args(argv)
        config = {"forecast": forecast_config, "text": text_config}[a.task](a)
        task = a.task
        if task == "forecast":
            from core.forecasting import prepare

            prepare(config)  # check the data before TensorFlow loads
        elif task == "text":
            from core.textgen import check_generation, prepare

            check_generation(a.generate, a.temperature, a.top_k)
            prepare(config)
        store = RunStore()
        run_id = store.create(task, to_dict(config), data_name=a.data)
        _, result = execute(task, config, store, run_id, _print_event, threading.Event())
        final = dict(result["final"], run_id=run_id)
        if task == "text":
            final.update(_text_sample(a, store.run_dir(run_id)))
    except (UsageError, ConfigError, DataError, *USER_ERRORS) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(json.dumps(_clean(final)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
