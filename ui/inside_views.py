"""Sections 1 and 2 of the "Inside the RNN" page: one step at a time, and a trained model's memory.

TensorFlow is imported only when a button asks for Keras (building a layer,
loading a stored model), never when the page loads; results are cached, so
Next, Back and the sorting controls redraw without it.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import streamlit as st

from core.charts import state_heatmap, step_chart, unit_trace_chart
from core.config import CELL_NAMES
from core.datasets import DataError
from core.inspect import keras_reference, max_difference, one_hot_word, sort_units, step_parts
from core.inspect_inputs import adapter_for
from core.numpy_rnn import Cell
from ui.panel import run_store
from ui.state import shared_settings

P = "in"
TF_NOTE = "the first time loads TensorFlow, about 10 s"

STEP_WORDS = {
    "simple": "**SimpleRNN.** At every step the network mixes two things: the new input and its memory"
    " (the previous hidden state). Each is multiplied by its own table of weights, the two results and a"
    " fixed offset are added, and the sum is squashed into the range -1 to 1. That squashed list of"
    " numbers is the new hidden state: the memory it carries to the next step. Nothing else is kept.",
    "lstm": "**LSTM.** Besides the hidden state, an LSTM keeps a separate *cell memory*. Three gates,"
    " each a list of numbers between 0 (closed) and 1 (open), decide what happens to it: the forget gate"
    " how much of the old memory to keep, the input gate how much new information to write, the output"
    " gate how much of the memory to show as the new hidden state. A forget gate near 1 keeps a memory"
    " for a long time.",
    "gru": "**GRU.** A GRU has one memory and two gates. The reset gate decides how much of the old state"
    " to use when proposing new information; the update gate then blends: a value near 1 keeps the old"
    " state, near 0 replaces it with the new proposal. It is a leaner LSTM.",
}


# --- 1. one step at a time ---------------------------------------------------------------
@st.cache_data(show_spinner=f"Building the layer in Keras ({TF_NOTE})...", max_entries=32)
def _reference(kind: str, word: str, units: int) -> dict:
    xs, _ = one_hot_word(word)
    ref = keras_reference(kind, xs, units, seed=0)
    ref["difference"] = max_difference(kind, ref["weights"], xs, ref["keras"])
    return ref


def _move(delta: int, steps: int) -> None:
    st.session_state[f"{P}__t"] = min(max(st.session_state.get(f"{P}__t", 0) + delta, 0), steps - 1)


def step_by_step() -> None:
    with shared_settings(P), st.form(f"{P}__step_form", border=False):
        c1, c2, c3 = st.columns(3)
        kind = c1.selectbox(
            "Cell",
            list(CELL_NAMES),
            format_func=CELL_NAMES.get,
            key=f"{P}_step_cell",
            help="SimpleRNN: one memory, no gates. LSTM and GRU: gates decide what to keep.",
        )
        word = c2.text_input(
            "Word to read, one letter per step",
            "hello",
            max_chars=12,
            key=f"{P}_word",
            help="Each letter becomes a row of zeros with a single 1 (one place per distinct letter).",
        )
        units = c3.slider(
            "Units (size of the memory)",
            2,
            8,
            4,
            key=f"{P}_step_units",
            help="How many numbers the hidden state holds.",
        )
        built = st.form_submit_button(
            "Build the layer in Keras and step through it",
            type="primary",
            help=f"Creates a Keras layer with its usual starting weights ({TF_NOTE}).",
        )
    if built:
        st.session_state[f"{P}__step"] = (kind, word.strip(), units)
        st.session_state[f"{P}__t"] = 0
    chosen = st.session_state.get(f"{P}__step")
    if not chosen:
        st.info("Press the button to create the layer; then walk through it with Next and Back.")
        return
    kind, word, units = chosen
    if not word:
        st.error("Type a word of at least one letter.")
        return
    ref = _reference(kind, word, units)
    xs, alphabet = one_hot_word(word)
    t = min(st.session_state.get(f"{P}__t", 0), len(word) - 1)
    c1, c2, c3 = st.columns([1, 1, 5])
    c1.button(
        "◀ Back",
        key=f"{P}__back",
        on_click=_move,
        args=(-1, len(word)),
        disabled=t == 0,
        help="Go one step back.",
    )
    c2.button(
        "Next ▶",
        key=f"{P}__next",
        on_click=_move,
        args=(1, len(word)),
        disabled=t == len(word) - 1,
        help="Read the next letter.",
    )
    c3.markdown(
        f"Step **{t + 1} of {len(word)}**: the {CELL_NAMES[kind]} reads **'{word[t]}'**"
        f" (letters, in order: {', '.join(alphabet)})"
    )
    parts = step_parts(Cell(kind, *ref["weights"]), xs, t)
    left, right = st.columns([3, 2])
    with left:
        fig, summary = step_chart(parts, f"{CELL_NAMES[kind]}, step {t + 1}: reading '{word[t]}'", alphabet)
        st.plotly_chart(fig, width="stretch", key=f"{P}__step_chart")
        st.caption(summary)
    with right:
        st.markdown(STEP_WORDS[kind])
        st.markdown(
            "Each row is a small list of numbers drawn as coloured boxes: orange above 0, blue below, white"
            " near 0. Read the rows top to bottom: they are the calculation in order. The first row has one"
            " box per distinct letter; every other row one box per unit."
        )
        keras_h = ref["keras"][t]
        st.markdown(
            f"**Same as Keras?** Keras's own layer, with the same weights, gives this step's new state as"
            f" `{np.array2string(keras_h, precision=3, separator=', ')}`. Over all {len(word)} steps and"
            f" {units} units, the largest difference between this step-by-step copy and Keras is"
            f" **{ref['difference']:.1e}** (rounding noise: both compute the same thing)."
        )


# --- 2. the hidden state of a trained model ------------------------------------------------
@st.cache_resource(show_spinner=f"Loading the model ({TF_NOTE})...", max_entries=4)
def _model(task: str, run_dir: str, mtime: float):
    from core.inspect import load_run_model

    return load_run_model(task, Path(run_dir))


@st.cache_data(show_spinner="Reading the run's data...", max_entries=16)
def _choices(run_id: str, task: str) -> int:
    row = run_store().get(run_id)
    return adapter_for(task).choices(run_store().run_dir(run_id), row["config"])


@st.cache_data(show_spinner="Running the model on your input...", max_entries=16)
def _states(run_id: str, task: str, value: str, mtime: float) -> dict:
    from core.inspect import hidden_states

    store = run_store()
    run_dir = store.run_dir(run_id)
    model = _model(task, str(run_dir), mtime)
    inp = adapter_for(task).prepare(run_dir, store.get(run_id)["config"], model, value)
    layers = hidden_states(model, inp.x, inp.steps)
    steps = len(layers[0].h)
    feats = {k: np.asarray(v)[:steps] for k, v in inp.features.items()}
    return {
        "labels": inp.labels[:steps],
        "features": feats,
        "note": inp.note,
        "layers": [dataclasses.asdict(x) for x in layers],
    }


def _drop_invalid(key: str, valid) -> None:
    """Forget a remembered choice the current run cannot take (another run has other options)."""
    if key in st.session_state and not valid(st.session_state[key]):
        del st.session_state[key]


def _runs() -> dict[str, dict]:
    rows = run_store().list()
    ok = [r for r in rows if r["status"] in ("done", "stopped")]
    return {r["id"]: r for r in ok if (run_store().files / r["id"] / "model.keras").is_file()}


def trained_state() -> None:
    runs = _runs()
    if not runs:
        st.info("No stored model yet: train one on any page (or in section 4 below), then come back.")
        return
    opened = st.session_state.pop(f"{P}__open", None)  # "Open in its page" on the Runs page
    if opened in runs:
        st.session_state[f"{P}_run"] = opened
        st.info(f"Run {opened} from the Runs page is selected: press **Show the hidden state**.")
    if st.session_state.get(f"{P}_run") not in runs:
        st.session_state.pop(f"{P}_run", None)

    def describe(rid: str) -> str:
        arch = runs[rid]["config"].get("arch", {})
        return (
            f"{rid} · {runs[rid]['task']} · {CELL_NAMES.get(arch.get('cell'), '?')}({arch.get('units', '?')})"
        )

    with shared_settings(P):
        run_id = st.selectbox(
            "Stored run",
            list(runs),
            format_func=describe,
            key=f"{P}_run",
            help="Any finished run from any page; newest first.",
        )
        task = runs[run_id]["task"]
        adapter = adapter_for(task)
        run_dir = Path(run_store().run_dir(run_id))
        with st.form(f"{P}__state_form", border=False):
            try:
                if adapter.choices:
                    n = _choices(run_id, task)
                    _drop_invalid(f"{P}_pick_{task}", lambda v: isinstance(v, int) and 0 <= v < max(n, 2))
                    value = str(
                        st.slider(
                            adapter.label, 0, max(n - 1, 1), 0, key=f"{P}_pick_{task}", help=adapter.help
                        )
                    )
                else:
                    default = adapter.default(run_dir, runs[run_id]["config"])
                    value = st.text_area(
                        adapter.label, default, key=f"{P}_text_{task}", help=adapter.help, height=90
                    )
            except DataError as exc:
                st.error(str(exc))
                value = None
            shown = st.form_submit_button(
                "Show the hidden state",
                type="primary",
                help=f"Runs the stored model on this input ({TF_NOTE}).",
            )
    if shown and value is not None:
        st.session_state[f"{P}__shown"] = (run_id, task, value)
    request = st.session_state.get(f"{P}__shown")
    if not request or request[0] != run_id:
        return
    try:
        res = _states(*request, (run_dir / "model.keras").stat().st_mtime)
    except (DataError, ValueError) as exc:
        st.error(str(exc))
        return
    except Exception as exc:  # a stored model this view cannot take apart: say so, no traceback
        st.error(
            f"This run's model could not be inspected ({exc.__class__.__name__}: {exc}). Try another run."
        )
        return
    _draw_states(res)


def _draw_states(res: dict) -> None:
    if res["note"]:
        st.caption(res["note"])
    layers, labels, feats = res["layers"], res["labels"], res["features"]
    _drop_invalid(f"{P}_layer", lambda v: v in range(len(layers)))
    _drop_invalid(f"{P}_feature", lambda v: v in feats)
    with shared_settings(P):
        c1, c2 = st.columns(2)
        names = [
            f"{x['name']} ({CELL_NAMES[x['kind']]}{', both directions' if x['bidirectional'] else ''})"
            for x in layers
        ]
        pick = c1.selectbox(
            "Layer",
            range(len(layers)),
            format_func=names.__getitem__,
            key=f"{P}_layer",
            help="Stacked recurrent layers: layer 1 reads the input, each next layer reads the one below.",
        )
        feature = c2.selectbox(
            "Sort units by how closely they follow",
            list(feats),
            key=f"{P}_feature",
            help="A simple property of each step; units whose activation rises and falls with it come first.",
        )
    layer = layers[pick]
    h = np.asarray(layer["h"])
    order, r = sort_units(h, feats[feature])
    left, right = st.columns([3, 1])
    with left:
        fig, summary = state_heatmap(
            h, labels, f"Hidden state of {layer['name']}: one row per unit, one column per step", order, r
        )
        st.plotly_chart(fig, width="stretch", key=f"{P}__state_chart")
        st.caption(summary)
    with right:
        st.markdown(
            "Each column is one step of the input (its character, word or date is written below it); each"
            " row is one unit of the memory. Orange means the unit's value is high (up to 1), blue low"
            " (down to -1). A row that changes colour together with something in the text is a unit that"
            " *tracks* it, like the famous units in character models that switch on inside quotes."
            f" Units are sorted by how closely they follow **{feature}** (r is the correlation: +1 rises"
            " exactly with it, -1 falls exactly with it, 0 unrelated)."
        )
    top = int(order[0])
    left, right = st.columns([3, 1])
    with left:
        fig, summary = unit_trace_chart(h[:, top], feats[feature], labels, top, feature, float(r[top]))
        st.plotly_chart(fig, width="stretch", key=f"{P}__trace_chart")
        st.caption(summary)
    with right:
        st.markdown(
            "The best-matching unit as a line, beside the feature (orange steps). If the two move"
            " together the unit has learned something about it; a correlation near 0 means no unit did."
        )
    if layer["gates"]:
        st.markdown(
            f"**Gates of {layer['name']}**" + (" (forward direction)" if layer["bidirectional"] else "")
        )
        st.markdown(
            "Gates are numbers between 0 (closed, dark) and 1 (open, yellow). Forget gate open: the memory is"
            " kept. Input gate open: new information is written. Output gate open: the memory is shown."
            " GRU: update gate open keeps the old state, reset gate open lets the old state shape the new one."
            f" Computed with the numpy copy of the cell on the same weights; its hidden state matches Keras"
            f" to {layer['numpy_difference']:.1e}."
        )
        tabs = st.tabs([f"{name} gate" for name in layer["gates"]])
        for tab, (name, values) in zip(tabs, layer["gates"].items(), strict=True):
            with tab:
                fig, summary = state_heatmap(
                    values, labels, f"{name.capitalize()} gate of {layer['name']}", gate=True
                )
                st.plotly_chart(fig, width="stretch", key=f"{P}__gate_{name}")
                st.caption(summary)
