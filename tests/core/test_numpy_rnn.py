"""The numpy stack reproduces Keras step by step, carries state, and samples as promised."""

from __future__ import annotations

import numpy as np
import pytest

from core.config import ArchitectureConfig
from core.models import recurrent_stack
from core.numpy_rnn import NumpyStack, sample
from core.tf import keras_module


def token_model(arch: ArchitectureConfig, vocab: int = 11):
    keras = keras_module()
    keras.utils.set_random_seed(0)
    inputs = keras.Input(shape=(None,), dtype="int32")
    x = keras.layers.Embedding(vocab, 5)(inputs)
    x = recurrent_stack(x, arch, return_sequences=True)  # (batch, time, units)
    model = keras.Model(inputs, keras.layers.Dense(vocab, activation="softmax")(x))
    # Random, non-trivial weights everywhere (biases too), so every term is exercised.
    rng = np.random.default_rng(1)
    model.set_weights([rng.normal(0, 0.5, w.shape).astype("float32") for w in model.get_weights()])
    return model


@pytest.mark.parametrize("cell", ["simple", "lstm", "gru"])
@pytest.mark.parametrize("layers,norm", [(1, False), (2, True)])
def test_numpy_matches_keras_at_every_step(cell, layers, norm):
    model = token_model(ArchitectureConfig(cell=cell, units=6, layers=layers, layer_norm=norm, dropout=0.2))
    tokens = [3, 1, 4, 1, 5, 9, 2, 6, 5, 3]
    expected = model.predict(np.array([tokens]), verbose=0)[0]  # (time, vocab)
    got, _ = NumpyStack.from_keras(model).run(tokens)
    np.testing.assert_allclose(got, expected, atol=2e-5)


def test_state_carries_context():
    net = NumpyStack.from_keras(token_model(ArchitectureConfig(cell="lstm", units=8)))
    long_prompt, _ = net.run([2, 7, 7, 1, 8, 2, 8, 4])
    last_only, _ = net.run([4])
    assert np.abs(long_prompt[-1] - last_only[-1]).max() > 1e-3


def test_bidirectional_models_are_refused():
    with pytest.raises(ValueError, match="bidirectional"):
        NumpyStack.from_keras(token_model(ArchitectureConfig(units=4, bidirectional=True)))


def test_sampling_temperature_top_k_and_greedy():
    probs = np.array([0.5, 0.3, 0.15, 0.05])
    assert sample(probs, np.random.default_rng(0), temperature=0) == 0
    draws = [sample(probs, np.random.default_rng(s), top_k=2) for s in range(200)]
    assert set(draws) == {0, 1}
    cold = [sample(probs, np.random.default_rng(s), temperature=0.1) for s in range(200)]
    hot = [sample(probs, np.random.default_rng(s), temperature=2.0) for s in range(200)]
    assert cold.count(0) > 190 and hot.count(0) < 150
    same = [sample(probs, np.random.default_rng(7)) for _ in range(3)]
    assert len(set(same)) == 1
