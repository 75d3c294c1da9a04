"""The live-training panel every training page uses, and the process-wide job manager.

The page keeps only a job id in a non-widget session key; the job itself lives
in the manager, so leaving the page and coming back shows it still going (or
finished). The panel polls with a fragment only while the job is queued or
running, then reruns the page once so the results appear and polling stops.
"""

from __future__ import annotations

import time
from collections.abc import Callable

import streamlit as st

from core.datasets import DataError
from core.eta import fmt_seconds, time_left_text
from core.jobs import JobManager
from core.runs import ACTIVE, RunStore
from core.tasks import TASKS
from ui.class_tags import tag_runs
from ui.owner import owner_id

POLL_SECONDS = 1.0
QUEUED_POLL_SECONDS = 3.0
# task -> (page file, widget-key prefix); the Runs page opens runs through this.
TASK_PAGES = {t.name: (t.page, t.prefix) for t in TASKS.values()}


@st.cache_resource(show_spinner=False)
def _manager() -> JobManager:
    return JobManager()


@st.cache_resource(show_spinner=False)
def _run_store() -> RunStore:
    return RunStore()


def _or_stop(make):
    """A shared resource, or the reason it is unreachable (a database or cluster that is down).

    A failed start is not cached, so the next page load tries again.
    """
    try:
        return make()
    except DataError as exc:
        st.error(f"The app cannot start its run store or training: {exc}")
        st.stop()


def manager() -> JobManager:
    """The process-wide job manager (starts the training process, so TensorFlow loads early)."""
    return _or_stop(_manager)


def run_store() -> RunStore:
    """The run store alone, for pages that only read runs (no training process started)."""
    return _or_stop(_run_store)


def open_run(task: str, run_id: str) -> None:
    """Ask the task's page to show a stored run instead of a new job."""
    prefix = TASK_PAGES[task][1]
    st.session_state[f"{prefix}__open"] = run_id
    st.session_state.pop(f"{prefix}__job", None)


def session_id() -> str:
    """Whose jobs these are: the browser's id (ui.owner), the same in every tab and after a reload,
    so the per-person job limit is per person, not per tab."""
    return owner_id()


def submit(prefix: str, task: str, config, share: bool = True) -> None:
    """Queue a training for this page; identical settings train once (core.sharing): a finished
    run's result is shown at once (with "train again anyway"), a live one is joined."""
    current = manager().snapshot(st.session_state.get(f"{prefix}__job", ""))
    if current and current["status"] in ACTIVE:
        # The page shows (and can cancel) one job: a second one would be out of its reach.
        st.error(
            "This page already has a training queued or running: stop it or wait for it to finish first."
        )
        return
    st.session_state.pop(f"{prefix}__open", None)
    st.session_state.pop(f"{prefix}__same", None)
    try:
        same, why = manager().same_finished(task, config) if share else (None, "")
        st.session_state[f"{prefix}__alone"] = why  # said under the progress bar
        if same is not None:
            open_run(task, same["id"])
            st.session_state[f"{prefix}__same"] = (
                same["id"],
                same["finished"] or same["created"],
                task,
                config,
            )
            return
        st.session_state[f"{prefix}__job"] = manager().submit(task, config, session=session_id(), share=share)
        tag_runs(run_store(), [st.session_state[f"{prefix}__job"]])  # the class board's name and lesson
        st.session_state[f"{prefix}__scroll"] = True  # bring the progress bar into view once
    except DataError as exc:
        st.error(str(exc))


# Looks for an element for up to 5 s (the panel draws it with its first poll) and scrolls it into
# view once: the progress bar when a training starts (only if it is not in full view already),
# the results' heading when a training the person watched has finished.
_SCROLL = """<script>
(function () {
  let tries = 0;
  const look = () => {
    const el = FIND;
    if (!el) {
      if (tries++ < 50) setTimeout(look, 100);
      return;
    }
    const r = el.getBoundingClientRect();
    if (ALWAYS || r.top < 0 || r.bottom > window.innerHeight) el.scrollIntoView({block: "BLOCK"});
  };
  look();
})();
</script>"""


def _scroll_to(find: str, block: str, always: bool) -> None:
    script = _SCROLL.replace("FIND", find).replace("BLOCK", block).replace("ALWAYS", str(always).lower())
    st.html(script, unsafe_allow_javascript=True)


def scroll_to_progress() -> None:
    """Bring the page's first progress bar into view (a training was just started)."""
    _scroll_to("""document.querySelector('[data-testid="stProgress"]')""", "center", always=False)


def scroll_to_results() -> None:
    """Put the results' heading at the top of the window (a watched training has finished)."""
    _scroll_to(
        "[...document.querySelectorAll('h3')].find(h => h.textContent.startsWith('Results on'))",
        "start",
        True,
    )


def _draw(
    snap: dict,
    prefix: str,
    y_title: str,
    draw_live: Callable[[dict], None] | None,
    hover_unit: tuple[str, float] | None = None,
) -> None:
    status = snap["status"]
    joined = snap.get("session", session_id()) != session_id()
    if joined and status in ACTIVE:
        st.caption(
            f"Someone was already training exactly these settings, so you joined run {snap['id']}:"
            " one training, the same live chart and the same result for everyone who asked."
        )
    elif status in ACTIVE and st.session_state.get(f"{prefix}__alone"):
        st.caption(
            f"Not shared with anyone asking for the same settings: {st.session_state[f'{prefix}__alone']}."
        )
    if status == "queued":
        ahead = snap["position"]
        st.progress(
            0.0,
            text=f"Waiting in the queue: {ahead} job{'s' if ahead != 1 else ''} ahead of yours,"
            f" about {fmt_seconds(snap['wait_s'])} until it starts.",
        )
        if not joined:  # a joined job is someone else's to cancel
            st.button(
                "Cancel",
                key=f"{prefix}__cancel",
                on_click=manager().stop,
                args=(snap["id"],),
                help="Take this training out of the queue.",
            )
        return  # nothing to chart yet: keep the polling cheap while waiting
    if status == "running":
        epochs, budget = snap["config"].train.epochs, snap["config"].train.budget_s
        done = len(snap["epochs"])
        doing = snap["message"] or "Training"
        if not snap["epochs"] and not snap["batches"] and not manager().engine_ready:
            doing = "Starting the training engine (TensorFlow loads once, about 10 s), then"
        limit = f" (or {budget:.0f} s of training, whichever comes first)" if budget else ""
        st.progress(
            snap["progress"],
            text=f"{doing} epoch {min(done + 1, epochs)} of {epochs}{limit} ·"
            f" elapsed {fmt_seconds(snap['elapsed'])} · {time_left_text(snap['eta'])}",
        )
    if status == "running" and not joined:
        st.button(
            "Stop training",
            key=f"{prefix}__stop",
            on_click=manager().stop,
            args=(snap["id"],),
            help="Stops within one batch. The model trained so far is kept and scored.",
        )
    from core.charts import loss_chart  # plotly and numpy: not needed by the landing page

    fig, summary = loss_chart(snap["epochs"], snap["batches"], y_title, hover_unit)
    st.plotly_chart(fig, width="stretch", key=f"{prefix}__loss_chart")
    st.caption(f"{summary} Run {snap['id']}.")
    if draw_live:
        draw_live(snap)  # task-specific live views, e.g. samples from snap["extras"]


def live_panel(
    prefix: str,
    on_result: Callable[[dict], None],
    y_title: str = "loss",
    draw_live: Callable[[dict], None] | None = None,
    hover_unit: tuple[str, float] | None = None,
) -> None:
    """Draw the job of this page (if any); call `on_result(snapshot)` once it has a result.

    `hover_unit` (name, factor) shows the loss in a second unit on hover.

    `draw_live(snapshot)` runs inside the polling fragment, under the loss chart,
    for task-specific live views (events other than epoch/batch/status land in
    snapshot["extras"][kind]).
    """
    # Starts the training process, so TensorFlow loads while the user picks settings.
    mgr = manager()
    owner_id()  # the browser keeps its id from the first page it opens
    job_id = st.session_state.get(f"{prefix}__job")
    opened = st.session_state.get(f"{prefix}__open")
    if opened and not job_id:
        result = mgr.store.result(opened)
        if result is None:
            st.warning(f"Run {opened} has no saved results (it may have been deleted).")
        else:
            same = st.session_state.get(f"{prefix}__same")
            if same and same[0] == opened:
                at = time.strftime("%H:%M", time.localtime(same[1]))
                st.info(
                    f"The same settings as run {opened}, trained at {at}: the same settings and seed give"
                    " the same network, so here is its result at once, without training again."
                )
                st.button(
                    "Train again anyway",
                    key=f"{prefix}__again",
                    on_click=submit,
                    args=(prefix, same[2], same[3], False),
                    help="Train your own copy with these settings (it will come out the same).",
                )
            else:
                st.info(f"Showing saved run {opened}. Press Train to start a new one.")
            on_result({"id": opened, "status": "done", "result": result})
        return
    if not job_id:
        if not mgr.engine_ready:
            st.caption(
                "⏳ The training engine is loading TensorFlow (once, about 10 s). Train now and it starts when ready."
            )
        return
    snap = manager().snapshot(job_id)
    if snap is None:
        st.info("That training belonged to an earlier server session; find it on the Runs page.")
        return
    active = snap["status"] in ACTIVE
    if active:
        st.session_state[f"{prefix}__watched"] = job_id
    if st.session_state.pop(f"{prefix}__scroll", False) and active:
        scroll_to_progress()
    # A queued job only shows its place in the queue: poll it slower, so a full classroom's
    # waiting pages leave the server to the ones that are training.
    every = (QUEUED_POLL_SECONDS if snap["status"] == "queued" else POLL_SECONDS) if active else None

    @st.fragment(run_every=every)
    def panel() -> None:
        current = manager().snapshot(job_id)
        _draw(current, prefix, y_title, draw_live, hover_unit)
        if current["status"] != snap["status"] and (active or current["status"] in ACTIVE):
            st.rerun()  # the whole page: poll at the new pace, or show results and stop polling

    panel()
    if active:
        return
    if snap["status"] == "failed":
        st.error(f"Training failed: {snap['error']}")
    elif snap["status"] == "stopped" and snap["result"] is None:
        st.warning("Cancelled before it started.")
    if snap["result"] is not None:
        if st.session_state.get(f"{prefix}__watched") == job_id:  # watched it train: show the verdict
            st.session_state.pop(f"{prefix}__watched")
            scroll_to_results()
        reason = snap["result"].get("stop_reason")
        note = {
            "user": "You stopped training early: these results use the model as it was then.",
            "budget": "Training stopped when its time budget ran out.",
            "early": "Training stopped early: the validation loss had stopped improving.",
        }.get(reason)
        if note:
            st.info(note)
        on_result(snap)
