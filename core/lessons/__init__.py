"""Guided lessons: short sequences of steps stored as data (one TOML file per lesson, here).

A lesson belongs to one page (a task record's page, or "inside" for Inside the RNN).
Each step sets some of the page's controls (widget keys, the same names as in the
page's URL), tells the student what to do in a sentence or two, and may check the
outcome: it reads numbers the run really produced (`values`: names for paths into
the facts of a source, see core.lessons.facts), tests a small comparison of them
(`expect`, for example "rnn < same * 1.1") and says what was seen (`saw`) or what to
try (`missed`), with the numbers filled in. A value may come from an earlier step
("step1:name"). Adding a lesson is adding a file: no page code changes.

The comparison is parsed with `ast` and evaluated over numbers only (comparisons,
+ - * /, and, or, not, abs, min, max): a lesson file cannot run code.
"""

from __future__ import annotations

import ast
import operator
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from core.errors import ConfigError
from core.tasks import TASKS

FOLDER = Path(__file__).resolve().parent
# where a lesson opens: its task's page (from the task records) -> (page file, widget-key prefix);
# "inside" is the memory task's page, Inside the RNN
PAGES = {name: (t.page, t.prefix) for name, t in TASKS.items()}
PAGES["inside"] = PAGES.pop("memory")
SOURCES = ("run", "cells", "clipping", "untrained", "samples", "generation", "reading", "melody")
MAX_STEPS, MIN_STEPS = 6, 3


@dataclass(frozen=True)
class Check:
    source: str  # where the numbers come from (core.lessons.facts)
    values: dict[str, str]  # name -> path into the facts, or "stepN:name" for an earlier step's value
    expect: str  # a comparison of the names, e.g. "rnn < same"
    saw: str  # said when the expected effect appeared ({name:.2f} placeholders)
    missed: str  # said when it did not: what to try
    new_run: bool = True  # the numbers must come from a run made during this step


@dataclass(frozen=True)
class Step:
    title: str
    say: str  # what to do and what to look for, in one or two plain sentences
    set: dict = field(default_factory=dict)  # widget key -> value, applied when the step opens
    check: Check | None = None


@dataclass(frozen=True)
class Lesson:
    id: str  # the file's name without .toml; ?lesson=ID opens it
    title: str
    page: str  # a key of PAGES
    summary: str
    steps: tuple[Step, ...]
    order: int = 100

    @property
    def page_file(self) -> str:
        return PAGES[self.page][0]

    @property
    def prefix(self) -> str:
        return PAGES[self.page][1]


_NAME = re.compile(r"^[a-z][a-z0-9_]*$")


def _check(raw: dict, where: str) -> Check:
    unknown = set(raw) - {"source", "values", "expect", "saw", "missed", "new_run"}
    if unknown:
        raise ConfigError(f"{where}: unknown check fields {sorted(unknown)}")
    values = raw.get("values") or {}
    if raw.get("source") not in SOURCES:
        raise ConfigError(f"{where}: source must be one of {', '.join(SOURCES)}")
    if not values or not all(_NAME.match(k) and isinstance(v, str) for k, v in values.items()):
        raise ConfigError(f"{where}: values must name paths (lower-case names)")
    check = Check(
        source=raw["source"],
        values=dict(values),
        expect=str(raw.get("expect", "")),
        saw=str(raw.get("saw", "")),
        missed=str(raw.get("missed", "")),
        new_run=bool(raw.get("new_run", True)),
    )
    names = {n.id for n in ast.walk(_parse(check.expect, where)) if isinstance(n, ast.Name)}
    if not names or names - set(values) - set(_FUNCS):
        raise ConfigError(f"{where}: expect uses names without values: {sorted(names - set(values))}")
    if not check.saw or not check.missed:
        raise ConfigError(f"{where}: a check says what was seen (saw) and what to try (missed)")
    sample = {k: 1.0 for k in values}
    for text in (check.saw, check.missed):
        try:
            text.format(**sample)
        except (KeyError, ValueError, IndexError) as exc:
            raise ConfigError(f"{where}: a message names an unknown value ({exc})") from exc
    return check


def parse(text: str, lesson_id: str) -> Lesson:
    """A lesson from its TOML text; ConfigError says what is wrong."""
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"lesson {lesson_id}: not valid TOML ({exc})") from exc
    if raw.get("page") not in PAGES:
        raise ConfigError(f"lesson {lesson_id}: page must be one of {', '.join(PAGES)}")
    steps_raw = raw.get("steps") or []
    if not MIN_STEPS <= len(steps_raw) <= MAX_STEPS:
        raise ConfigError(f"lesson {lesson_id}: {len(steps_raw)} steps (a lesson has 3 to 6)")
    steps = []
    prefix = PAGES[raw["page"]][1]
    for i, s in enumerate(steps_raw, start=1):
        where = f"lesson {lesson_id}, step {i}"
        if not s.get("title") or not s.get("say"):
            raise ConfigError(f"{where}: a step has a title and says what to do")
        settings = dict(s.get("set") or {})
        bad = [k for k in settings if not k.startswith(prefix + "_") or k.startswith(prefix + "__")]
        if bad:
            raise ConfigError(f"{where}: {bad} are not settings of this page (they start with {prefix}_)")
        check = _check(s["check"], where) if "check" in s else None
        if check:
            for path in check.values.values():
                if path.startswith("step"):
                    n = int(path[4:].split(":")[0])
                    if not 1 <= n < i:
                        raise ConfigError(f"{where}: {path} names a step that is not earlier")
        steps.append(Step(title=s["title"], say=s["say"], set=settings, check=check))
    return Lesson(
        id=lesson_id,
        title=str(raw.get("title", lesson_id)),
        page=raw["page"],
        summary=str(raw.get("summary", "")),
        steps=tuple(steps),
        order=int(raw.get("order", 100)),
    )


def all_lessons(folder: Path = FOLDER) -> dict[str, Lesson]:
    """Every lesson file in the folder, id -> lesson, in the order the landing page lists them."""
    out = [parse(p.read_text(encoding="utf-8"), p.stem) for p in sorted(folder.glob("*.toml"))]
    return {lesson.id: lesson for lesson in sorted(out, key=lambda x: (x.order, x.title))}


# --- the comparison ------------------------------------------------------------------------------
_OPS = {
    ast.Lt: operator.lt,
    ast.LtE: operator.le,
    ast.Gt: operator.gt,
    ast.GtE: operator.ge,
    ast.Add: operator.add,
    ast.Sub: operator.sub,
    ast.Mult: operator.mul,
    ast.Div: operator.truediv,
}
_FUNCS = {"abs": abs, "min": min, "max": max}


def _parse(expr: str, where: str) -> ast.Expression:
    try:
        tree = ast.parse(expr, mode="eval")
    except SyntaxError as exc:
        raise ConfigError(f"{where}: expect is not a comparison ({exc.msg})") from exc
    allowed = (ast.Expression, ast.Compare, ast.BinOp, ast.BoolOp, ast.UnaryOp, ast.Name, ast.Load)
    allowed += (ast.Constant, ast.Call, ast.And, ast.Or, ast.Not, ast.USub, *_OPS)
    for node in ast.walk(tree):
        if not isinstance(node, allowed):
            raise ConfigError(f"{where}: expect may not use {type(node).__name__}")
        if isinstance(node, ast.Constant) and not isinstance(node.value, int | float):
            raise ConfigError(f"{where}: expect compares numbers only")
        if isinstance(node, ast.Call) and not (isinstance(node.func, ast.Name) and node.func.id in _FUNCS):
            raise ConfigError(f"{where}: expect may call only {', '.join(_FUNCS)}")
    return tree


def evaluate(expr: str, values: dict[str, float]) -> bool:
    """The comparison over the named numbers (ConfigError for anything else)."""

    def ev(node):
        if isinstance(node, ast.Expression):
            return ev(node.body)
        if isinstance(node, ast.Constant):
            return node.value
        if isinstance(node, ast.Name):
            return values[node.id]
        if isinstance(node, ast.UnaryOp):
            return -ev(node.operand) if isinstance(node.op, ast.USub) else not ev(node.operand)
        if isinstance(node, ast.BinOp):
            return _OPS[type(node.op)](ev(node.left), ev(node.right))
        if isinstance(node, ast.BoolOp):
            parts = [ev(v) for v in node.values]
            return all(parts) if isinstance(node.op, ast.And) else any(parts)
        if isinstance(node, ast.Call):
            return _FUNCS[node.func.id](*(ev(a) for a in node.args))
        left = ev(node.left)
        for op, right_node in zip(node.ops, node.comparators, strict=True):
            right = ev(right_node)
            if not _OPS[type(op)](left, right):
                return False
            left = right
        return True

    return bool(ev(_parse(expr, "check")))


def lookup(facts, path: str):
    """facts["a"]["b"][0] for "a.b.0"; None where the path does not lead to a number."""
    node = facts
    for part in path.split("."):
        if isinstance(node, dict):
            node = node.get(part)
        elif isinstance(node, list | tuple):
            try:
                node = node[int(part)]
            except (ValueError, IndexError):
                return None
        else:
            return None
    if isinstance(node, bool):
        return float(node)
    return float(node) if isinstance(node, int | float) else None


@dataclass(frozen=True)
class Verdict:
    ok: bool  # the expected effect appeared
    text: str  # what was seen, with the numbers
    values: dict  # name -> number, kept for later steps


def judge(check: Check, facts: dict, earlier: dict[int, dict]) -> Verdict | None:
    """The check on these facts; None while a number it needs is missing (no run yet)."""
    values = {}
    for name, path in check.values.items():
        if path.startswith("step"):
            step, _, key = path[4:].partition(":")
            value = (earlier.get(int(step)) or {}).get(key)
        else:
            value = lookup(facts, path)
        if value is None:
            return None
        values[name] = value
    try:
        ok = evaluate(check.expect, values)
    except (ZeroDivisionError, OverflowError):
        return None  # a run with a zero where a ratio divides says nothing either way
    return Verdict(ok=ok, text=(check.saw if ok else check.missed).format(**values), values=values)
