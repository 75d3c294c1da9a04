"""The one lesson runner: a lesson's box at the top of its page, and the landing page's list.

A page calls `lesson = lesson_box(P)` before drawing its controls (so a step can set
them) and `lesson.finish()` at its end (so the check sees what the page computed
in this run: a finished job, a generation, a reading). `?lesson=ID` in a link opens
a lesson; every student's copy keeps its own progress in its own session. The numbers
a check reads come from core.lessons.facts, over what the page already holds.
"""

from __future__ import annotations

import streamlit as st

from core.lessons import PAGES, Lesson, all_lessons, judge
from core.lessons import facts as lf
from ui.class_tags import LESSON_STATE

STATE = LESSON_STATE


@st.cache_data(show_spinner=False)
def lessons() -> dict[str, Lesson]:
    return all_lessons()


@st.cache_data(show_spinner="Reading the training text's words...", max_entries=4)
def _words(data: str) -> frozenset[str]:
    from core.textgen import read_corpus

    return lf.corpus_words(read_corpus(data)[0])


def _page_run(prefix: str) -> tuple[str, dict | None]:
    """(run id, result) of the run the page shows: its finished job or an opened saved run."""
    from ui.panel import manager

    job = st.session_state.get(f"{prefix}__job")
    if job:
        snap = manager().snapshot(job)
        if snap and snap["status"] in ("done", "stopped") and snap["result"]:
            return job, snap["result"]
        return job, None
    opened = st.session_state.get(f"{prefix}__open")
    if opened:
        return opened, manager().store.result(opened)
    return "", None


def _data_of(run_id: str) -> str:
    """The data a text run trained on (its words are the real words)."""
    from ui.panel import manager

    row = manager().store.get(run_id)
    return str((row or {}).get("config", {}).get("data") or "shakespeare")


def _cells() -> tuple[object, dict | None]:
    from ui.panel import manager

    ids = st.session_state.get("in__mem_jobs") or {}
    snaps = {cell: manager().snapshot(job) for cell, job in ids.items()}
    token = tuple(sorted(ids.values())) or None
    if not snaps or any(s is None or not s["result"] for s in snaps.values()):
        return token, None
    return token, lf.cells_facts({cell: s["result"] for cell, s in snaps.items()})


def observe(source: str, prefix: str) -> tuple[object, dict | None]:
    """(token, facts) of a source now: the token changes when the student makes a new one."""
    if source in ("run", "samples"):
        rid, result = _page_run(prefix)
        if result is None:
            return rid or None, None
        if source == "run":
            return rid, lf.run_facts(result)
        return rid, lf.samples_facts(result, _words(_data_of(rid)))
    if source == "cells":
        return _cells()
    if source == "clipping":
        if not st.session_state.get("in__clip"):
            return None, None
        from ui.inside_training import _clipping

        return "clip", lf.clipping_facts(_clipping())  # cached: the page has just drawn it
    if source == "untrained":
        measured = st.session_state.get("in__measured")
        if not measured:
            return None, None
        from ui.inside_training import _untrained_cell

        n, s = measured
        norms = {cell: _untrained_cell(n, s, cell) for cell in ("simple", "lstm", "gru")}
        return measured, lf.untrained_facts(norms, n, s)
    if source == "generation":
        gen = st.session_state.get(f"{prefix}__gen")
        if not gen:
            return None, None
        token = (gen["run"], gen["temperature"], gen["text"][:80])
        return token, lf.generation_facts(gen, _words(_data_of(gen["run"])))
    if source == "reading":
        rid, result = _page_run(prefix)
        text = str(st.session_state.get(f"{prefix}_try", "")).strip()
        if result is None or not text:
            return (rid, text), None
        from core.sentiment import analyse
        from ui.panel import manager
        from ui.sentiment_views import trained_model

        run_dir = str(manager().store.run_dir(rid))
        return (rid, text), lf.reading_facts(analyse(trained_model(run_dir), text))
    if source == "melody":
        gen = st.session_state.get(f"{prefix}_gen")
        if not gen:
            return None, None
        return (gen.get("run"), str(gen.get("events"))[:200]), lf.melody_facts(gen)
    raise ValueError(f"unknown lesson source {source!r}")


def _state(prefix: str) -> dict | None:
    """This session's lesson on this page, opened from ?lesson=ID the first time it is seen."""
    wanted = st.query_params.get("lesson")
    state = st.session_state.get(STATE)
    if wanted and (state is None or state["id"] != wanted) and wanted in lessons():
        state = {"id": wanted, "step": 0, "applied": -1, "tokens": {}, "values": {}, "verdicts": {}}
        st.session_state[STATE] = state
    if state is None or state["id"] not in lessons() or lessons()[state["id"]].prefix != prefix:
        return None
    return state


def _go(step: int) -> None:
    st.session_state[STATE]["step"] = step


def _leave() -> None:
    st.session_state.pop(STATE, None)
    st.query_params.pop("lesson", None)


class LessonBox:
    """The lesson's box; `finish()` at the end of the page fills in the step's check."""

    def __init__(self, prefix: str) -> None:
        self.prefix = prefix
        self.state = _state(prefix)
        self.slot = None
        if self.state is None:
            return
        lesson = lessons()[self.state["id"]]
        i = self.state["step"]
        step = lesson.steps[i]
        if self.state["applied"] != i:
            self.state["applied"] = i
            if step.check:  # what exists now is not this step's: only something made after counts
                self.state["tokens"][i] = observe(step.check.source, prefix)[0]
            for key, value in step.set.items():
                st.session_state[key] = value
                st.session_state.setdefault(f"{prefix}__saved", {})[key] = value
        with st.container(border=True, key="lesson__box"):
            st.markdown(f"**📘 Lesson: {lesson.title}** · step {i + 1} of {len(lesson.steps)}")
            st.markdown(f"**{step.title}.** {step.say}")
            self.slot = st.empty()
            c1, c2, c3 = st.columns([1, 1, 3])
            c1.button(
                "◀ Previous step",
                key="lesson__prev",
                disabled=i == 0,
                on_click=_go,
                args=(i - 1,),
                help="Go back one step (its settings are set again).",
            )
            last = i == len(lesson.steps) - 1
            c2.button(
                "Finish the lesson" if last else "Next step ▶",
                key="lesson__next",
                type="primary",
                on_click=_leave if last else _go,
                args=() if last else (i + 1,),
                help="Close the lesson box."
                if last
                else "Go on to the next step; it sets the controls it needs.",
            )
            c3.button("Leave the lesson", key="lesson__leave", on_click=_leave, help="Close the lesson box.")

    def finish(self) -> None:
        if self.state is None or self.slot is None:
            return
        lesson = lessons()[self.state["id"]]
        i = self.state["step"]
        check = lesson.steps[i].check
        with self.slot.container():
            if check is None:
                st.caption("No check in this step: read, try, and go on when you are ready.")
                return
            token, facts = observe(check.source, self.prefix)
            fresh = not check.new_run or token != self.state["tokens"].get(i)
            verdict = None
            if facts is not None and fresh:
                earlier = {n + 1: v for n, v in self.state["values"].items() if n < i}
                verdict = judge(check, facts, earlier)
                if verdict is None and any(p.startswith("step") for p in check.values.values()):
                    st.info("This check compares with an earlier step's numbers: do that step first.")
                    return
            if verdict is None:
                st.caption("⏳ The check appears here once you have done what the step says.")
                return
            new = self.state["verdicts"].get(i) is None or self.state.get("shown") != (i, token)
            self.state["values"][i] = verdict.values
            self.state["verdicts"][i] = verdict.ok
            self.state["shown"] = (i, token)
            head = "✅ Expected effect seen." if verdict.ok else "Not this time."
            if verdict.ok:
                st.success(f"{head} {verdict.text}")
            else:
                st.warning(f"{head} {verdict.text}")
            if new:  # the page scrolls to the results: say it where the person is looking, too
                st.toast(
                    f"**Lesson check** (in the lesson box above): {head} {verdict.text}", duration="long"
                )


def _open_from_link(prefix: str) -> None:
    """`?run=ID` (the class board's links) shows that saved run on its page, once."""
    rid = st.query_params.get("run")
    if not rid or st.session_state.get(f"{prefix}__linked") == rid:
        return
    from ui.panel import TASK_PAGES, open_run, run_store

    row = run_store().get(rid)
    st.session_state[f"{prefix}__linked"] = rid
    if row and TASK_PAGES.get(row["task"], ("", ""))[1] == prefix and row["status"] in ("done", "stopped"):
        open_run(row["task"], rid)


def lesson_box(prefix: str) -> LessonBox:
    """The top of a task page: opens a run named by ?run=ID, then draws the lesson's box (if any)."""
    _open_from_link(prefix)
    return LessonBox(prefix)


def lessons_list() -> None:
    """The landing page's list: one link per lesson, opening its page with ?lesson=ID."""
    st.subheader("📘 Lessons")
    st.caption(
        "Guided steps on the real models: each sets the controls, says what to do and checks the result."
    )
    cols = st.columns(2)
    for n, lesson in enumerate(lessons().values()):
        with cols[n % 2]:
            st.page_link(
                lesson.page_file,
                label=lesson.title,
                query_params={"lesson": lesson.id},
                help=lesson.summary,
            )
            st.caption(f"{lesson.summary} ({len(lesson.steps)} steps)")


__all__ = ["PAGES", "lesson_box", "lessons_list", "observe"]
