"""How a stored run's model reads a person's input, for the hidden-state view.

The hidden-state view (`core.inspect.hidden_states`) works for any model with
recurrent layers; what differs per task is how a person's input becomes model
input and what to write along the time axis. That is an `InputAdapter`,
registered per task in `ADAPTERS`:

- `prepare(run_dir, config, model, value) -> ModelInput`: `value` is what the
  person typed (text) or chose (an index, as a string, when `choices` is set).
  `ModelInput.x` is a batch of one for the model that holds the recurrent
  layers (for a string-input model that is the inner model reading word ids),
  `labels` one short string per time step (a character, a word, a note, a
  date), `features` simple per-step signals to sort units by (inside quotes, a
  vowel, a sentiment word...), `steps` how many steps are real (padding after).
- `default(run_dir, config) -> str`: the value shown first.
- `choices(run_dir, config) -> int` (optional): the input is a pick among that many
  (a slider), e.g. which test window of a forecasting run.

`config` is the run's config as a plain dict. Raise `DataError` with a sentence
for input the model cannot read. To plug in a task (music, say): write the two
functions, make an `InputAdapter` of them here and name it in the task's record
(`adapter="core.inspect_inputs:MUSIC"` in core/tasks.py). A task without an
adapter uses `SEQUENCE`: token ids (or, for a model reading one number per step,
numbers) typed separated by spaces.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from core.datasets import DataError
from core.tasks import TASKS

MAX_STEPS = 400


@dataclass
class ModelInput:
    x: Any  # (1, time, ...) for the model holding the recurrent layers (a list if it has several inputs)
    labels: list[str]  # (time,)
    features: dict[str, np.ndarray] = field(default_factory=dict)  # name -> (time,)
    steps: int | None = None  # real steps (the rest is padding)
    note: str = ""


@dataclass(frozen=True)
class InputAdapter:
    label: str  # what the input control asks for
    help: str
    default: Callable[[Path, dict], str]
    prepare: Callable[[Path, dict, Any, str], ModelInput]
    choices: Callable[[Path, dict], int] | None = None


def _position(n: int) -> np.ndarray:
    return np.linspace(0.0, 1.0, n) if n > 1 else np.zeros(n)


# --- generic: token ids or numbers ---------------------------------------------------
def _model_input(model):
    from core.inspect import recurrent_owner

    owner = recurrent_owner(model) or model
    return owner.inputs[0]


def _sequence_prepare(run_dir: Path, config: dict, model, value: str) -> ModelInput:
    parts = [p for p in re.split(r"[\s,;]+", value.strip()) if p]
    if not parts:
        raise DataError("Type at least one value, separated by spaces.")
    if len(parts) > MAX_STEPS:
        raise DataError(f"Type at most {MAX_STEPS} values.")
    inp = _model_input(model)
    shape, dtype = tuple(inp.shape), str(inp.dtype)
    fixed = shape[1] if len(shape) > 1 else None
    if fixed is not None and len(parts) != fixed:
        raise DataError(f"This model reads sequences of exactly {fixed} steps; you typed {len(parts)}.")
    try:
        if "int" in dtype:
            ids = np.array([[int(p) for p in parts]], dtype)  # (1, time)
            return ModelInput(
                ids, parts, {"position": _position(len(parts)), "token id": ids[0].astype(float)}
            )
        numbers = np.array([float(p) for p in parts], np.float32)
    except ValueError as exc:
        raise DataError(
            f"This model reads {'whole numbers (token ids)' if 'int' in dtype else 'numbers'}: {exc}."
        ) from exc
    if len(shape) != 3 or shape[2] != 1:
        raise DataError(f"This model reads {shape[-1]} numbers per step; it needs its own input adapter.")
    return ModelInput(numbers[None, :, None], parts, {"position": _position(len(parts)), "value": numbers})


SEQUENCE = InputAdapter(
    "Input sequence (values separated by spaces)",
    "Token ids (whole numbers) or, for a model that reads one number per step, numbers.",
    lambda run_dir, config: "1 2 3 4 5 6 7 8",
    _sequence_prepare,
)


# --- text: characters through the run's saved vocabulary ---------------------------
VOWELS = set("aeiouAEIOU")


def char_features(text: str) -> dict[str, np.ndarray]:
    """Per-character signals in the spirit of Karpathy's interpretable char-rnn cells.

    "inside quotes" only when the text has double quotes (Tiny Shakespeare has none);
    "in a speaker's name" marks lines that end with ':' (ROMEO:), as Shakespeare's do.
    """
    quotes, inside, line_pos, col = [], False, [], 0
    for ch in text:
        if ch == '"':
            inside = not inside
        quotes.append(float(inside or ch == '"'))
        line_pos.append(float(col))
        col = 0 if ch == "\n" else col + 1
    names = []
    for line in text.split("\n"):
        names += [float(line.rstrip().endswith(":") and bool(line.strip()))] * len(line) + [0.0]
    feats = {
        "position in the line": np.array(line_pos),
        "in a speaker's name": np.array(names[: len(text)]),
        "a vowel": np.array([float(c in VOWELS) for c in text]),
        "an upper-case letter": np.array([float(c.isupper()) for c in text]),
        "a space or punctuation": np.array([float(not c.isalnum()) for c in text]),
    }
    if '"' in text:
        feats = {"inside quotes": np.array(quotes), **feats}
    return feats


def _text_default(run_dir: Path, config: dict) -> str:
    return (
        "ROMEO:\nBut soft, what light through yonder window breaks?\nIt is the east, and Juliet is the sun.\n\n"
        "JULIET:\nO Romeo, Romeo! wherefore art thou Romeo?"
    )


def _text_prepare(run_dir: Path, config: dict, model, value: str) -> ModelInput:
    path = Path(run_dir) / "vocab.json"
    if not path.is_file():
        return SEQUENCE.prepare(run_dir, config, model, value)
    chars = json.loads(path.read_text())
    if not value:
        raise DataError("Type some text for the model to read.")
    if len(value) > MAX_STEPS:
        raise DataError(f"Type at most {MAX_STEPS} characters.")
    index = {c: i + 1 for i, c in enumerate(chars)}  # 0 means "unknown" (textgen.Vocab)
    ids = np.array([[index.get(c, 0) for c in value]], np.int32)  # (1, time)
    unseen = sorted({c for c in value if c not in index})
    note = f"Not in the model's alphabet, read as 'unknown': {' '.join(map(repr, unseen))}." if unseen else ""
    return ModelInput(ids, list(value), char_features(value), note=note)


TEXT = InputAdapter(
    "Text for the model to read",
    "Each character is one time step. New lines, speakers' names, capitals and quotes give units something to track.",
    _text_default,
    _text_prepare,
)


# --- sentiment (any model that reads raw strings through TextVectorization) ---------
POSITIVE = frozenset(
    {
        "good",
        "great",
        "excellent",
        "wonderful",
        "best",
        "love",
        "loved",
        "enjoyable",
        "funny",
        "beautiful",
        "brilliant",
        "fun",
    }
)
NEGATIVE = frozenset(
    {
        "bad",
        "worst",
        "awful",
        "boring",
        "dull",
        "terrible",
        "poor",
        "waste",
        "stupid",
        "mess",
        "hate",
        "fails",
    }
)


def _vectorizer(model):
    for layer in model.layers:
        if layer.__class__.__name__ == "TextVectorization":
            return layer
        if hasattr(layer, "layers"):
            found = _vectorizer(layer)
            if found is not None:
                return found
    return None


def _words_prepare(run_dir: Path, config: dict, model, value: str) -> ModelInput:
    vec = _vectorizer(model)
    if vec is None:
        return SEQUENCE.prepare(run_dir, config, model, value)
    if not value.strip():
        raise DataError("Type a sentence for the model to read.")
    ids = np.asarray(vec(np.array([value])))  # (1, max_len) word ids, 0 = padding, 1 = unknown
    n = int(np.flatnonzero(ids[0]).max() + 1) if ids[0].any() else 0
    if n == 0:
        raise DataError("None of these words could be read: type a sentence in English.")
    vocab = vec.get_vocabulary()
    words = [str(vocab[i]) if i > 1 else "[unknown]" for i in ids[0, :n]]
    feats = {
        "a positive word": np.array([float(w in POSITIVE) for w in words]),
        "a negative word": np.array([float(w in NEGATIVE) for w in words]),
        "an unknown word": np.array([float(w == "[unknown]") for w in words]),
        "position in the review": _position(n),
    }
    return ModelInput(ids.astype(_model_input(model).dtype), words, feats, steps=n)


WORDS = InputAdapter(
    "A review for the model to read",
    "Each word is one time step; words the model never saw in training are read as 'unknown'.",
    lambda run_dir, config: "The acting was wonderful, but the plot was dull and far too long.",
    _words_prepare,
)


# --- forecasting: a window from the run's own test split ----------------------------
def _forecast_prepared(config: dict):
    from core.config import ForecastConfig, from_dict
    from core.forecasting import prepare

    return prepare(from_dict(ForecastConfig, config))


def _forecast_choices(run_dir: Path, config: dict) -> int:
    return int(_forecast_prepared(config).masks[2].sum())


def _forecast_prepare(run_dir: Path, config: dict, model, value: str) -> ModelInput:
    p = _forecast_prepared(config)
    test = np.flatnonzero(p.masks[2])
    i = min(max(int(value or 0), 0), len(test) - 1)
    t0 = int(p.t0[test[i]])
    x = p.x[test[i]][None].astype(np.float32)  # (1, lookback, features), scaled as in training
    rows = range(t0 - x.shape[1], t0)
    labels = [str(p.series.dates[r]) if p.series.dates else str(r) for r in rows]
    target = x[0, :, 0]
    feats = {
        f"{p.series.columns[0]} (scaled)": target,
        "rise since the previous step": np.diff(target, prepend=target[0]),
        "position in the window": _position(len(target)),
    }
    for j, name in enumerate(p.series.columns[1:], start=1):
        feats[f"{name} (scaled)"] = x[0, :, j]
    when = p.series.dates[t0] if p.series.dates else f"step {t0}"
    return ModelInput(
        x, labels, feats, note=f"Test window {i + 1} of {len(test)}: the model forecasts from {when} on."
    )


FORECAST = InputAdapter(
    "Test window",
    "Which window of the run's test split (never trained on) the model reads: one step per past value.",
    lambda run_dir, config: "0",
    _forecast_prepare,
    _forecast_choices,
)


# --- the long-memory toy task ------------------------------------------------------
def _memory_prepare(run_dir: Path, config: dict, model, value: str) -> ModelInput:
    length = int(config.get("length", 50))
    mark = min(max(int(value or 0), 0), length - 1)
    numbers = np.random.default_rng(0).normal(size=length).astype(np.float32)
    x = np.zeros((1, length, 2), np.float32)  # (1, time, [number, mark])
    x[0, :, 0], x[0, mark, 1] = numbers, 1.0
    labels = [("★" if t == mark else "") + f"{v:+.1f}" for t, v in enumerate(numbers)]
    remembered = np.where(np.arange(length) >= mark, np.sign(numbers[mark]), 0.0)
    feats = {
        "sign of the marked number (from the mark on)": remembered,
        "the number at this step": numbers,
        "steps since the mark": np.maximum(np.arange(length) - mark, 0).astype(float),
    }
    sign = "positive" if numbers[mark] > 0 else "negative"
    return ModelInput(x, labels, feats, note=f"The marked number (★, step {mark + 1}) is {sign}.")


MEMORY = InputAdapter(
    "Marked step",
    "Where the number to remember sits; the other numbers are the same random ones every time.",
    lambda run_dir, config: "2",
    _memory_prepare,
    lambda run_dir, config: int(config.get("length", 50)),
)

# task -> its adapter, named in its record in core.tasks
ADAPTERS: dict[str, InputAdapter] = {
    t.name: globals()[t.adapter.split(":")[1]] for t in TASKS.values() if t.adapter
}


def adapter_for(task: str) -> InputAdapter:
    return ADAPTERS.get(task, SEQUENCE)
