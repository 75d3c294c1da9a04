"""Keras's SimpleRNN, LSTM and GRU with the fast CPU loop of `core.fast_rnn`.

Each class subclasses the Keras layer of the same name and changes only `inner_loop`, the
part that walks the time steps: weights, configuration, initialisers, `Bidirectional`
wrapping, dropout on the inputs (one mask per sequence, as Keras), masking, `go_backwards`
and the returned states are Keras's own. The class names are the Keras names (GRU, LSTM,
SimpleRNN), so code that asks a layer for its class name (the numpy copies, Inside the
RNN) reads a saved model as before; they are registered as "rnn_studio>GRU" etc., and
`core.tf.keras_module` registers them before any model is loaded.

An LSTM without a mask, outside XLA, runs as TensorFlow's fused BlockLSTM kernel instead of
the loop (`fast_rnn.lstm_fused`): one operation for the sequence and one for its gradient.

Keras's own loop runs instead where this one does not apply: recurrent dropout, other
activations, a GRU without reset_after, mixed precision, or a GPU (where Keras uses cuDNN).
`RNN_STUDIO_FAST_RNN=0` turns the fast loop (and with it XLA) off everywhere, for measuring it.

XLA (`jit_compile`) fuses the loop's small gate operations into a few kernels per step: with
the hoisted loop it halved the default text model's step on 2 cores; on Keras's own loop it
made it slower, so it is only switched on for models whose recurrent layers all take the
fast loop (`wants_xla`). Compiling costs a few seconds per input shape, which a short fit
does not earn back. What XLA saves is about 0.1 ms per time step per recurrent layer in each
training step (measured on 2 cores: LSTM 32 over 14 steps, GRU 128 over 64, a bidirectional
GRU 16 over 40), against about 3 s of compiling per shape, so it is on when the fit plans at
least XLA_MIN_WORK steps x time steps x layers (the default text and music models; not the
default forecast or sentiment fits, which are over in seconds). `RNN_STUDIO_XLA=0|1`
overrides the choice.
"""

from __future__ import annotations

import functools
import os

XLA_MIN_WORK = 50_000  # planned training steps x time steps x recurrent layers


def enabled() -> bool:
    return os.environ.get("RNN_STUDIO_FAST_RNN", "1") != "0"


@functools.cache
def _has_gpu() -> bool:
    import tensorflow as tf

    return bool(tf.config.list_logical_devices("GPU"))


def _applies(layer) -> bool:
    cell = layer.cell
    ok = (
        enabled()
        and not layer.recurrent_dropout
        and cell.use_bias
        and getattr(cell.activation, "__name__", "") == "tanh"
        and layer.compute_dtype == "float32"
        and not _has_gpu()
    )
    if hasattr(cell, "recurrent_activation"):
        ok = ok and getattr(cell.recurrent_activation, "__name__", "") == "sigmoid"
    if hasattr(cell, "reset_after"):
        ok = ok and cell.reset_after
    return ok


def _prepare(layer, sequences, mask, training):
    """(inputs (time, batch, in), mask (time, batch, 1) float or None) as the loop reads them."""
    import tensorflow as tf

    if training and layer.dropout:
        dp_mask = layer.cell.get_dropout_mask(sequences[:, 0, :])  # (batch, in): one per sequence
        sequences = sequences * dp_mask[:, None, :]
    if isinstance(mask, list | tuple):
        mask = mask[0]
    if layer.go_backwards:
        sequences = tf.reverse(sequences, [1])
        mask = None if mask is None else tf.reverse(mask, [1])
    xt = tf.transpose(sequences, [1, 0, 2])  # (time, batch, in)
    mt = None if mask is None else tf.cast(tf.transpose(mask), xt.dtype)[:, :, None]
    return xt, mt


def _weights(cell):
    import tensorflow as tf

    return [tf.convert_to_tensor(w) for w in (cell.kernel, cell.recurrent_kernel, cell.bias)]


def _finish(outputs_t):
    import tensorflow as tf

    outputs = tf.transpose(outputs_t, [1, 0, 2])  # (batch, time, units)
    return outputs[:, -1], outputs


def _state(initial_state, i=0):
    return initial_state[i] if isinstance(initial_state, list | tuple) else initial_state


@functools.cache
def fast_layers() -> dict:
    """{"simple": SimpleRNN, "lstm": LSTM, "gru": GRU}: the fast subclasses, registered once."""
    import keras  # after core.tf.keras_module() (which calls this), so its thread settings hold

    from core import fast_rnn

    register = functools.partial(keras.saving.register_keras_serializable, package="rnn_studio")

    @register(name="GRU")
    class GRU(keras.layers.GRU):
        def inner_loop(self, sequences, initial_state, mask, training=False):
            if not _applies(self):
                return super().inner_loop(sequences, initial_state, mask, training=training)
            xt, mt = _prepare(self, sequences, mask, training)
            out, h = fast_rnn.gru_time_major(
                xt, _state(initial_state), *_weights(self.cell), mt, self.zero_output_for_mask
            )
            return (*_finish(out), [h])

    @register(name="LSTM")
    class LSTM(keras.layers.LSTM):
        def inner_loop(self, sequences, initial_state, mask, training=False):
            if not _applies(self):
                return super().inner_loop(sequences, initial_state, mask, training=training)
            xt, mt = _prepare(self, sequences, mask, training)
            h0, c0 = _state(initial_state, 0), _state(initial_state, 1)
            if mt is None and not fast_rnn.tracing_for_xla():
                out, h, c = fast_rnn.lstm_fused(xt, h0, c0, *_weights(self.cell))
            else:
                out, h, c = fast_rnn.lstm_time_major(
                    xt, h0, c0, *_weights(self.cell), mt, self.zero_output_for_mask
                )
            return (*_finish(out), [h, c])

    @register(name="SimpleRNN")
    class SimpleRNN(keras.layers.SimpleRNN):
        def inner_loop(self, sequences, initial_state, mask, training=False):
            if not _applies(self):
                return super().inner_loop(sequences, initial_state, mask, training=training)
            xt, mt = _prepare(self, sequences, mask, training)
            out, h = fast_rnn.simple_time_major(
                xt, _state(initial_state), *_weights(self.cell), mt, self.zero_output_for_mask
            )
            return (*_finish(out), [h])

    return {"simple": SimpleRNN, "lstm": LSTM, "gru": GRU}


def _recurrent(model):
    for layer in model._flatten_layers(include_self=False):
        inner = getattr(layer, "forward_layer", None)
        if inner is not None:
            yield from (inner, layer.backward_layer)
        elif hasattr(layer, "cell"):
            yield layer


def wants_xla(model, planned_steps: int, timesteps: int) -> bool:
    """Compile the training step with XLA: every recurrent layer takes the fast loop, and the
    fit is long enough to earn back the compilation (or RNN_STUDIO_XLA says so)."""
    forced = os.environ.get("RNN_STUDIO_XLA", "")
    layers = list(_recurrent(model))
    fast = fast_layers()
    ours = bool(layers) and all(type(x) in fast.values() and _applies(x) for x in layers)
    if forced in ("0", "1"):
        return forced == "1" and ours
    return ours and planned_steps * timesteps * len(layers) >= XLA_MIN_WORK
