"""The one recurrent-stack builder every task uses.

Tasks add their own input (embedding, raw windows) and output heads around
`recurrent_stack`; the stack itself (cell type, depth, bidirectionality,
regularisation) is the same code everywhere, so a setting means the same thing
on every page.
"""

from __future__ import annotations

from core.config import ArchitectureConfig
from core.tf import keras_module


def recurrent_layer(arch: ArchitectureConfig, return_sequences: bool, name: str):
    """One recurrent layer (wrapped in Bidirectional if asked) with the house initialisers."""
    keras = keras_module()
    cls = {
        "simple": keras.layers.SimpleRNN,
        "lstm": keras.layers.LSTM,
        "gru": keras.layers.GRU,
    }[arch.cell]
    reg = keras.regularizers.L2(arch.l2) if arch.l2 > 0 else None
    layer = cls(
        arch.units,
        return_sequences=return_sequences,
        dropout=arch.dropout,
        recurrent_dropout=arch.recurrent_dropout,
        # Glorot keeps input projections at unit variance; an orthogonal recurrent
        # matrix neither shrinks nor grows the state, which delays vanishing gradients.
        kernel_initializer="glorot_uniform",
        recurrent_initializer="orthogonal",
        kernel_regularizer=reg,
        recurrent_regularizer=reg,
        name=name,
    )
    if arch.bidirectional:
        layer = keras.layers.Bidirectional(layer, name=f"bi_{name}")
    return layer


def recurrent_stack(x, arch: ArchitectureConfig, return_sequences: bool = False):
    """Apply `arch.layers` recurrent layers to `x`  # (batch, time, features).

    Every layer but the last returns the whole sequence, because the next layer
    needs an input per time step; the last returns a sequence only when the task
    needs an output per step (text, music) and its final state otherwise.
    Returns (batch, units) or (batch, time, units); units double when bidirectional.
    """
    keras = keras_module()
    for i in range(arch.layers):
        last = i == arch.layers - 1
        x = recurrent_layer(arch, return_sequences or not last, name=f"rnn_{i + 1}")(x)
        if arch.layer_norm and not last:
            x = keras.layers.LayerNormalization(name=f"norm_{i + 1}")(x)
    return x


def build_regressor(arch: ArchitectureConfig, timesteps: int, features: int, outputs: int):
    """Windows in, a vector of `outputs` future values out (the forecasting head)."""
    keras = keras_module()
    inputs = keras.Input(shape=(timesteps, features), name="window")  # (batch, time, features)
    h = recurrent_stack(inputs, arch)  # (batch, units)
    if arch.dropout > 0:
        h = keras.layers.Dropout(arch.dropout, name="head_dropout")(h)
    out = keras.layers.Dense(outputs, name="forecast")(h)  # (batch, horizon)
    return keras.Model(inputs, out, name="forecaster")
