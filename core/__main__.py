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

from core.config import (
    ArchitectureConfig,
    ConfigError,
    ForecastConfig,
    SentimentConfig,
    TrainingConfig,
    to_dict,
)


class UsageError(Exception):
    pass


class _Parser(argparse.ArgumentParser):
    def error(self, message: str):  # argparse would exit with its own format
        raise UsageError(message)


def _shared(
    p: argparse.ArgumentParser,
    epochs: int,
    arch: ArchitectureConfig | None = None,
    train: TrainingConfig | None = None,
) -> None:
    """The model and training options; `arch` and `train` give a task's own defaults."""
    d, t = arch or ArchitectureConfig(), train or TrainingConfig(epochs=epochs)
    g = p.add_argument_group("model and training")
    g.add_argument("--cell", choices=["simple", "lstm", "gru"], default=d.cell)
    g.add_argument("--units", type=int, default=d.units)
    g.add_argument("--layers", type=int, default=d.layers)
    g.add_argument("--bidirectional", action=argparse.BooleanOptionalAction, default=d.bidirectional)
    g.add_argument("--dropout", type=float, default=d.dropout)
    g.add_argument("--recurrent-dropout", type=float, default=d.recurrent_dropout)
    g.add_argument("--l2", type=float, default=d.l2)
    g.add_argument("--layer-norm", action=argparse.BooleanOptionalAction, default=d.layer_norm)
    g.add_argument("--epochs", type=int, default=epochs)
    g.add_argument(
        "--budget-s", type=float, default=t.budget_s, help="stop after this many seconds (0: no limit)"
    )
    g.add_argument("--seed", type=int, default=t.seed)
    g.add_argument("--batch-size", type=int, default=t.batch_size)
    g.add_argument("--learning-rate", type=float, default=t.learning_rate)
    g.add_argument("--optimizer", choices=["adam", "rmsprop", "sgd"], default=t.optimizer)
    g.add_argument("--clip-norm", type=float, default=t.clip_norm)
    g.add_argument("--patience", type=int, default=t.patience)
    g.add_argument("--reduce-on-plateau", action=argparse.BooleanOptionalAction, default=t.reduce_on_plateau)
    g.add_argument("--val-fraction", type=float, default=t.val_fraction)


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
    d = SentimentConfig()
    s = sub.add_parser("sentiment", help="read the sentiment of movie reviews")
    s.add_argument("--data", default="mr", help="mr, imdb (downloads about 17 MB once) or FILE.csv")
    s.add_argument("--text-column", default="", help="the CSV column with the texts (default: guessed)")
    s.add_argument(
        "--label-column", default="", help="the CSV column with two label values (default: guessed)"
    )
    s.add_argument("--vocab", type=int, default=d.vocab, help="vocabulary size (words)")
    s.add_argument("--max-len", type=int, default=d.max_len, help="words read per review")
    s.add_argument("--embed-dim", type=int, default=d.embed_dim)
    s.add_argument(
        "--word-dropout", type=float, default=d.word_dropout, help="share of words hidden in training"
    )
    s.add_argument("--attention", action=argparse.BooleanOptionalAction, default=d.attention)
    s.add_argument("--test-fraction", type=float, default=d.test_fraction)
    s.add_argument("--split-seed", type=int, default=d.split_seed)
    s.add_argument("--predict", default=None, help="a review to analyse word by word after training")
    _shared(s, epochs=d.train.epochs, arch=d.arch, train=d.train)
    return p


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


def sentiment_config(a) -> SentimentConfig:
    return SentimentConfig(
        data=a.data,
        text_column=a.text_column,
        label_column=a.label_column,
        vocab=a.vocab,
        max_len=a.max_len,
        embed_dim=a.embed_dim,
        word_dropout=a.word_dropout,
        attention=a.attention,
        test_fraction=a.test_fraction,
        split_seed=a.split_seed,
        arch=_arch(a),
        train=_train(a),
    )


def _prediction(store, run_id: str, text: str) -> dict:
    """--predict: the saved model, reloaded from the run's folder, reads the text word by word."""
    from core import sentiment

    model, _ = sentiment.load(store.run_dir(run_id))
    analysis = sentiment.analyse(model, text)
    if analysis["message"]:
        print(f"note: {analysis['message']}", file=sys.stderr)
    return {"text": text, "positive": analysis.get("positive"), "per_word": sentiment.per_word(analysis)}


_SHOWN = ("loss", "val_loss", "mae", "val_mae", "accuracy", "val_accuracy")


def _print_event(kind: str, payload: dict) -> None:
    if kind == "epoch":
        parts = [f"{k}={v:.4g}" for k, v in payload.items() if k in _SHOWN]
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


def main(argv: list[str] | None = None) -> int:
    from core.datasets import DataError
    from core.jobs import USER_ERRORS, execute
    from core.runs import RunStore

    try:
        a = parser().parse_args(argv)
        config = {"forecast": forecast_config, "sentiment": sentiment_config}[a.task](a)
        task = a.task
        if task == "forecast":
            from core.forecasting import prepare

            prepare(config)  # check the data before TensorFlow loads
        elif task == "sentiment" and config.data != "imdb":  # IMDB needs Keras to load
            from core.reviews import prepare

            prepare(config)
        store = RunStore()
        run_id = store.create(task, to_dict(config), data_name=a.data)
        _, result = execute(task, config, store, run_id, _print_event, threading.Event())
    except (UsageError, ConfigError, DataError, *USER_ERRORS) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    final = dict(result["final"], run_id=run_id)
    if task == "sentiment":
        prediction = _prediction(store, run_id, a.predict) if a.predict is not None else None
        final = {k: final[k] for k in ("task", "test", "baseline")} | {
            "prediction": prediction,
            "train_seconds": final["train_seconds"],
            "run_id": run_id,
        }
    print(json.dumps(_clean(final)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
