"""One sequence, one token at a time, in numpy: the loop that writes text.

`NumpyStack.step` (core.numpy_rnn) works on batches and names every gate, which is what
the "Inside the RNN" page needs; generation needs speed: thousands of steps of a few dozen
microseconds each, where every NumPy call costs about one microsecond. `OneByOne` runs the
same weights and equations on 1-D float32 vectors with every buffer made once:

- the first layer's input product is a row of a table made once (embedding @ kernel +
  bias, one row per token);
- each layer's new hidden state is multiplied once, by one matrix that holds the layer's
  recurrent weights (for its next step), the next layer's input weights (or the output
  head) and, in a last row that a constant 1 at the end of the state vector meets, every
  bias: one vector-matrix product per layer and character, the head's included;
- the sigmoid gates' columns are halved, so that tanh(z / 2), from one tanh over all the
  gates, gives 2 * sigmoid(z) = 1 + tanh(z / 2) after one addition (the LSTM's columns are
  reordered to input, forget, output, candidate for this, and halving is exact in binary);
- the step hands back logits: the writer draws from them without an exponential (Gumbel-max,
  core.textsample) and turns all of a text's logits into probabilities at once at the end.

A stack with a LayerNorm between layers (its own order of operations) takes the batched
step (`NumpyStack.logits`) one row at a time. Both give the batched step's distributions to
1e-6 (tests/core/test_fast_rnn.py).
"""

from __future__ import annotations

import numpy as np

from core.numpy_rnn import Cell, LayerNorm, NumpyStack


def _fused(cell: Cell) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(kernel, its bias, recurrent, its bias) with the columns in fused order and scale."""
    u = cell.units
    half, one = np.full(u, 0.5, np.float32), np.ones(u, np.float32)
    if cell.kind == "gru":  # z, r halved both sides; the candidate's recurrent part halved (times 2r)
        x_scale, h_scale = np.r_[half, half, one], np.r_[half, half, half]
        return cell.kernel * x_scale, cell.bias[0] * x_scale, cell.recurrent * h_scale, cell.bias[1] * h_scale
    if cell.kind == "lstm":  # Keras: i, f, c, o -> i, f, o, c; the three gates halved
        order = np.r_[np.arange(2 * u), np.arange(3 * u, 4 * u), np.arange(2 * u, 3 * u)]
        scale = np.r_[half, half, half, one]
        kernel, recurrent = cell.kernel[:, order] * scale, cell.recurrent[:, order] * scale
        return kernel, cell.bias[order] * scale, recurrent, np.zeros(4 * u, np.float32)
    return cell.kernel, cell.bias, cell.recurrent, np.zeros(u, np.float32)


class OneByOne:
    """A NumpyStack for one sequence: `step(token)` -> the distribution over the next token."""

    def __init__(self, stack: NumpyStack, state: list[tuple]):
        self.stack = stack
        self.fused = not any(isinstance(layer, LayerNorm) for layer in stack.layers)
        if self.fused:
            self._build()
        self.set_state(state)

    # --- the fused layout ----------------------------------------------------------------
    def _build(self) -> None:
        self.cells = [c for c in self.stack.layers if isinstance(c, Cell)]
        parts = [_fused(c) for c in self.cells]
        self.mats = []
        for i, (_, _, recurrent, rec_bias) in enumerate(parts):
            # this layer's state times: its own recurrent weights, the next layer's input weights
            # (or the head); the last row (times the constant 1) adds both biases
            nxt_w, nxt_b = parts[i + 1][:2] if i + 1 < len(parts) else (self.stack.head_w, self.stack.head_b)
            top = np.concatenate([recurrent, nxt_w], axis=1)
            bottom = np.concatenate([rec_bias, nxt_b])[None]
            self.mats.append(np.ascontiguousarray(np.vstack([top, bottom]), np.float32))
        kernel, bias = parts[0][:2]
        self.table = np.ascontiguousarray(self.stack.embedding @ kernel + bias, np.float32)
        self.outs = [np.empty(m.shape[1], np.float32) for m in self.mats]
        self.splits = [recurrent.shape[1] for _, _, recurrent, _ in parts]  # gate columns per layer
        self.tmp = [np.empty(c.units, np.float32) for c in self.cells]

    def set_state(self, state: list[tuple]) -> None:
        if not self.fused:  # the batched layout, (1, u) arrays
            self.h = [tuple(np.array(part, np.float32).reshape(1, -1) for part in s) for s in state]
            return
        self.h = [tuple(np.array(part[0], np.float32) for part in s) for s in state]
        vectors = []
        for (h, *rest), out, m in zip(self.h, self.outs, self.mats, strict=True):
            v = np.append(h, np.float32(1.0))  # the constant 1 that meets the bias row
            np.matmul(v, m, out=out)  # this layer's recurrent product for the next token
            vectors.append((v, *rest))
        self.h = vectors

    def state(self) -> list[tuple]:
        """The state in the batched layout ((1, u) arrays), as `NumpyStack.step` takes it."""
        if not self.fused:
            return [tuple(part.copy() for part in s) for s in self.h]
        return [(s[0][None, :-1].copy(), *(part[None].copy() for part in s[1:])) for s in self.h]

    def step(self, token: int) -> np.ndarray:
        """The distribution over the next token (vocab,) after reading `token`."""
        logits = np.empty(self.stack.head_b.shape[0], np.float32)
        self.step_into(token, logits)
        p = np.exp(logits - logits.max())
        return p / p.sum()

    def step_into(self, token: int, logits: np.ndarray) -> None:
        """Read `token`; write the next token's logits (vocab,) into `logits`."""
        if not self.fused:
            logits[:] = self._plain(token)
            return
        x = self.table[token]
        for i, cell in enumerate(self.cells):
            out, split = self.outs[i], self.splits[i]
            self._update(cell, i, x, out[:split])
            np.dot(self.h[i][0], self.mats[i], out=out)
            x = out[split:]  # the next layer's input part, or the logits
        logits[:] = x

    def _update(self, cell: Cell, i: int, x: np.ndarray, hz: np.ndarray) -> None:
        """The new state of layer i, in place, from its input part x and recurrent part hz."""
        u, h, d = cell.units, self.h[i][0][:-1], self.tmp[i]
        if cell.kind == "gru":
            zr, n = hz[: 2 * u], hz[2 * u :]
            np.add(zr, x[: 2 * u], out=zr)
            np.tanh(zr, out=zr)
            zr += 1.0  # (2z, 2r)
            n *= zr[u:]  # (h U_h + b_h) r, its half times 2r
            n += x[2 * u :]
            np.tanh(n, out=n)  # the candidate
            np.subtract(h, n, out=d)  # h' = z h + (1 - z) n = n + z (h - n)
            d *= zr[:u]
            d *= 0.5
            np.add(n, d, out=h)
        elif cell.kind == "lstm":
            c = self.h[i][1]
            np.add(hz, x, out=hz)
            np.tanh(hz, out=hz)
            s = hz[: 3 * u]
            s += 1.0  # 2 * (input, forget, output)
            c *= s[u : 2 * u]  # 2 f c
            np.multiply(s[:u], hz[3 * u :], out=d)  # 2 i g
            c += d
            c *= 0.5  # c' = f c + i g
            np.tanh(c, out=d)
            np.multiply(d, s[2 * u : 3 * u], out=h)
            h *= 0.5  # h' = o tanh(c')
        else:
            np.add(hz, x, out=hz)
            np.tanh(hz, out=h)

    # --- a LayerNorm between layers: the batched step, one row ----------------------------
    def _plain(self, token: int) -> np.ndarray:
        logits, self.h, _ = self.stack.logits(np.array([token]), self.h)
        return logits[0]  # (vocab,)
