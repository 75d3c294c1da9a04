"""The numpy stack reproduces Keras step by step, carries state, and samples as promised."""

from __future__ import annotations

import numpy as np
import pytest

from core.config import ArchitectureConfig
from core.models import recurrent_stack
from core.numpy_rnn import Cell, LayerNorm, NumpyStack, sample
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


def random_stack(vocab: int = 7, dim: int = 3, units: int = 4) -> NumpyStack:
    """Every kind of layer, random weights: simple, LayerNorm, LSTM, GRU (GRU's bias is (2, 3u))."""
    rng = np.random.default_rng(3)

    def w(*shape):
        return rng.normal(0, 0.5, shape).astype(np.float32)

    layers = [
        Cell("simple", w(dim, units), w(units, units), w(units)),
        LayerNorm(w(units), w(units), 0.001),
        Cell("lstm", w(units, 4 * units), w(units, 4 * units), w(4 * units)),
        Cell("gru", w(units, 3 * units), w(units, 3 * units), w(2, 3 * units)),
    ]
    return NumpyStack(w(vocab, dim), layers, w(units, vocab), w(vocab))


def assert_same_stack(got: NumpyStack, want: NumpyStack) -> None:
    assert [type(x) for x in got.layers] == [type(x) for x in want.layers]
    for a, b in zip(got.layers, want.layers, strict=True):
        if isinstance(b, Cell):
            assert a.kind == b.kind
            for name in ("kernel", "recurrent", "bias"):
                np.testing.assert_array_equal(getattr(a, name), getattr(b, name))
        else:
            assert a.epsilon == b.epsilon
            np.testing.assert_array_equal(a.gamma, b.gamma)
            np.testing.assert_array_equal(a.beta, b.beta)
    for name in ("embedding", "head_w", "head_b"):
        np.testing.assert_array_equal(getattr(got, name), getattr(want, name))
    tokens = [1, 5, 2, 6, 0, 3]
    np.testing.assert_array_equal(got.run(tokens)[0], want.run(tokens)[0])


def test_save_and_load_round_trip(tmp_path):
    stack = random_stack()
    stack.save(tmp_path / "stack.npz")
    assert_same_stack(NumpyStack.load(tmp_path / "stack.npz"), stack)


def test_both_tasks_write_the_one_format(tmp_path):
    from core import music, textsample

    stack = random_stack()
    textsample.save_stack(stack, tmp_path / "generator.npz")
    stack.save(tmp_path / "stack.npz")
    with np.load(tmp_path / "generator.npz") as a, np.load(tmp_path / "stack.npz") as b:
        assert sorted(a.files) == sorted(b.files) and int(a["format"]) == 1
    assert_same_stack(textsample.load_stack(tmp_path / "stack.npz"), stack)
    assert not hasattr(music, "save_stack")  # Music saves with the stack's own method


def test_old_shakespeare_generator_files_still_load(tmp_path):
    """generator.npz as core.textsample.save_stack wrote it before the one format."""
    stack = random_stack()
    arrays = {"embedding": stack.embedding, "head_w": stack.head_w, "head_b": stack.head_b}
    kinds = []
    for i, layer in enumerate(stack.layers):
        if isinstance(layer, Cell):
            kinds.append(layer.kind)
            arrays.update({f"l{i}_kernel": layer.kernel, f"l{i}_recurrent": layer.recurrent})
            arrays[f"l{i}_bias"] = layer.bias
        else:
            kinds.append(f"norm:{layer.epsilon}")
            arrays.update({f"l{i}_gamma": layer.gamma, f"l{i}_beta": layer.beta})
    np.savez(tmp_path / "generator.npz", kinds=np.array(kinds), **arrays)
    assert_same_stack(NumpyStack.load(tmp_path / "generator.npz"), stack)


def test_old_music_stack_files_still_load(tmp_path):
    """stack.npz as core.music.save_stack wrote it before the one format."""
    stack = random_stack()
    arrays = {"embedding": stack.embedding, "head_w": stack.head_w, "head_b": stack.head_b}
    kinds = []
    for i, layer in enumerate(stack.layers):
        if isinstance(layer, Cell):
            kinds.append(layer.kind)
            arrays.update({f"{i}_kernel": layer.kernel, f"{i}_recurrent": layer.recurrent})
            arrays[f"{i}_bias"] = layer.bias
        else:
            kinds.append("norm")
            arrays.update({f"{i}_gamma": layer.gamma, f"{i}_beta": layer.beta})
            arrays[f"{i}_epsilon"] = np.array(layer.epsilon)
    np.savez(tmp_path / "stack.npz", kinds=np.array(kinds), **arrays)
    assert_same_stack(NumpyStack.load(tmp_path / "stack.npz"), stack)
