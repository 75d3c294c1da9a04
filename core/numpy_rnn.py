"""A numpy copy of a trained token model, one step at a time, state carried.

Generation asks for one token at a time, thousands of times: `model.predict` per
step costs milliseconds of TensorFlow overhead (about 12 chars/s measured), a
numpy step on the same weights costs microseconds. `NumpyStack.from_keras`
reads an Embedding -> recurrent stack -> Dense(softmax) model built with
`core.models.recurrent_stack` and reproduces it exactly (same gate equations
and weight layouts as Keras 3), so the "Inside the RNN" page can also use the
per-gate values it returns.

Keras weight layouts (units u):
- SimpleRNN: kernel (in, u), recurrent (u, u), bias (u,)
- LSTM: kernel (in, 4u), recurrent (u, 4u), bias (4u,); gates i, f, c, o
- GRU (reset_after=True): kernel (in, 3u), recurrent (u, 3u), bias (2, 3u); gates z, r, h
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from core.config import CELL_NAMES


def sigmoid(x: np.ndarray) -> np.ndarray:
    return 0.5 * (np.tanh(0.5 * x) + 1.0)  # overflow-free and matches Keras to ~1e-7


@dataclass
class Cell:
    kind: str  # "simple" | "lstm" | "gru"
    kernel: np.ndarray
    recurrent: np.ndarray
    bias: np.ndarray

    @property
    def units(self) -> int:
        return self.recurrent.shape[0]

    def zero_state(self, batch: int = 1) -> tuple[np.ndarray, ...]:
        h = np.zeros((batch, self.units), np.float32)
        return (h, h.copy()) if self.kind == "lstm" else (h,)

    def step(
        self, x: np.ndarray, state: tuple[np.ndarray, ...], detail: bool = False
    ) -> tuple[np.ndarray, tuple, dict]:
        """x (batch, in) -> (h (batch, u), new state, gate values for inspection).

        With `detail`, the values also hold every intermediate product (what the
        "Inside the RNN" page draws step by step): the input and memory parts of
        each sum, before and after the squashing function.
        """
        u = self.units
        xk = x @ self.kernel  # (batch, u | 4u | 3u) the input's contribution
        if self.kind == "simple":
            hr = state[0] @ self.recurrent  # (batch, u) the memory's contribution
            total = xk + self.bias + hr  # Keras's order of additions: rounding matches more closely
            h = np.tanh(total)
            parts = {"input_part": xk, "memory_part": hr, "bias": self.bias[None], "sum": total}
            return h, (h,), parts if detail else {}
        if self.kind == "lstm":
            h_prev, c_prev = state
            z = xk + h_prev @ self.recurrent + self.bias  # (batch, 4u)
            i, f = sigmoid(z[:, :u]), sigmoid(z[:, u : 2 * u])
            g, o = np.tanh(z[:, 2 * u : 3 * u]), sigmoid(z[:, 3 * u :])
            kept, added = f * c_prev, i * g
            c = kept + added
            h = o * np.tanh(c)
            gates = {"input": i, "forget": f, "output": o, "candidate": g, "cell": c}
            if detail:
                gates.update({"kept": kept, "added": added, "squashed_cell": np.tanh(c)})
            return h, (h, c), gates
        h_prev = state[0]
        xz = xk + self.bias[0]  # (batch, 3u)
        hz = h_prev @ self.recurrent + self.bias[1]  # (batch, 3u)
        zg = sigmoid(xz[:, :u] + hz[:, :u])
        r = sigmoid(xz[:, u : 2 * u] + hz[:, u : 2 * u])
        hh = np.tanh(xz[:, 2 * u :] + r * hz[:, 2 * u :])
        kept, added = zg * h_prev, (1.0 - zg) * hh
        h = kept + added
        gates = {"update": zg, "reset": r, "candidate": hh}
        if detail:
            gates.update({"kept": kept, "added": added})
        return h, (h,), gates

    def run(self, xs: np.ndarray) -> dict[str, np.ndarray]:
        """A whole sequence xs (time, in) from a zero state -> {"h": (time, u), gate: (time, u), ...}."""
        state = self.zero_state()
        trace: dict[str, list] = {}
        for x in xs:
            h, state, gates = self.step(x[None].astype(np.float32), state)
            for key, value in {"h": h, **gates}.items():
                trace.setdefault(key, []).append(value[0])
        return {key: np.array(values) for key, values in trace.items()}


@dataclass
class LayerNorm:
    gamma: np.ndarray
    beta: np.ndarray
    epsilon: float

    def __call__(self, x: np.ndarray) -> np.ndarray:
        mean = x.mean(axis=-1, keepdims=True)
        var = x.var(axis=-1, keepdims=True)
        return (x - mean) / np.sqrt(var + self.epsilon) * self.gamma + self.beta


def cell_from_layer(layer) -> Cell:
    """A numpy Cell from a Keras SimpleRNN, LSTM or GRU layer."""
    name = layer.__class__.__name__
    kind = next((cell for cell, cls in CELL_NAMES.items() if cls == name), None)
    if kind is None:
        raise ValueError(f"cannot step a {name} layer in numpy")
    if kind == "gru" and not layer.cell.reset_after:
        raise ValueError("only GRU(reset_after=True), the Keras default, is supported")
    kernel, recurrent, bias = (np.asarray(w, np.float32) for w in layer.get_weights())
    return Cell(kind, kernel, recurrent, bias)


STACK_FORMAT = 1  # the version `NumpyStack.save` writes


def _kind(layer) -> str:
    return layer.kind if isinstance(layer, Cell) else "norm"


def _read_layers(z, prefix: str, epsilon) -> list:
    """The layers of a saved stack: arrays named f"{prefix}{i}_kernel" etc., `epsilon(i, kind)` a norm's."""
    layers = []
    for i, kind in enumerate(z["kinds"].tolist()):
        key = f"{prefix}{i}_"
        if kind.startswith("norm"):
            layers.append(LayerNorm(z[key + "gamma"], z[key + "beta"], epsilon(i, kind)))
        else:
            layers.append(Cell(kind, z[key + "kernel"], z[key + "recurrent"], z[key + "bias"]))
    return layers


class NumpyStack:
    """Embedding -> cells (with optional LayerNorm between) -> Dense softmax, in numpy."""

    def __init__(self, embedding: np.ndarray, layers: list, head_w: np.ndarray, head_b: np.ndarray):
        self.embedding = embedding  # (vocab, dim)
        self.layers = layers  # Cell or LayerNorm, in order
        self.head_w, self.head_b = head_w, head_b  # (units, vocab), (vocab,)

    @classmethod
    def from_keras(cls, model) -> NumpyStack:
        embedding, layers, head = None, [], None
        for layer in model.layers:
            kind = layer.__class__.__name__
            if kind == "Embedding":
                embedding = np.asarray(layer.get_weights()[0], np.float32)
            elif kind in CELL_NAMES.values():
                layers.append(cell_from_layer(layer))
            elif kind == "Bidirectional":
                raise ValueError("a bidirectional model reads the future, so it cannot generate step by step")
            elif kind == "LayerNormalization":
                gamma, beta = (np.asarray(w, np.float32) for w in layer.get_weights())
                layers.append(LayerNorm(gamma, beta, layer.epsilon))
            elif kind == "Dense":
                head = [np.asarray(w, np.float32) for w in layer.get_weights()]
        if embedding is None or head is None or not any(isinstance(x, Cell) for x in layers):
            raise ValueError("expected an Embedding, recurrent layers and a Dense head")
        return cls(embedding, layers, head[0], head[1])

    def save(self, path) -> None:
        """The weights as one .npz beside model.keras, so a page generates without loading TensorFlow.

        Every run of every task writes this one format; `load` also reads the two written before it.
        """
        arrays = {"format": np.array(STACK_FORMAT), "kinds": np.array([_kind(x) for x in self.layers])}
        arrays.update({"embedding": self.embedding, "head_w": self.head_w, "head_b": self.head_b})
        for i, layer in enumerate(self.layers):
            if isinstance(layer, Cell):
                arrays.update({f"l{i}_kernel": layer.kernel, f"l{i}_recurrent": layer.recurrent})
                arrays[f"l{i}_bias"] = layer.bias
            else:
                arrays.update({f"l{i}_gamma": layer.gamma, f"l{i}_beta": layer.beta})
                arrays[f"l{i}_epsilon"] = np.array(layer.epsilon)
        np.savez(path, **arrays)

    @classmethod
    def load(cls, path) -> NumpyStack:
        """A stack written by `save`, or by either writer before it (runs saved before December 2026):
        Shakespeare's (keys "l0_kernel", a norm layer's epsilon in its kind, "norm:0.001") and
        Music's (keys "0_kernel", the epsilon in "0_epsilon")."""
        with np.load(path, allow_pickle=False) as z:
            if "format" in z.files:
                layers = _read_layers(z, "l", lambda i, kind: float(z[f"l{i}_epsilon"]))
            elif "l0_kernel" in z.files or "l0_gamma" in z.files:  # Shakespeare's old format
                layers = _read_layers(z, "l", lambda i, kind: float(kind.partition(":")[2]))
            else:  # Music's old format
                layers = _read_layers(z, "", lambda i, kind: float(z[f"{i}_epsilon"]))
            return cls(z["embedding"], layers, z["head_w"], z["head_b"])

    def zero_state(self, batch: int = 1) -> list[tuple]:
        return [layer.zero_state(batch) for layer in self.layers if isinstance(layer, Cell)]

    def step(self, tokens: np.ndarray, state: list[tuple], record: bool = False):
        """tokens (batch,) ints -> (probabilities (batch, vocab), new state, per-layer trace).

        The trace (only when `record`) holds each recurrent layer's hidden state and gates.
        """
        logits, new_state, trace = self.logits(tokens, state, record)
        logits = logits - logits.max(axis=-1, keepdims=True)
        p = np.exp(logits)
        return p / p.sum(axis=-1, keepdims=True), new_state, trace

    def logits(self, tokens: np.ndarray, state: list[tuple], record: bool = False):
        """`step` before the softmax: (logits (batch, vocab), new state, per-layer trace)."""
        x = self.embedding[tokens]  # (batch, dim)
        new_state, trace, i = [], [], 0
        for layer in self.layers:
            if isinstance(layer, LayerNorm):
                x = layer(x)
                continue
            x, s, gates = layer.step(x, state[i])
            new_state.append(s)
            if record:
                trace.append({"h": x, **gates})
            i += 1
        return x @ self.head_w + self.head_b, new_state, trace  # logits (batch, vocab)

    def run(self, tokens: list[int], state: list[tuple] | None = None):
        """Feed a whole prompt; returns (probabilities after each token (T, vocab), final state)."""
        state = state or self.zero_state()
        out = []
        for t in tokens:
            p, state, _ = self.step(np.array([t]), state)
            out.append(p[0])
        return np.array(out), state


def sample(probs: np.ndarray, rng: np.random.Generator, temperature: float = 1.0, top_k: int = 0) -> int:
    """Draw one token: temperature < 1 sharpens, > 1 flattens; top_k keeps the k likeliest; 0 = greedy."""
    if temperature <= 0:
        return int(np.argmax(probs))
    logp = np.log(np.maximum(probs, 1e-12)) / temperature
    if 0 < top_k < len(probs):
        cutoff = np.partition(logp, -top_k)[-top_k]
        logp = np.where(logp >= cutoff, logp, -np.inf)
    p = np.exp(logp - logp.max())
    p /= p.sum()
    return int(rng.choice(len(p), p=p))
