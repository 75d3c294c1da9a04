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
from pathlib import Path

from core.config import ArchitectureConfig, ConfigError, ForecastConfig, MusicConfig, TrainingConfig, to_dict


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

    m = sub.add_parser("music", help="learn melodies and compose new ones")
    m.add_argument("--data", default="bach", help="bach, folk, FILE.mid or a folder of .mid files")
    m.add_argument("--track", type=int, default=0, help="MIDI voice to learn, from 1 (0: the top voice)")
    m.add_argument("--seq-len", type=int, default=MusicConfig.seq_len, help="notes per training window")
    m.add_argument("--embed-dim", type=int, default=MusicConfig.embed_dim)
    m.add_argument("--generate", type=int, default=MusicConfig.generate, help="notes to compose")
    m.add_argument("--temperature", type=float, default=MusicConfig.temperature)
    m.add_argument("--top-k", type=int, default=0, help="sample among the k likeliest notes (0: all)")
    m.add_argument("--sample-seed", type=int, default=0)
    m.add_argument("--primer-bars", type=int, default=MusicConfig.primer_bars,
                   help="bars of a held-out piece that start the melody (0: none)")  # fmt: skip
    m.add_argument("--out", default="", help="also write the composed melody to this .mid file")
    _shared(m, epochs=MusicConfig().train.epochs)
    d = MusicConfig()
    m.set_defaults(cell=d.arch.cell, units=d.arch.units, batch_size=d.train.batch_size,
                   learning_rate=d.train.learning_rate, val_fraction=d.train.val_fraction)  # fmt: skip
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


def music_config(a) -> MusicConfig:
    return MusicConfig(
        data=a.data,
        track=a.track - 1,
        seq_len=a.seq_len,
        embed_dim=a.embed_dim,
        generate=a.generate,
        temperature=a.temperature,
        top_k=a.top_k,
        sample_seed=a.sample_seed,
        primer_bars=a.primer_bars,
        arch=_arch(a),
        train=_train(a),
    )


def _print_event(kind: str, payload: dict) -> None:
    if kind == "epoch":
        parts = [f"{k}={v:.4g}" for k, v in payload.items() if k in ("loss", "val_loss", "mae", "val_mae")]
        print(f"epoch {payload['epoch']}: {' '.join(parts)}", file=sys.stderr, flush=True)
    elif kind == "status":
        print(payload["message"], file=sys.stderr, flush=True)


def _print_parse(done: int, total: int) -> None:
    if done % 25 == 0 or done == total:
        print(f"reading the corpus: {done} of {total} files", file=sys.stderr, flush=True)


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
        config = {"forecast": forecast_config, "music": music_config}[a.task](a)
        task = a.task
        if task == "forecast":
            from core.forecasting import prepare

            prepare(config)  # check the data before TensorFlow loads
        elif task == "music":
            from core.music import prepare as prepare_music

            prepare_music(config, _print_parse)  # parse (once) and check the data before TensorFlow loads
            if a.out and not a.out.lower().endswith((".mid", ".midi")):
                raise UsageError("--out must name a .mid file")
        store = RunStore()
        run_id = store.create(task, to_dict(config), data_name=a.data)
        _, result = execute(task, config, store, run_id, _print_event, threading.Event())
    except (UsageError, ConfigError, DataError, *USER_ERRORS) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    final = dict(result["final"], run_id=run_id)
    if task == "music" and a.out:
        import shutil

        shutil.copyfile(final["midi"], a.out)
        final["midi"] = str(Path(a.out).resolve())
    print(json.dumps(_clean(final)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
