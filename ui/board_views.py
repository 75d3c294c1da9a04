"""The class board's body: the name box, the filters, the ranked tables, the projector view and
the teacher's hide switch. Names and data names come from students: they are drawn as plain
text (a table cell, escaped Markdown, escaped HTML), never as markup.
"""

from __future__ import annotations

import html
import re
import time

import streamlit as st

from core import board as bd
from core.lessons import all_lessons
from core.numbers import plain_number
from core.tasks import TASKS
from ui.owner import is_teacher, owner_id, teacher_box
from ui.pages import PAGES, url_path
from ui.panel import run_store

P = "board"
NAME = "class__name"  # not a board_ setting: a name never travels in a shared link
BOARD_S, PROJECTOR_S = 15.0, 5.0
TOP = 5  # rows per group on the projector


def plain(text: str) -> str:
    """Text for st.markdown that shows exactly as typed (Markdown and HTML characters escaped)."""
    return re.sub(r"([\\`*_{}\[\]()#+\-.!|<>~$&])", r"\\\1", str(text))


def page_url(task: str) -> str:
    """The task page's address in this app (`app_pages/1_Forecasting.py` -> `/Forecasting`)."""
    page = next(p for p in PAGES if p.path == TASKS[task].page)
    return "/" + url_path(page)


def _save_name() -> None:
    name = bd.set_display_name(run_store(), owner_id(), st.session_state.get(f"{NAME}_box", ""))
    st.session_state[NAME] = name


def name_box() -> str:
    store = run_store()
    if NAME not in st.session_state:
        st.session_state[NAME] = bd.display_name_of(store, owner_id())
        st.session_state[f"{NAME}_box"] = st.session_state[NAME]
    st.text_input(
        "Your name on the board",
        key=f"{NAME}_box",
        max_chars=bd.MAX_NAME,
        on_change=_save_name,
        help="Typed once: it is kept with all your runs, past and future, and shown to the class as"
        " plain text. Leave it empty to appear without a name.",
    )
    return st.session_state[NAME]


def filters(groups_source: list[dict]) -> dict:
    c1, c2, c3, c4 = st.columns(4)
    period = c1.radio(
        "Runs made",
        list(bd.PERIODS),
        format_func=bd.PERIODS.get,
        key=f"{P}_period",
        horizontal=True,
        help="Only runs started in this time.",
    )
    tasks = [""] + [t for t in TASKS if TASKS[t].headline]
    task = c2.selectbox(
        "Task",
        tasks,
        format_func=lambda t: TASKS[t].title if t else "all tasks",
        key=f"{P}_task",
        help="Show one task's runs only.",
    )
    datas = sorted({r["data"] for r in groups_source if not task or r["task"] == task})
    data = c3.selectbox(
        "Data",
        ["", *datas],
        format_func=lambda d: d or "all data sets",
        key=f"{P}_data",
        help="Show runs on one data set only.",
    )
    lessons = all_lessons()
    lesson = c4.selectbox(
        "Lesson",
        ["", *lessons],
        format_func=lambda k: lessons[k].title if k else "any (or none)",
        key=f"{P}_lesson",
        help="Show only runs made during this lesson.",
    )
    return {"period": period, "task": task, "data": data, "lesson": lesson}


def _result(group: bd.Group, e: bd.Entry) -> str:
    if e.value is None:
        loss = f", loss now {plain_number(e.live_loss)}" if e.live_loss is not None else ""
        return f"{e.status}{loss}"
    return f"{e.value:.1%}" if group.higher_is_better and e.value <= 1 else plain_number(e.value)


def table(group: bd.Group) -> None:
    import pandas as pd

    better = "higher is better" if group.higher_is_better else "lower is better"
    st.markdown(f"#### {plain(group.title)}")
    st.caption(f"Ranked by {group.label} ({better}), as its page reports it. Live runs come last.")
    rows = [
        {
            "Rank": e.rank,
            "Name": e.name or "(no name)",
            group.label: _result(group, e),
            "Settings": e.settings,
            "Started": time.strftime("%H:%M", time.localtime(e.created)),
            "Open": f"{page_url(group.task)}?run={e.run_id}",
            **({"Hidden": "hidden"} if e.hidden else {}),
        }
        for e in group.entries
    ]
    st.dataframe(
        pd.DataFrame(rows),
        hide_index=True,
        width="stretch",
        key=f"{P}__table_{group.task}_{abs(hash(group.data))}",
        column_config={"Open": st.column_config.LinkColumn("Open", display_text="open run")},
    )


def projector(groups: list[bd.Group]) -> None:
    """Large type for a wall: the top runs of each group and the ones training now."""
    parts = ["<div style='font-size:2.1rem; line-height:1.35'>"]
    for g in groups:
        parts.append(
            f"<div style='font-size:2.6rem; font-weight:700; margin-top:1rem'>{html.escape(g.title)}</div>"
        )
        parts.append(f"<div style='font-size:1.4rem; opacity:.75'>{html.escape(g.label)}</div>")
        for e in g.ranked[:TOP]:
            name = html.escape(e.name or "(no name)")
            parts.append(f"<div><b>{e.rank}.</b> {name} &nbsp; <b>{html.escape(_result(g, e))}</b></div>")
        for e in g.live:
            name = html.escape(e.name or "(no name)")
            parts.append(f"<div style='opacity:.8'>⏳ {name}: {html.escape(_result(g, e))}</div>")
    parts.append("</div>")
    st.html("".join(parts))


def hide_controls(groups: list[bd.Group]) -> None:
    teacher_box()
    if not is_teacher():
        return
    entries = {e.run_id: (g, e) for g in groups for e in g.entries}
    if not entries:
        return
    rid = st.selectbox(
        "Teacher: hide or show a run",
        list(entries),
        format_func=lambda r: f"{entries[r][1].name or '(no name)'} · {entries[r][0].title} · {r}",
        key=f"{P}__hide_pick",
        help="A hidden run stays in the store and on the Runs page; the board leaves it out.",
    )
    hidden = entries[rid][1].hidden
    if st.button(
        "Show it again" if hidden else "Hide it from the board",
        key=f"{P}__hide",
        help="Only with the teacher password.",
    ):
        bd.hide(run_store(), rid, not hidden)
        st.rerun()


def class_board() -> None:
    store = run_store()
    name = name_box()
    st.caption(f"You appear as: {plain(name)}" if name else "You appear without a name.")
    rows = [{"task": g.task, "data": g.data} for g in bd.board(store, bd.since("today"))]
    chosen = filters(rows)
    show = st.toggle(
        "Projector view",
        key=f"{P}_projector",
        help="Large type for a projector: the top runs and the live ones, refreshing every few seconds.",
    )

    @st.fragment(run_every=PROJECTOR_S if show else BOARD_S)
    def live() -> None:
        groups = bd.board(
            store,
            bd.since(chosen["period"]),
            chosen["task"],
            chosen["data"],
            chosen["lesson"],
            show_hidden=is_teacher(),
        )
        st.caption(
            f"Updated {time.strftime('%H:%M:%S')}: refreshes by itself every {PROJECTOR_S if show else BOARD_S:.0f} s."
        )
        if not groups:
            st.info("No runs in this time yet: train on any page and they appear here.")
            return
        if show:
            projector(groups)
        else:
            for g in groups:
                table(g)

    live()
    if not show:  # outside the timer: a teacher typing the password is not redrawn under their fingers
        start = bd.since(chosen["period"])
        hide_controls(bd.board(store, start, chosen["task"], chosen["data"], chosen["lesson"], is_teacher()))
