"""The command line's parser, and what it does per task around training.

Each task's sub-command gets its own options (a function here that its record in
core.tasks names) and the model and training options every task shares, all made from
the config fields (`config_flags`: a field's name, default, help and choices are declared
once, in core.config). Each option's dest is its config field's name, so `config_from_args`
builds the config and `recipe` writes the command line that builds it again. Every parser keeps its own list of the
options it adds (`_Parser.options`), which `recipe` reads.
"""

from __future__ import annotations

import argparse
import dataclasses
from dataclasses import dataclass

from core.config import (
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


def config_flags(p, config, skip: tuple[str, ...] = (), helps: dict | None = None) -> None:
    """One option per field of `config` (an instance: its values are the defaults), spelled
    `--name-with-dashes`, with the help and choices its field declares (`core.config.setting`)."""
    for f in dataclasses.fields(config):
        if f.name in ("arch", "train", *skip):
            continue
        default, meta = getattr(config, f.name), f.metadata
        kwargs: dict = {"default": default}
        if help_text := (helps or {}).get(f.name) or meta.get("help"):
            kwargs["help"] = help_text.replace("%", "%%")  # argparse formats help with %
        if meta.get("choices"):
            kwargs["choices"] = list(meta["choices"])
        if isinstance(default, bool):
            kwargs["action"] = argparse.BooleanOptionalAction
        elif meta.get("nargs"):
            kwargs["nargs"] = meta["nargs"]
        else:
            kwargs["type"] = type(default)
        p.add_argument("--" + f.name.replace("_", "-"), **kwargs)


def _task_flags(p: _Parser, config, helps: dict | None = None) -> None:
    """A task's own options, then the model and training options, all from the task's config."""
    config_flags(p, config)
    g = p.group("model and training")
    config_flags(g, config.arch, helps=helps)
    config_flags(g, config.train)


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
    _task_flags(f, ForecastConfig())
    f.add_argument(
        "--no-date-column",
        dest="detect_date",
        action="store_false",
        help="use the rows in file order, without dates (same as --no-detect-date)",
    )


def sentiment_flags(s: _Parser) -> None:
    _task_flags(s, SentimentConfig())
    s.add_argument("--predict", default=None, help="a review to analyse word by word after training")


def text_flags(t: _Parser) -> None:
    bidirectional = (
        "not for text (an error): the model writes one character at a time,"
        " so it cannot read the characters after the one it writes"
    )
    _task_flags(t, TextConfig(), helps={"bidirectional": bidirectional})
    g = t.group("generation after training (the JSON's sample)")
    g.add_argument("--generate", type=int, default=500, help="characters to write (1-5000)")
    g.add_argument("--temperature", type=float, default=0.8, help="0.1-2.0: low is safe, high is bold")
    g.add_argument("--top-k", type=int, default=0, help="sample among the k likeliest characters (0: all)")
    g.add_argument("--prompt", default="", help="text the model reads before it writes")
    g.add_argument("--sample-seed", type=int, default=0, help="the same seed writes the same text")
    g.add_argument("--greedy", action="store_true", help="always take the likeliest character")


def music_flags(m: _Parser) -> None:
    _task_flags(m, MusicConfig())
    m.add_argument("--out", default="", help="also write the composed melody to this .mid file")


def memory_flags(mem: _Parser) -> None:
    _task_flags(mem, MemoryConfig())


def check(task: str, config, a: argparse.Namespace) -> None:
    """The task's checks that need no TensorFlow: bad input fails in a second, not after the import."""
    if TASKS[task].check:
        load(TASKS[task].check)(config, a)
