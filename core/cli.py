"""The command line's parser, and what it does per task around training.

Each task's sub-command gets its own options (a function here that its record in
core.tasks names) and the model and training options every task shares. Each option's
dest is its config field's name, so `config_from_args` builds the config and `recipe`
writes the command line that builds it again. Every parser keeps its own list of the
options it adds (`_Parser.options`), which `recipe` reads.
"""

from __future__ import annotations

import argparse
import dataclasses
from dataclasses import dataclass

from core.config import (
    POOLINGS,
    PREDICTS,
    ArchitectureConfig,
    ForecastConfig,
    MemoryConfig,
    MusicConfig,
    SentimentConfig,
    TextConfig,
    TrainingConfig,
)
from core.tasks import CLI_ORDER, TASKS, load


class UsageError(Exception):
    pass


@dataclass(frozen=True)
class Option:
    """One option a parser added: its config field, its first spelling, and how it reads."""

    dest: str
    flag: str
    kind: str  # "value", "switch" (--x / --no-x), "on" (store_true) or "alias" (store_false)


def _kind(action) -> str:
    if action is argparse.BooleanOptionalAction:
        return "switch"
    return {"store_true": "on", "store_false": "alias"}.get(action, "value")


def _record(options: list[Option], added: argparse.Action, names: tuple[str, ...], kwargs: dict):
    if names[0].startswith("-"):
        options.append(Option(added.dest, names[0], _kind(kwargs.get("action"))))
    return added


class _Group:
    """An argument group that records its options in its parser's list."""

    def __init__(self, group, options: list[Option]):
        self._group, self._options = group, options

    def add_argument(self, *names: str, **kwargs):
        return _record(self._options, self._group.add_argument(*names, **kwargs), names, kwargs)


class _Parser(argparse.ArgumentParser):
    def __init__(self, *args, **kwargs):
        self.options: list[Option] = []  # before argparse's own __init__, which adds --help
        self.tasks: dict[str, _Parser] = {}
        super().__init__(*args, **kwargs)

    def add_argument(self, *names: str, **kwargs):
        return _record(self.options, super().add_argument(*names, **kwargs), names, kwargs)

    def group(self, title: str) -> _Group:
        """An argument group whose options this parser records too."""
        return _Group(self.add_argument_group(title), self.options)

    def error(self, message: str):  # argparse would exit with its own format
        raise UsageError(message)


def _shared(
    p: _Parser,
    epochs: int,
    arch: ArchitectureConfig | None = None,
    train: TrainingConfig | None = None,
    bidirectional_help: str | None = None,
) -> None:
    """The model and training options (dest = config field name); `arch` and `train` give a
    task's own defaults."""
    d, t = arch or ArchitectureConfig(), train or TrainingConfig(epochs=epochs)
    flag = argparse.BooleanOptionalAction
    g = p.group("model and training")
    g.add_argument("--cell", choices=["simple", "lstm", "gru"], default=d.cell)
    g.add_argument("--units", type=int, default=d.units)
    g.add_argument("--layers", type=int, default=d.layers)
    g.add_argument("--bidirectional", action=flag, default=d.bidirectional, help=bidirectional_help)
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
    args = ["python", "-m", "core", task]
    for option in parser().tasks[task].options:
        if option.dest not in flat:
            continue
        value, name = flat[option.dest], option.flag
        if option.kind == "switch":
            args.append(name if value else "--no-" + name[2:])
        elif option.kind == "alias":
            continue  # an alias of a --flag/--no-flag pair, which spells the value out
        elif option.kind == "on":
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


def parser() -> _Parser:
    p = _Parser(prog="python -m core", description="RNN Studio without a browser.")
    sub = p.add_subparsers(dest="task", required=True, parser_class=_Parser)
    for name in CLI_ORDER:
        p.tasks[name] = sub.add_parser(name, help=TASKS[name].cli_help)
        load(TASKS[name].cli_flags)(p.tasks[name])

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


def forecast_flags(f: _Parser) -> None:
    df = ForecastConfig()  # the command line's defaults are the page's defaults
    flag = argparse.BooleanOptionalAction
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


def sentiment_flags(s: _Parser) -> None:
    d = SentimentConfig()
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


def text_flags(t: _Parser) -> None:
    d = TextConfig()
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
    g = t.group("generation after training (the JSON's sample)")
    g.add_argument("--generate", type=int, default=500, help="characters to write (1-5000)")
    g.add_argument("--temperature", type=float, default=0.8, help="0.1-2.0: low is safe, high is bold")
    g.add_argument("--top-k", type=int, default=0, help="sample among the k likeliest characters (0: all)")
    g.add_argument("--prompt", default="", help="text the model reads before it writes")
    g.add_argument("--sample-seed", type=int, default=0, help="the same seed writes the same text")
    g.add_argument("--greedy", action="store_true", help="always take the likeliest character")
    bidirectional = (
        "not for text (an error): the model writes one character at a time,"
        " so it cannot read the characters after the one it writes"
    )
    _shared(t, epochs=d.train.epochs, arch=d.arch, train=d.train, bidirectional_help=bidirectional)


def music_flags(m: _Parser) -> None:
    dm = MusicConfig()
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


def memory_flags(mem: _Parser) -> None:
    dl = MemoryConfig()
    mem.add_argument("--length", type=int, default=dl.length, help="steps per sequence (the memory distance)")
    mem.add_argument(
        "--recurrent-scale",
        type=float,
        default=dl.recurrent_scale,
        help="multiplies the initial recurrent weights",
    )
    mem.add_argument("--samples", type=int, default=dl.samples, help="training sequences")
    _shared(mem, epochs=dl.train.epochs, arch=dl.arch, train=dl.train)


def check(task: str, config, a: argparse.Namespace) -> None:
    """The task's checks that need no TensorFlow: bad input fails in a second, not after the import."""
    if TASKS[task].check:
        load(TASKS[task].check)(config, a)
