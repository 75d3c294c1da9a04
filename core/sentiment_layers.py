"""The sentiment model's custom Keras layers: attention pooling and max-and-mean pooling.

Each class is made at first use (so importing this module does not import
TensorFlow) and registered for loading under the package "rnn_studio", so a
saved model that uses one deserialises.
"""

from __future__ import annotations

import functools

from core.tf import keras_module


@functools.cache
def attention_layer():
    """The attention pooling layer class, made (and registered for loading) at first use."""
    keras = keras_module()
    ops = keras.ops

    @keras.saving.register_keras_serializable(package="rnn_studio")
    class AttentionPool(keras.layers.Layer):
        """Additive attention: score each word's output, softmax over real words, weighted sum."""

        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            self.supports_masking = True

        def build(self, input_shape):
            d = input_shape[-1]
            self.w = self.add_weight(name="w", shape=(d, d), initializer="glorot_uniform")
            self.b = self.add_weight(name="b", shape=(d,), initializer="zeros")
            self.u = self.add_weight(name="u", shape=(d,), initializer="glorot_uniform")

        def call(self, x, mask=None):  # x: (batch, time, units)
            scores = ops.tensordot(ops.tanh(ops.tensordot(x, self.w, 1) + self.b), self.u, 1)  # (batch, time)
            if mask is not None:  # padding gets no weight
                scores = ops.where(mask, scores, -1e9)
            weights = ops.softmax(scores, axis=-1)  # (batch, time), sums to 1
            return ops.sum(x * weights[..., None], axis=1), weights  # (batch, units), (batch, time)

        def compute_mask(self, x, mask=None):
            return [None, None]

        def compute_output_shape(self, shape):
            return (shape[0], shape[-1]), (shape[0], shape[1])

    return AttentionPool


@functools.cache
def pool_layer():
    """The max-and-mean pooling layer class, made (and registered for loading) at first use."""
    keras = keras_module()
    ops = keras.ops

    @keras.saving.register_keras_serializable(package="rnn_studio")
    class MaxMeanPool(keras.layers.Layer):
        """Each feature's largest and average value over the real words (padding left out)."""

        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            self.supports_masking = True

        def call(self, x, mask=None):  # x: (batch, time, units)
            if mask is None:
                return ops.concatenate([ops.max(x, axis=1), ops.mean(x, axis=1)], axis=-1)
            m = ops.cast(mask, x.dtype)[..., None]  # (batch, time, 1), 1 on real words
            peak = ops.max(ops.where(m > 0, x, -1e9), axis=1)  # (batch, units)
            mean = ops.sum(x * m, axis=1) / ops.maximum(ops.sum(m, axis=1), 1.0)  # (batch, units)
            # A text with no word at all (only padding) pools to zeros, not -1e9.
            peak = ops.where(ops.sum(m, axis=1) > 0, peak, 0.0)
            return ops.concatenate([peak, mean], axis=-1)  # (batch, 2 * units)

        def compute_mask(self, x, mask=None):
            return None

        def compute_output_shape(self, shape):
            return (shape[0], 2 * shape[-1])

    return MaxMeanPool
