"""Command line: `python -m core <task> ...` runs a task without a browser.

Progress goes to stderr; the last line of stdout is one JSON object with the
final metrics. Exit status 0 on success, 2 with a one-line message on bad input.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import math
import re
import sys
import threading
from pathlib import Path

from core.config import (
    POOLINGS,
    PREDICTS,
    TASK_CONFIGS,
    ArchitectureConfig,
    ConfigError,
    ForecastConfig,
    MemoryConfig,
    MusicConfig,
    SentimentConfig,
    TextConfig,
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
    """The model and training options (dest = config field name); `arch` and `train` give a
    task's own defaults."""
    d, t = arch or ArchitectureConfig(), train or TrainingConfig(epochs=epochs)
    flag = argparse.BooleanOptionalAction
    g = p.add_argument_group("model and training")
    g.add_argument("--cell", choices=["simple", "lstm", "gru"], default=d.cell)
    g.add_argument("--units", type=int, default=d.units)
    g.add_argument("--layers", type=int, default=d.layers)
    g.add_argument("--bidirectional", action=flag, default=d.bidirectional)
    g.add_argument("--dropout", type=float, default=d.dropout)
    g.add_argument("--recurrent-dropout", type=float, default=d.recurrent_dropout)
    g.add_argument("--l2", type=float, default=d.l2)
    g.add_argument("--layer-norm", action=flag, default=d.layer_norm)
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
    g.add_argument("--reduce-on-plateau", action=flag, default=t.reduce_on_plateau)
    g.add_argument("--val-fraction", type=float, default=t.val_fraction)


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
        elif isinstance(action, argparse._StoreFalseAction):
            continue  # an alias of a --flag/--no-flag pair, which spells the value out
        elif isinstance(action, argparse._StoreTrueAction):
            if value:
                args.append(name)
        elif value is None:
            continue  # the default, which the config resolves
        elif isinstance(value, list | tuple):
            if value:
                args += [name, *map(str, value)]
        else:
            args += [name, str(value)]
    return args


def _subparsers(p: argparse.ArgumentParser) -> dict[str, argparse.ArgumentParser]:
    return next(a for a in p._actions if isinstance(a, argparse._SubParsersAction)).choices


def _text_parser(sub) -> None:
    d = TextConfig()
    t = sub.add_parser("text", help="learn a text character by character, then write more of it")
    t.add_argument("--data", default="shakespeare", help="shakespeare or FILE.txt (UTF-8, else Latin-1)")
    t.add_argument("--seq-len", type=int, default=d.seq_len, help="characters per training sequence")
    t.add_argument("--embed-dim", type=int, default=d.embed_dim, help="size of each character's embedding")
    t.add_argument(
        "--lr-decay",
        action=argparse.BooleanOptionalAction,
        default=d.lr_decay,
        help="in the last 20%% of the run, lower the learning rate linearly to 10%%",
    )
    t.add_argument(
        "--sample-temperature",
        type=float,
        default=d.sample_temperature,
        help="temperature of the live samples written while training",
    )
    t.add_argument(
        "--sample-every-s", type=float, default=d.sample_every_s, help="seconds between live samples"
    )
    g = t.add_argument_group("generation after training (the JSON's sample)")
    g.add_argument("--generate", type=int, default=500, help="characters to write (1-5000)")
    g.add_argument("--temperature", type=float, default=0.8, help="0.1-2.0: low is safe, high is bold")
    g.add_argument("--top-k", type=int, default=0, help="sample among the k likeliest characters (0: all)")
    g.add_argument("--prompt", default="", help="text the model reads before it writes")
    g.add_argument("--sample-seed", type=int, default=0, help="the same seed writes the same text")
    g.add_argument("--greedy", action="store_true", help="always take the likeliest character")
    _shared(t, epochs=d.train.epochs, arch=d.arch, train=d.train)
    for action in t._actions:
        if action.dest == "bidirectional":
            action.help = (
                "not for text (an error): the model writes one character at a time,"
                " so it cannot read the characters after the one it writes"
            )


def parser() -> argparse.ArgumentParser:
    p = _Parser(prog="python -m core", description="RNN Studio without a browser.")
    sub = p.add_subparsers(dest="task", required=True, parser_class=_Parser)
    df = ForecastConfig()  # the command line's defaults are the page's defaults
    flag = argparse.BooleanOptionalAction
    f = sub.add_parser("forecast", help="forecast a time series")
    f.add_argument("--data", default=df.data, help="seattle, synthetic, stocks:TICKER or FILE.csv")
    f.add_argument("--column", default=df.column, help="the column to forecast")
    f.add_argument(
        "--date-column",
        default=df.date_column,
        help="the column of dates (default: found from the values, if any)",
    )
    f.add_argument(
        "--detect-date",
        action=flag,
        default=df.detect_date,
        help="look for a column of dates when --date-column is not given",
    )
    f.add_argument(
        "--no-date-column",
        dest="detect_date",
        action="store_false",
        help="use the rows in file order, without dates (same as --no-detect-date)",
    )
    f.add_argument(
        "--group-column",
        default=df.group_column,
        help="a file of several series stacked on repeated dates: the column that tells them apart",
    )
    f.add_argument("--group-value", default=df.group_value, help="which of those series (default: the first)")
    f.add_argument(
        "--features",
        nargs="*",
        default=None,
        help="extra input columns (default: the data set's suggestion; --features alone: none)",
    )
    f.add_argument(
        "--calendar",
        action=flag,
        default=df.calendar,
        help="time of day, day of week and day of year as extra inputs, where there are dates",
    )
    f.add_argument(
        "--predict",
        choices=list(PREDICTS),
        default=df.predict,
        help="change: from the window's last value; level: the value itself",
    )
    f.add_argument(
        "--highway", action=flag, default=df.highway, help="add a linear path from the window to the forecast"
    )
    f.add_argument("--lookback", type=int, default=df.lookback)
    f.add_argument("--horizon", type=int, default=df.horizon)
    f.add_argument("--scaler", choices=["minmax", "standard"], default=df.scaler)
    f.add_argument("--test-fraction", type=float, default=df.test_fraction)
    f.add_argument("--season", type=int, default=df.season, help="seasonal period in steps (0: detect)")
    f.add_argument("--missing", choices=["interpolate", "drop"], default=df.missing)
    f.add_argument("--synthetic-length", type=int, default=df.synthetic_length, help="days of synthetic data")
    f.add_argument("--synthetic-amplitude", type=float, default=df.synthetic_amplitude)
    f.add_argument("--synthetic-noise", type=float, default=df.synthetic_noise)
    _shared(f, epochs=df.train.epochs, arch=df.arch, train=df.train)

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
    s.add_argument(
        "--pooling",
        choices=list(POOLINGS),
        default=d.pooling,
        help="without attention: the state after the last word, or max and mean over all words",
    )
    s.add_argument(
        "--word-vectors",
        action=argparse.BooleanOptionalAction,
        default=d.word_vectors,
        help="start the embedding from word vectors learned from the training split",
    )
    s.add_argument(
        "--word-polarity",
        action=argparse.BooleanOptionalAction,
        default=d.word_polarity,
        help="also read how much each word leans positive or negative in the training split",
    )
    s.add_argument("--test-fraction", type=float, default=d.test_fraction)
    s.add_argument("--split-seed", type=int, default=d.split_seed)
    s.add_argument("--predict", default=None, help="a review to analyse word by word after training")
    _shared(s, epochs=d.train.epochs, arch=d.arch, train=d.train)

    _text_parser(sub)

    dm = MusicConfig()
    m = sub.add_parser("music", help="learn melodies and compose new ones")
    m.add_argument("--data", default="bach", help="bach, folk, FILE.mid or a folder of .mid files")
    m.add_argument(
        "--track",
        type=int,
        default=dm.track,
        help="MIDI voice to learn, counted from 0 (-1: the top voice of every track)",
    )
    m.add_argument("--seq-len", type=int, default=dm.seq_len, help="notes per training window")
    m.add_argument("--embed-dim", type=int, default=dm.embed_dim)
    m.add_argument("--generate", type=int, default=dm.generate, help="notes to compose")
    m.add_argument("--temperature", type=float, default=dm.temperature)
    m.add_argument("--top-k", type=int, default=dm.top_k, help="sample among the k likeliest notes (0: all)")
    m.add_argument("--sample-seed", type=int, default=dm.sample_seed)
    m.add_argument(
        "--primer-bars",
        type=int,
        default=dm.primer_bars,
        help="bars of a held-out piece that start the melody (0: none)",
    )
    m.add_argument("--out", default="", help="also write the composed melody to this .mid file")
    _shared(m, epochs=dm.train.epochs, arch=dm.arch, train=dm.train)

    dl = MemoryConfig()
    mem = sub.add_parser("memory", help="long-memory toy task: gradients before and after a short training")
    mem.add_argument("--length", type=int, default=dl.length, help="steps per sequence (the memory distance)")
    mem.add_argument(
        "--recurrent-scale",
        type=float,
        default=dl.recurrent_scale,
        help="multiplies the initial recurrent weights",
    )
    mem.add_argument("--samples", type=int, default=dl.samples, help="training sequences")
    _shared(mem, epochs=dl.train.epochs, arch=dl.arch, train=dl.train)

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


_SHOWN = ("loss", "val_loss", "mae", "val_mae", "accuracy", "val_accuracy")


def _print_event(kind: str, payload: dict) -> None:
    if kind == "epoch":
        parts = [f"{k}={v:.4g}" for k, v in payload.items() if k in _SHOWN]
        print(f"epoch {payload['epoch']}: {' '.join(parts)}", file=sys.stderr, flush=True)
    elif kind == "status":
        print(payload["message"], file=sys.stderr, flush=True)
    elif kind == "sample" and payload.get("samples"):  # text: the newest live sample, on one line
        print(f"sample: {payload['samples'][-1]['text'][:100]!r}", file=sys.stderr, flush=True)


def _print_parse(done: int, total: int) -> None:
    from core.music_corpus import parse_line

    if line := parse_line(done, total):  # every 25 files, and the parse time at the end
        print(line, file=sys.stderr, flush=True)


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


def _prediction(store, run_id: str, text: str) -> dict:
    """--predict: the saved model, reloaded from the run's folder, reads the text word by word."""
    from core import sentiment

    model, _ = sentiment.load(store.run_dir(run_id))
    analysis = sentiment.analyse(model, text)
    if analysis["message"]:
        print(f"note: {analysis['message']}", file=sys.stderr)
    return {"text": text, "positive": analysis.get("positive"), "per_word": sentiment.per_word(analysis)}


def _train(task: str, config, store, run_id: str) -> dict:
    """Train here, or on the Ray cluster that RNN_STUDIO_EXECUTOR names."""
    from core.jobs import execute
    from core.ray_executor import RayExecutor, executor_spec
    from core.training import TrainingError

    spec = executor_spec()
    if spec == "local":
        return execute(task, config, store, run_id, _print_event, threading.Event())[1]
    print(f"training on the Ray cluster {spec}", file=sys.stderr, flush=True)
    status, result, error = RayExecutor(spec).run(
        run_id,
        task,
        to_dict(config),
        store,
        _print_event,
        threading.Event(),
        lambda node: print(f"running on node {node}", file=sys.stderr, flush=True),
    )
    if status == "failed":
        raise TrainingError(error)
    return result


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
    from core.datasets import DataError
    from core.jobs import USER_ERRORS
    from core.runs import RunStore

    try:
        a = parser().parse_args(argv)
        if a.task == "runs":
            return runs_command(a)
        task = a.task
        config = config_from_args(TASK_CONFIGS[task], a)
        if task == "forecast":
            from core.forecasting import prepare

            p = prepare(config)  # check the data before TensorFlow loads
            if p.series.date_column:
                print(
                    f"dates: column {p.series.date_column!r} ({p.series.date_how}), {p.series.freq or 'irregular'}",
                    file=sys.stderr,
                )
            for note in p.series.notes:
                print(f"note: {note}", file=sys.stderr)
            print(f"season: {p.season} steps ({p.season_how})", file=sys.stderr)
        elif task == "text":
            from core.textgen import check_generation, prepare

            check_generation(a.generate, a.temperature, a.top_k)
            prepare(config)
        elif task == "music":
            from core.music import prepare as prepare_music

            prepare_music(config, _print_parse)  # parse (once) and check the data before TensorFlow loads
            if a.out and not a.out.lower().endswith((".mid", ".midi")):
                raise UsageError("--out must name a .mid file")
        elif task == "sentiment" and config.data != "imdb":  # IMDB needs Keras to load
            from core.reviews import prepare

            prepare(config)
        store = RunStore()
        run_id = store.create(task, to_dict(config), data_name=getattr(a, "data", ""))
        result = _train(task, config, store, run_id)
        final = dict(result["final"], run_id=run_id)
        if task == "text":
            final.update(_text_sample(a, store.run_dir(run_id)))
    except (UsageError, ConfigError, DataError, OSError, *USER_ERRORS) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    if task == "music" and a.out:
        import shutil

        shutil.copyfile(final["midi"], a.out)
        final["midi"] = str(Path(a.out).resolve())
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
