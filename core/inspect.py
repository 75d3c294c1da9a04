"""Looking inside recurrent networks: one step at a time, and a trained model's memory.

Two views, both built on the numpy cells of `core.numpy_rnn` (exact copies of
Keras's SimpleRNN, LSTM and GRU):

- One step at a time (`step_parts`): every intermediate product of a single
  step, for a small layer whose weights come from Keras (`keras_reference`),
  checked against Keras's own outputs (the largest difference is shown).
- A trained model's hidden state (`hidden_states`): a Keras sub-model that
  outputs each recurrent layer's whole sequence of hidden states, for any
  stored model built with `core.models.recurrent_stack` (nested models, e.g. a
  string-input classifier, included); the gates come from the numpy cells on
  the same weights and inputs. `unit_correlations` ranks units by how closely
  they follow a simple feature of the input.

And, for the cell comparison, what a stored run cost: `param_count` (read from
the .keras file without TensorFlow) and `seconds_per_epoch`.

TensorFlow is imported only inside the functions that run Keras.
"""

from __future__ import annotations

import dataclasses
import io
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from core.config import CELL_NAMES
from core.numpy_rnn import Cell, cell_from_layer

RECURRENT = {name: cell for cell, name in CELL_NAMES.items()}  # Keras layer class -> cell


# --- 1. one step at a time -------------------------------------------------
@dataclass
class Part:
    """One small vector of a step, with what it means in plain words."""

    key: str
    label: str
    values: np.ndarray  # (n,)


# For each cell, the parts of one step in reading order: (key, label).
# Keys "x", "h_prev", "c_prev" are the step's inputs; the rest come from Cell.step(detail=True).
STEP_PARTS = {
    "simple": [
        ("x", "input at this step"),
        ("h_prev", "previous hidden state (the memory so far)"),
        ("input_part", "input × input weights"),
        ("memory_part", "previous state × memory weights"),
        ("bias", "bias (a fixed offset)"),
        ("sum", "sum of the three rows above"),
        ("h", "new hidden state = tanh(sum), squashed into -1..1"),
    ],
    "lstm": [
        ("x", "input at this step"),
        ("h_prev", "previous hidden state"),
        ("c_prev", "previous cell memory"),
        ("forget", "forget gate: share of the old memory to keep (0..1)"),
        ("input", "input gate: share of the new candidate to write (0..1)"),
        ("candidate", "candidate: new information (-1..1)"),
        ("kept", "forget gate × previous cell memory"),
        ("added", "input gate × candidate"),
        ("cell", "new cell memory = kept + added"),
        ("output", "output gate: share of the memory to show (0..1)"),
        ("h", "new hidden state = output gate × tanh(cell memory)"),
    ],
    "gru": [
        ("x", "input at this step"),
        ("h_prev", "previous hidden state"),
        ("reset", "reset gate: how much old state the candidate may use (0..1)"),
        ("candidate", "candidate: new information (-1..1)"),
        ("update", "update gate: share of the old state to keep (0..1)"),
        ("kept", "update gate × previous state"),
        ("added", "(1 - update gate) × candidate"),
        ("h", "new hidden state = kept + added"),
    ],
}


def one_hot_word(word: str) -> tuple[np.ndarray, list[str]]:
    """A word as one-hot rows (time, distinct letters) and its sorted alphabet."""
    if not word:
        raise ValueError("type at least one letter")
    alphabet = sorted(set(word))
    xs = np.zeros((len(word), len(alphabet)), np.float32)  # (time, letters)
    for t, ch in enumerate(word):
        xs[t, alphabet.index(ch)] = 1.0
    return xs, alphabet


def step_parts(cell: Cell, xs: np.ndarray, t: int) -> list[Part]:
    """Every vector involved in step t (0-based) of `cell` reading xs (time, in) from a zero state."""
    state = cell.zero_state()
    for x in xs[:t]:
        _, state, _ = cell.step(x[None], state)
    h, _, detail = cell.step(xs[t][None], state, detail=True)
    values = {"x": xs[t][None], "h_prev": state[0], "h": h, **detail}
    if cell.kind == "lstm":
        values["c_prev"] = state[1]
    return [Part(key, label, np.asarray(values[key])[0]) for key, label in STEP_PARTS[cell.kind]]


def _keras_layer(kind: str, weights: list[np.ndarray] | None, in_dim: int, units: int, seed: int):
    """A Keras layer of this cell with the library's default initialisers, or `weights`."""
    from core.tf import keras_module

    keras = keras_module()
    keras.utils.set_random_seed(seed)
    cls = getattr(keras.layers, CELL_NAMES[kind])
    layer = cls(units, return_sequences=True)
    layer.build((None, None, in_dim))
    if weights is not None:
        layer.set_weights(weights)
    return layer


def keras_states(kind: str, weights: list[np.ndarray], xs: np.ndarray) -> np.ndarray:
    """What Keras's own layer outputs for xs (time, in) with these weights: (time, units)."""
    units = weights[1].shape[0]
    layer = _keras_layer(kind, weights, xs.shape[1], units, 0)
    return np.asarray(layer(xs[None].astype(np.float32)))[0]


def keras_reference(kind: str, xs: np.ndarray, units: int, seed: int = 0) -> dict:
    """A freshly initialised Keras layer's weights and outputs, for the step-by-step view.

    Returns plain arrays (cacheable): {"weights": [kernel, recurrent, bias], "keras": (time, units)}.
    """
    layer = _keras_layer(kind, None, xs.shape[1], units, seed)
    weights = [np.asarray(w, np.float32) for w in layer.get_weights()]
    return {"weights": weights, "keras": np.asarray(layer(xs[None].astype(np.float32)))[0]}


def max_difference(kind: str, weights: list[np.ndarray], xs: np.ndarray, keras_out: np.ndarray) -> float:
    """Largest |numpy - Keras| over every step and unit."""
    cell = Cell(kind, *weights)
    return float(np.abs(cell.run(xs)["h"] - keras_out).max())


# --- 2. the hidden state of a trained model -----------------------------------
def _kind(layer) -> str | None:
    name = layer.__class__.__name__
    if name == "Bidirectional":
        return RECURRENT.get(layer.forward_layer.__class__.__name__)
    return RECURRENT.get(name)


def recurrent_owner(model):
    """The (possibly nested) model whose own layers include the recurrent ones, or None."""
    if any(_kind(layer) for layer in model.layers):
        return model
    for layer in model.layers:
        if hasattr(layer, "layers"):
            found = recurrent_owner(layer)
            if found is not None:
                return found
    return None


def _sequence_twin(layer):
    """A copy of a recurrent layer (or Bidirectional wrapper) that returns every step."""
    cls = layer.__class__
    cfg = layer.get_config()
    cfg["name"] = f"{layer.name}_every_step"
    if cls.__name__ == "Bidirectional":
        for key in ("layer", "backward_layer"):
            if cfg.get(key):
                cfg[key]["config"]["return_sequences"] = True
    else:
        cfg["return_sequences"] = True
    return cls.from_config(cfg)


def sequence_model(model):
    """A Keras model from the owner's inputs to, per recurrent layer, (its input, its states per step).

    Layers between two recurrent layers (layer normalisation) are applied as in
    the original. Returns (sub_model, recurrent layers).
    """
    from core.tf import keras_module

    keras = keras_module()
    owner = recurrent_owner(model)
    if owner is None:
        raise ValueError("this model has no recurrent layer (SimpleRNN, LSTM or GRU)")
    layers = list(owner.layers)
    rec = [i for i, layer in enumerate(layers) if _kind(layer)]
    x = layers[rec[0]].input  # (batch, time, features): whatever reaches the first recurrent layer
    if isinstance(x, list | tuple):  # [sequence, mask] when an embedding masks padding
        x = x[0]  # the mask travels with the tensor and is applied again
    outputs, twins = [], []
    for n, i in enumerate(rec):
        if n:
            for between in layers[rec[n - 1] + 1 : i]:
                x = between(x)
        twin = _sequence_twin(layers[i])
        seq = twin(x)  # (batch, time, units)
        twins.append((twin, layers[i]))
        outputs += [x, seq]
        x = seq
    for twin, original in twins:
        twin.set_weights(original.get_weights())
    return keras.Model(owner.inputs, outputs), [layers[i] for i in rec]


def load_run_model(task: str, run_dir: Path):
    """A stored run's model, through its task's own `load(run_dir)` when it has one.

    A task's `load` returns (model, ...) and registers what the model needs to
    load (a custom attention layer, say); other tasks' models load directly.
    """
    import importlib

    from core.execute import RUNNERS
    from core.tf import keras_module

    module = importlib.import_module(RUNNERS[task].split(":")[0]) if task in RUNNERS else None
    if module is not None and hasattr(module, "load"):
        try:
            return module.load(Path(run_dir))[0]
        except FileNotFoundError:
            pass  # a companion (scaler, vocabulary) is missing: the model alone is enough here
    return keras_module().saving.load_model(Path(run_dir) / "model.keras", safe_mode=True)


@dataclass
class LayerStates:
    name: str
    kind: str  # simple | lstm | gru
    bidirectional: bool
    h: np.ndarray  # (time, units) from Keras
    gates: dict[str, np.ndarray] = field(default_factory=dict)  # name -> (time, units), numpy
    numpy_difference: float = float("nan")  # largest |numpy h - Keras h| (forward direction)


def hidden_states(model, x, steps: int | None = None) -> list[LayerStates]:
    """Each recurrent layer's hidden states for one input (batch of one) as (time, units).

    `x` feeds the model that holds the recurrent layers (see `recurrent_owner`;
    a list for a model with several inputs);
    `steps` keeps only the first steps (e.g. the words of a padded review). For
    LSTM and GRU layers the gates come from the numpy cells on the same weights
    (the forward direction of a bidirectional layer), and the numpy hidden
    states are checked against Keras's.
    """
    sub, layers = sequence_model(model)
    outs = sub(x if isinstance(x, list) else [x], training=False)
    out = []
    for n, layer in enumerate(layers):
        inputs = np.asarray(outs[2 * n])[0][:steps]  # (time, features)
        h = np.asarray(outs[2 * n + 1])[0][:steps]  # (time, units)
        bidirectional = layer.__class__.__name__ == "Bidirectional"
        forward = layer.forward_layer if bidirectional else layer
        cell = cell_from_layer(forward)
        trace = cell.run(inputs)
        gates = {k: v for k, v in trace.items() if k in ("input", "forget", "output", "update", "reset")}
        diff = float(np.abs(trace["h"] - h[:, : cell.units]).max()) if len(h) else 0.0
        out.append(LayerStates(layer.name, cell.kind, bidirectional, h, gates, diff))
    return out


def unit_correlations(h: np.ndarray, feature: np.ndarray) -> np.ndarray:
    """Pearson correlation of each unit's activation (time, units) with a feature (time,); 0 if flat."""
    h = h - h.mean(axis=0)
    f = np.asarray(feature, np.float64) - np.mean(feature)
    denom = np.sqrt((h**2).sum(axis=0) * (f**2).sum())
    with np.errstate(invalid="ignore", divide="ignore"):
        r = (f @ h) / denom
    return np.nan_to_num(r)


def sort_units(h: np.ndarray, feature: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Unit order by how strongly they follow the feature (|correlation|, strongest first), and r."""
    r = unit_correlations(h, feature)
    return np.argsort(-np.abs(r), kind="stable"), r


# --- 4. what a stored run cost ---------------------------------------------------
def param_count(model_path: Path) -> int:
    """The model's weights (not the optimiser's) in a saved .keras file, read without TensorFlow."""
    import h5py

    total = 0
    with zipfile.ZipFile(model_path) as z, h5py.File(io.BytesIO(z.read("model.weights.h5")), "r") as f:

        def visit(_name, obj):
            nonlocal total
            if isinstance(obj, h5py.Dataset):
                total += int(np.prod(obj.shape))

        f["layers"].visititems(visit)
    return total


def seconds_per_epoch(epochs: list[dict]) -> float:
    """Median time per epoch from the cumulative `elapsed` of each epoch (first one included)."""
    times = [e["elapsed"] for e in epochs if "elapsed" in e]
    if not times:
        return float("nan")
    return float(np.median(np.diff([0.0, *times])))


def slow_gru_note(ratio: float) -> str:
    """Why a GRU can read slower per epoch than an LSTM in the comparison, and what it is not."""
    return (
        f"GRU took {ratio:.1f} times as long per epoch as LSTM here. That is the software, not the"
        " cell: on a CPU this app runs an LSTM (without padding to skip) as one fused kernel for the"
        " whole sequence, TensorFlow's BlockLSTM, while a GRU and a SimpleRNN go through a loop that"
        " pays a fixed cost at every time step; per step a GRU computes three gate blocks to an"
        " LSTM's four. On the 2-core machine (2026-12-01), long-memory task, 16 units: LSTM 0.19 s"
        " per epoch, GRU 0.37 s, SimpleRNN 0.22 s. A gap far above 2x means the machine was busy"
        " while one of the jobs trained: train again to check."
    )


def _compare_presets() -> dict:
    """Small, quick settings per task for the cell comparison (other tasks use their defaults)."""
    from core.tasks import TASKS

    return {t.name: t.compare_preset() for t in TASKS.values() if t.compare_preset}


def compare_configs(task: str, units: int, epochs: int, seed: int) -> dict:
    """{cell: config}: the task's settings with only the cell differing (same data, seed and size)."""
    from core.tasks import TASK_CONFIGS

    base = _compare_presets().get(task) or TASK_CONFIGS[task]()
    train = dataclasses.replace(base.train, epochs=epochs, seed=seed)
    return {
        cell: dataclasses.replace(
            base, arch=dataclasses.replace(base.arch, cell=cell, units=units), train=train
        )
        for cell in CELL_NAMES
    }
