"""Sections 3 and 4 of the "Inside the RNN" page: gradients over time, and the cell comparison.

Training always goes through the job queue (three jobs, one per cell, run one
after another in the training process); the page only polls them. The quick
measurements on untrained networks (a few gradient computations) run on a
button press, with TensorFlow imported then.
"""

from __future__ import annotations

from collections.abc import Callable

import pandas as pd
import streamlit as st

from core import memory
from core.charts import cell_loss_chart, clipping_chart, gradient_norm_chart
from core.config import CELL_NAMES
from core.datasets import DataError
from core.inspect import compare_configs, param_count, seconds_per_epoch, slow_gru_note
from core.runs import ACTIVE
from core.tasks import COMPARE_ORDER, TASKS
from ui.class_tags import tag_runs
from ui.panel import POLL_SECONDS, manager, run_store, scroll_to_progress, session_id
from ui.state import shared_settings

P = "in"
TF_NOTE = "the first time loads TensorFlow, about 10 s"
LOSS_NAMES = {t.name: t.loss_name for t in TASKS.values()}
TASK_NAMES = {name: TASKS[name].compare_title for name in COMPARE_ORDER}


# --- three jobs, one per cell --------------------------------------------------------------
def submit_three(key: str, task: str, configs: dict) -> None:
    # All three or none: a half-submitted comparison would never fill its table.
    earlier = [manager().snapshot(job) for job in (st.session_state.get(f"{P}__{key}") or {}).values()]
    if any(s and s["status"] in ACTIVE for s in earlier):
        # The section shows one comparison: another would train out of the page's reach.
        st.error("This comparison is still queued or running: stop it or wait for it to finish first.")
        return
    try:
        st.session_state[f"{P}__{key}"] = manager().submit_all(task, configs, session=session_id())
        tag_runs(run_store(), st.session_state[f"{P}__{key}"].values())  # the class board's name and lesson
        st.session_state[f"{P}__scroll_{key}"] = True
    except DataError as exc:
        st.error(str(exc))


def jobs_panel(key: str, draw_live: Callable[[dict], None]) -> dict | None:
    """Poll this section's jobs; returns {cell: snapshot} once none is queued or running."""
    ids = st.session_state.get(f"{P}__{key}")
    if not ids:
        return None
    snaps = {cell: manager().snapshot(job) for cell, job in ids.items()}
    if any(s is None for s in snaps.values()):
        st.info("Those jobs belonged to an earlier server session; find them on the Runs page.")
        return None
    active = any(s["status"] in ACTIVE for s in snaps.values())
    if st.session_state.pop(f"{P}__scroll_{key}", False) and active:
        scroll_to_progress()

    @st.fragment(run_every=POLL_SECONDS if active else None)
    def panel() -> None:
        now = {cell: manager().snapshot(job) for cell, job in ids.items()}
        lines = []
        for cell, s in now.items():
            done, total = len(s["epochs"]), s["config"].train.epochs
            state = {
                "queued": f"waiting (position {s['position']})",
                "running": f"epoch {min(done + 1, total)} of {total}",
            }
            lines.append(f"{CELL_NAMES[cell]}: {state.get(s['status'], s['status'])}")
        share = sum(1.0 if s["status"] not in ACTIVE else s["progress"] for s in now.values()) / len(now)
        st.progress(min(1.0, share), text=" · ".join(lines))
        if any(s["status"] in ACTIVE for s in now.values()):
            st.button(
                "Stop these jobs",
                key=f"{P}__stop_{key}",
                help="Stops the running job within one batch and cancels the others.",
                on_click=lambda: [manager().stop(j) for j in ids.values()],
            )
        draw_live(now)
        if active and not any(s["status"] in ACTIVE for s in now.values()):
            st.rerun()

    panel()
    if active:
        return None
    for cell, s in snaps.items():
        if s["status"] == "failed":
            st.error(f"{CELL_NAMES[cell]} failed: {s['error']}")
    return snaps


# --- 3. vanishing and exploding gradients ----------------------------------------------------
@st.cache_data(show_spinner=False, max_entries=96)
def _untrained_cell(length: int, scale: float, cell: str) -> list:
    return memory.untrained_norms(length, scale, cells=(cell,))[cell]  # seeded per cell: same as all at once


def _untrained(length: int, scale: float) -> dict:
    """The three untrained networks' gradients, with a progress bar (it took 73 s behind a spinner)."""
    import time

    from core.tf import is_loaded, keras_module

    start, steps = time.time(), len(memory.CELLS) + 1
    bar = st.progress(0.0, text="Loading TensorFlow (once, about 10 s)..." if not is_loaded() else "")
    keras_module()
    out = {}
    for i, cell in enumerate(memory.CELLS, start=1):
        bar.progress(
            i / steps, text=f"Measuring the untrained {CELL_NAMES[cell]} ({i} of {len(memory.CELLS)})..."
        )
        out[cell] = _untrained_cell(length, scale, cell)
    bar.progress(1.0, text=f"Measured the {len(out)} untrained networks in {time.time() - start:.0f} s.")
    return out


@st.cache_data(show_spinner="Training an exploding SimpleRNN for a few steps...", max_entries=2)
def _clipping() -> dict:
    return memory.clipping_demo(length=50, scale=3.0, clip=1.0)


def _beside(fig, summary: str, key: str, words: str) -> None:
    left, right = st.columns([3, 1])
    with left:
        st.plotly_chart(fig, width="stretch", key=key)
        st.caption(summary)
    right.markdown(words)


def gradients() -> None:
    with shared_settings(P), st.form(f"{P}__grad_form", border=False):
        c1, c2, c3 = st.columns(3)
        length = c1.slider(
            "Sequence length T (steps)",
            10,
            150,
            50,
            5,
            key=f"{P}_length",
            help="How far back the number to remember lies; longer is harder.",
        )
        scale = c2.select_slider(
            "Recurrent weight scale",
            [0.5, 0.75, 1.0, 1.5, 2.0, 3.0],
            1.0,
            key=f"{P}_scale",
            help="Multiplies the weights that carry the memory from step to step: below 1 the"
            " signal fades faster, above 1 it can blow up.",
        )
        epochs = c3.slider(
            "Epochs for the short training",
            1,
            15,
            5,
            key=f"{P}_mem_epochs",
            help="Each epoch shows the network 4,000 training sequences once.",
        )
        b1, b2 = st.columns(2)
        measure = b1.form_submit_button(
            "Measure the untrained networks",
            type="primary",
            help=f"Gradients of freshly made networks, in seconds ({TF_NOTE}).",
        )
        train = b2.form_submit_button(
            "Train all three briefly (3 jobs)",
            help="SimpleRNN, LSTM and GRU learn the task one after another, then are measured again.",
        )
    if measure:
        st.session_state[f"{P}__measured"] = (length, float(scale))
    if train:
        configs = {c: memory.config_for(c, length, float(scale), epochs) for c in CELL_NAMES}
        submit_three("mem_jobs", "memory", configs)
    if st.session_state.get(f"{P}__measured"):
        n, s = st.session_state[f"{P}__measured"]
        fig, summary = gradient_norm_chart(
            _untrained(n, s), f"Untrained networks: gradient by distance (T = {n}, scale {s})"
        )
        _beside(
            fig,
            summary,
            f"{P}__grad_chart",
            "How much would the answer change if the input **d steps earlier** changed? That is the"
            " gradient. A network learns from a far-back input only if this stays large. It usually"
            " falls by thousands of times: the **vanishing gradient**. Honestly: freshly made LSTMs and"
            " GRUs lose it *faster* than a SimpleRNN; their gates start half-closed. Train them to see"
            " the difference.",
        )
    snaps = jobs_panel("mem_jobs", lambda now: None)
    if snaps:
        _memory_results(snaps)
    with st.expander("Exploding gradients and clipping"):
        st.markdown(
            "With recurrent weights three times too large, the gradient *grows* with distance instead of"
            " fading: one update can throw the weights so far that the network never recovers. Gradient"
            " clipping caps each update (the clip norm is the same setting as in every page's training options)."
        )
        if st.button(
            "Run the exploding case",
            key=f"{P}__clip_btn",
            help="Trains a SimpleRNN (T = 50, recurrent weights × 3) for 15 steps with plain SGD, without and with clipping.",
        ):
            st.session_state[f"{P}__clip"] = True
        if st.session_state.get(f"{P}__clip"):
            fig, summary = clipping_chart(_clipping())
            _beside(
                fig,
                summary,
                f"{P}__clip_chart",
                "Each point is one training step. Without clipping the first step is enormous and the"
                " network is wrecked: its units saturate and the loss stops falling. With clipping every"
                " step stays below the dotted line (learning rate × clip norm).",
            )


def _memory_results(snaps: dict) -> None:
    done = {c: s["result"] for c, s in snaps.items() if s["result"]}
    if not done:
        return
    curves = {}
    for cell, res in done.items():
        curves[f"{cell} before"] = res["display"]["before"]["norms"]
        curves[f"{cell} after"] = res["display"]["after"]["norms"]
    n = len(next(iter(curves.values())))
    fig, summary = gradient_norm_chart(curves, f"Before (dotted) and after (solid) a short training, T = {n}")
    _beside(
        fig,
        summary,
        f"{P}__grad_trained",
        "After training, a line that stays high far back means the network learned to hold on to old"
        " inputs. LSTM and GRU gates learn to stay open; a SimpleRNN has no gates and keeps losing the signal.",
    )
    rows = []
    for cell, res in done.items():
        f = res["final"]
        rows.append(
            {
                "cell": CELL_NAMES[cell],
                "accuracy untrained": f["test"]["accuracy_untrained"],
                "accuracy trained": f["test"]["accuracy"],
                "chance": f["test"]["chance"],
                "gradient kept, untrained": f["gradient_ratio_untrained"],
                "gradient kept, trained": f["gradient_ratio"],
            }
        )
    table = pd.DataFrame(rows).set_index("cell")
    st.dataframe(table.style.format("{:.3g}"), width="stretch", key=f"{P}__mem_table")
    size = next(iter(done.values()))["display"]["test_size"]
    st.caption(
        f"Accuracy on {size} held-out sequences whose marked number lies at least 0.9 × T steps back;"
        " chance: always giving the commoner answer. Gradient kept: the gradient T steps back ÷ the"
        f" gradient 1 step back (T = {n})."
    )


# --- 4. cell comparison -------------------------------------------------------------------
def _held_out(task: str, final: dict) -> str:
    """Each run's own test score beside its baseline, in a few words."""
    test = final.get("test") or {}
    record = TASKS.get(task)
    if record and record.held_out and (words := record.held_out(final, test)):
        return words
    if isinstance(test.get("accuracy"), int | float):
        return f"test accuracy {test['accuracy']:.3f}"
    return (
        f"validation loss {final['val_loss']:.4g}" if isinstance(final.get("val_loss"), int | float) else ""
    )


def compare_cells() -> None:
    tasks = [*COMPARE_ORDER, *(t for t in TASKS if t not in COMPARE_ORDER)]
    with shared_settings(P), st.form(f"{P}__cmp_form", border=False):
        c1, c2, c3, c4 = st.columns(4)
        task = c1.selectbox(
            "Task",
            tasks,
            format_func=lambda t: TASK_NAMES.get(t, t),
            key=f"{P}_cmp_task",
            help="The same data for all three cells, with that task's usual settings.",
        )
        units = c2.select_slider(
            "Units", [8, 16, 32, 64], 16, key=f"{P}_cmp_units", help="The same memory size for all three."
        )
        epochs = c3.slider(
            "Epochs", 1, 30, 5, key=f"{P}_cmp_epochs", help="Passes over the training data, for all three."
        )
        seed = c4.number_input(
            "Random seed",
            0,
            10**6,
            0,
            key=f"{P}_cmp_seed",
            help="The same starting randomness for all three.",
        )
        go = st.form_submit_button(
            "Train SimpleRNN, LSTM and GRU (3 jobs)",
            type="primary",
            help="Queued one after another in the training process; you can leave the page.",
        )
    if go:
        try:
            submit_three("cmp_jobs", task, compare_configs(task, units, epochs, int(seed)))
        except (DataError, ValueError) as exc:
            st.error(str(exc))

    def live(now: dict) -> None:
        fig, summary = cell_loss_chart(
            {c: s["epochs"] for c, s in now.items()},
            LOSS_NAMES.get(next(iter(now.values()))["task"], "validation loss"),
        )
        _beside(
            fig,
            summary,
            f"{P}__cmp_chart",
            "Validation loss is the error on data held back from training: lower is better. Lines that"
            " fall faster learn faster per epoch; see the table for what each epoch costs.",
        )

    snaps = jobs_panel("cmp_jobs", live)
    if not snaps:
        return
    store, rows = manager().store, []
    for cell, s in snaps.items():
        model = store.files / s["id"] / "model.keras"
        losses = [e["val_loss"] for e in s["epochs"] if "val_loss" in e]
        rows.append(
            {
                "cell": CELL_NAMES[cell],
                "parameters": param_count(model) if model.is_file() else None,
                "seconds per epoch": seconds_per_epoch(s["epochs"]),
                "epochs": len(s["epochs"]),
                "best validation loss": min(losses) if losses else None,
                "on held-out data": _held_out(s["task"], (s["result"] or {}).get("final", {})),
                "run": s["id"],
            }
        )
    table = pd.DataFrame(rows).set_index("cell")
    formats = {"seconds per epoch": "{:.2f}", "best validation loss": "{:.4g}", "parameters": "{:,.0f}"}
    st.dataframe(table.style.format(formats, na_rep="-"), width="stretch", key=f"{P}__cmp_table")
    st.caption(
        "Parameters: numbers the network learns (read from each saved model). Seconds per epoch:"
        " the median over epochs, on this machine, one job at a time. Each run is on the Runs page."
    )
    speed = table["seconds per epoch"]
    if {"GRU", "LSTM"} <= set(speed.index) and speed["GRU"] > 1.5 * speed["LSTM"]:
        st.info(slow_gru_note(speed["GRU"] / speed["LSTM"]))
