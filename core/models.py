"""The one recurrent-stack builder every task uses.

Tasks add their own input (embedding, raw windows) and output heads around
`recurrent_stack`; the stack itself (cell type, depth, bidirectionality,
regularisation) is the same code everywhere, so a setting means the same thing
on every page.
"""

from __future__ import annotations

import functools

from core.config import ArchitectureConfig
from core.tf import keras_module


def recurrent_layer(arch: ArchitectureConfig, return_sequences: bool, name: str):
    """One recurrent layer (wrapped in Bidirectional if asked) with the house initialisers."""
    from core.fast_layers import fast_layers

    keras = keras_module()
    # Keras's layers with the hoisted, hand-differentiated CPU loop (core.fast_rnn): same
    # weights, configuration and class names, so saved models read as Keras's own.
    cls = fast_layers()[arch.cell]
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


@functools.cache
def forecast_layers():
    """The forecasting head's two small layers, made (and registered for loading) at first use."""
    keras = keras_module()
    ops = keras.ops

    @keras.saving.register_keras_serializable(package="rnn_studio")
    class ChangeFromLast(keras.layers.Layer):
        """The target column as its change from the window's last value; other columns as they are."""

        def call(self, x):  # (batch, time, features)
            return ops.concatenate([x[:, :, :1] - x[:, -1:, :1], x[:, :, 1:]], axis=-1)

    @keras.saving.register_keras_serializable(package="rnn_studio")
    class LastValue(keras.layers.Layer):
        """The window's last target value, once per forecast step: (batch, horizon)."""

        def __init__(self, horizon: int, **kwargs):
            super().__init__(**kwargs)
            self.horizon = horizon

        def call(self, x):
            return ops.repeat(x[:, -1:, 0], self.horizon, axis=1)

        def get_config(self):
            return {**super().get_config(), "horizon": self.horizon}

    return ChangeFromLast, LastValue


def build_regressor(
    arch: ArchitectureConfig,
    timesteps: int,
    features: int,
    outputs: int,
    change: bool = False,
    highway: tuple | None = None,
    head_name: str = "head",
):
    """Windows in, a vector of `outputs` future values out (the forecasting head).

    `change`: the network reads the target as its change from the window's last value and
    predicts the change from it, so "the same as the last value" is where it starts, and values
    outside the training range stay reachable (a level learned on a rising series never is).
    `head_name`: the output layer's name (saved models carry it; each task picks its own).
    `highway`: (kernel, bias) of a linear autoregression fitted on the training split, as a
    fixed linear path from the window to the forecast (the "highway" of LSTNet, Lai et al.
    2018, here fitted in closed form and frozen). The recurrent head starts at zero, so the
    model starts as that linear forecast and the RNN learns what the linear model misses.
    """
    keras = keras_module()
    inputs = keras.Input(shape=(timesteps, features), name="window")  # (batch, time, features)
    x = inputs
    if change or highway is not None:
        change_from_last, last_value = forecast_layers()
    if change:
        x = change_from_last(name="change_from_last")(inputs)  # (batch, time, features)
    h = recurrent_stack(x, arch)  # (batch, units)
    if arch.dropout > 0:
        h = keras.layers.Dropout(arch.dropout, name="head_dropout")(h)
    zero = "zeros" if highway is not None else "glorot_uniform"
    out = keras.layers.Dense(outputs, kernel_initializer=zero, name=head_name)(h)  # (batch, horizon)
    if highway is not None:
        kernel, bias = highway
        flat = keras.layers.Flatten(name="window_flat")(inputs)  # (batch, time * features)
        linear = keras.layers.Dense(outputs, trainable=False, name="highway")
        out = keras.layers.Add(name="plus_highway")([out, linear(flat)])
        linear.set_weights([kernel.astype("float32"), bias.astype("float32")])
        if not change:  # the linear path predicts the change: add the last value back
            out = keras.layers.Add(name="plus_last_value")(
                [out, last_value(outputs, name="last_value")(inputs)]
            )
    if change:
        out = keras.layers.Add(name="plus_last_value")([out, last_value(outputs, name="last_value")(inputs)])
    return keras.Model(inputs, out, name="forecaster")
