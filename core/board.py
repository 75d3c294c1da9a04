"""The class board: the class's recent runs per task and data set, ranked by the held-out number
each task's page reports (core.tasks: `headline`, its label and which direction is better).

Also the run store's class-mode fields (migration 5 in core.rundb): the display name a
student chose (kept on their runs, cleaned here: it is shown to the whole class), the
lesson a run was made in, and the teacher's "hidden" flag. These few statements live
here rather than in core/runs.py, which is at its size limit; they use the store's own
connection and lock.
"""

from __future__ import annotations

import re
import time
import unicodedata
from dataclasses import dataclass, field

from core.config import to_dict
from core.recipes import summary
from core.runs import RunStore
from core.tasks import TASKS

MAX_NAME = 24
PERIODS = {"hour": "the last hour", "today": "today"}
RANKED = ("done", "stopped")  # finished runs with a held-out number
LIVE = ("queued", "running")


def clean_name(text: str) -> str:
    """A display name safe to show anyone: printable characters only, spaces collapsed, at most
    MAX_NAME characters (it is still drawn as plain text, never as Markdown or HTML)."""
    text = unicodedata.normalize("NFKC", str(text or ""))
    kept = "".join(ch if unicodedata.category(ch)[0] in "LNPSZ" else " " for ch in text)
    return re.sub(r"\s+", " ", kept).strip()[:MAX_NAME].strip()


def since(period: str, now: float | None = None) -> float:
    """The start of a period: an hour ago, or local midnight."""
    now = time.time() if now is None else now
    if period == "hour":
        return now - 3600
    day = time.localtime(now)
    return time.mktime((day.tm_year, day.tm_mon, day.tm_mday, 0, 0, 0, 0, 0, -1))


# --- the store's class-mode fields ----------------------------------------------------------
def set_display_name(store: RunStore, owner: str, name: str) -> str:
    """Put the (cleaned) name on every run of this browser; returns what was stored."""
    name = clean_name(name)
    if owner:
        store.set_owner_display_name(owner, name)
    return name


def display_name_of(store: RunStore, owner: str) -> str:
    """The name this browser last gave (so it is typed once, not per visit)."""
    if not owner:
        return ""
    return store.owner_display_name(owner)


def tag_run(store: RunStore, run_id: str, display_name: str = "", lesson: str = "") -> None:
    store.set_class_fields(run_id, display_name=clean_name(display_name), lesson=lesson)


def hide(store: RunStore, run_id: str, hidden: bool = True) -> None:
    """The teacher's switch (the page checks the teacher password before calling it)."""
    store.set_class_fields(run_id, hidden=1 if hidden else 0)


# --- reading --------------------------------------------------------------------------------
def _flat(d: dict, prefix: str = "") -> dict:
    out = {}
    for k, v in d.items():
        if isinstance(v, dict):
            out.update(_flat(v, f"{prefix}{k}."))
        else:
            out[f"{prefix}{k}"] = v
    return out


def settings_line(row: dict) -> str:
    """The network, epochs and seed, and every other setting that differs from the task's default."""
    cfg = row.get("config") or {}
    s = summary(row)
    train = cfg.get("train") if isinstance(cfg.get("train"), dict) else {}
    parts = [s["model"], f"{train.get('epochs', '?')} epochs", f"seed {train.get('seed', '?')}"]
    record = TASKS.get(row["task"])
    if record:
        default = _flat(to_dict(record.config()))
        shown = {"arch.cell", "arch.units", "arch.layers", "arch.bidirectional", "train.epochs", "train.seed"}
        shown |= {"data"}
        for key, value in sorted(_flat(cfg).items()):
            if key not in shown and key in default and default[key] != value:
                parts.append(f"{key.split('.')[-1].replace('_', ' ')} {value}")
    return " · ".join(str(p) for p in parts if p)


@dataclass
class Entry:
    run_id: str
    name: str  # the student's display name, already cleaned ("" if none)
    status: str
    value: float | None  # the headline number (None while live)
    live_loss: float | None  # the latest epoch's loss of a live run
    settings: str
    created: float
    lesson: str
    hidden: bool
    rank: int | None = None


@dataclass
class Group:
    task: str
    data: str
    title: str
    label: str
    higher_is_better: bool
    entries: list[Entry] = field(default_factory=list)

    @property
    def ranked(self) -> list[Entry]:
        return [e for e in self.entries if e.rank is not None]

    @property
    def live(self) -> list[Entry]:
        return [e for e in self.entries if e.status in LIVE]


def recent_rows(store: RunStore, start: float) -> list[dict]:
    return store.created_since(start)


def board(
    store: RunStore,
    start: float,
    task: str = "",
    data: str = "",
    lesson: str = "",
    show_hidden: bool = False,
) -> list[Group]:
    """The groups (task, data) of runs created since `start`, each ranked best first."""
    groups: dict[tuple[str, str], Group] = {}
    for row in recent_rows(store, start):
        record = TASKS.get(row["task"])
        if row.get("damaged") or record is None or record.headline is None:
            continue
        if row["status"] not in RANKED + LIVE or (row.get("hidden") and not show_hidden):
            continue
        row_data = str(row.get("data_name") or row["config"].get("data", ""))
        if (
            (task and row["task"] != task)
            or (data and row_data != data)
            or (lesson and row.get("lesson") != lesson)
        ):
            continue
        value = record.headline(row["final"]) if row["status"] in RANKED else None
        if row["status"] in RANKED and value is None:
            continue  # stopped before it had a held-out number
        live_loss = None
        if row["status"] in LIVE:
            epochs = store.epochs(row["id"])
            if epochs:
                last = epochs[-1]
                live_loss = last.get("val_loss", last.get("loss"))
        key = (row["task"], row_data)
        if key not in groups:
            groups[key] = Group(
                row["task"],
                row_data,
                f"{record.title} · {row_data}",
                record.headline_label,
                record.higher_is_better,
            )
        groups[key].entries.append(
            Entry(
                run_id=row["id"],
                name=clean_name(row.get("display_name", "")),
                status=row["status"],
                value=value,
                live_loss=live_loss if isinstance(live_loss, int | float) else None,
                settings=settings_line(row),
                created=row["created"],
                lesson=str(row.get("lesson") or ""),
                hidden=bool(row.get("hidden")),
            )
        )
    for g in groups.values():
        done = [e for e in g.entries if e.value is not None]
        sign = -1.0 if g.higher_is_better else 1.0
        done.sort(key=lambda e: (sign * e.value, e.created))
        for n, e in enumerate(done, start=1):
            e.rank = n
        live = sorted((e for e in g.entries if e.value is None), key=lambda e: e.created)
        g.entries = done + live
    return sorted(groups.values(), key=lambda g: (-len(g.entries), g.title))
