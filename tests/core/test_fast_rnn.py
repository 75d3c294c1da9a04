"""The fast recurrent layers compute what Keras's own compute, save and load as before, and train."""

from __future__ import annotations

import numpy as np
import pytest

from core.config import ArchitectureConfig, TextConfig, TrainingConfig
from core.fast_layers import fast_layers, wants_xla
from core.models import recurrent_stack
from core.numpy_rnn import NumpyStack
from core.tf import keras_module

KERAS = {"gru": "GRU", "lstm": "LSTM", "simple": "SimpleRNN"}


def _pair(cell: str, bidirectional: bool, return_sequences: bool, go_backwards: bool):
    """(Keras's layer, the fast layer) with the same weights."""
    keras = keras_module()
    made = []
    for cls in (getattr(keras.layers, KERAS[cell]), fast_layers()[cell]):
        layer = cls(4, return_sequences=return_sequences, go_backwards=go_backwards)
        made.append(keras.layers.Bidirectional(layer) if bidirectional else layer)
    return made


@pytest.mark.parametrize("cell", ["gru", "lstm", "simple"])
@pytest.mark.parametrize(
    "masked,bidirectional,return_sequences,go_backwards",
    [
        (False, False, True, False),
        (False, False, False, True),
        (True, False, True, False),
        (True, True, True, False),
        (True, True, False, False),
    ],
)
def test_fast_layer_equals_keras_outputs_and_gradients(
    cell, masked, bidirectional, return_sequences, go_backwards
):
    import tensorflow as tf

    rng = np.random.default_rng(0)
    x = tf.constant(rng.normal(size=(3, 6, 5)).astype("float32"))  # (batch, time, features)
    mask = np.ones((3, 6), bool)
    mask[1, 4:] = False  # padding at the end
    mask[2, :2] = False  # and at the start
    kwargs = {"mask": tf.constant(mask)} if masked else {}
    ref, fast = _pair(cell, bidirectional, return_sequences, go_backwards)
    ref(x, **kwargs)
    fast(x, **kwargs)
    fast.set_weights([rng.normal(0, 0.5, w.shape).astype("float32") for w in ref.get_weights()])
    ref.set_weights(fast.get_weights())
    grads = []
    for layer in (ref, fast):
        with tf.GradientTape() as tape:
            tape.watch(x)
            y = layer(x, **kwargs)
            loss = tf.reduce_sum(y * y) + tf.reduce_sum(tf.sin(y))
        grads.append((y, tape.gradient(loss, [x, *layer.trainable_weights])))
    (y_ref, g_ref), (y_fast, g_fast) = grads
    np.testing.assert_allclose(y_fast, y_ref, atol=1e-5)
    for a, b in zip(g_fast, g_ref, strict=True):
        np.testing.assert_allclose(a, b, atol=2e-5)


def _char_model(cell: str, vocab: int = 9):
    from core import textgen

    keras = keras_module()
    keras.utils.set_random_seed(0)
    # no output dropout: XLA and the plain step draw different random masks
    cfg = TextConfig(embed_dim=4, output_dropout=0.0, arch=ArchitectureConfig(cell=cell, units=6))
    return textgen.build_char_model(cfg, vocab)


def test_the_builder_makes_fast_layers_under_keras_names():
    model = _char_model("gru")
    rnn = model.get_layer("rnn_1")
    assert type(rnn) is fast_layers()["gru"]
    assert rnn.__class__.__name__ == "GRU"  # what the numpy copy and Inside the RNN read
    assert rnn.get_config()["reset_after"] is True


@pytest.mark.parametrize("cell", ["gru", "lstm", "simple"])
def test_saved_fast_model_reloads_to_identical_outputs(cell, tmp_path):
    keras = keras_module()
    model = _char_model(cell)
    ids = np.random.default_rng(0).integers(1, 9, size=(2, 12)).astype("int32")
    before = model.predict(ids, verbose=0)
    model.save(tmp_path / "m.keras")
    loaded = keras.saving.load_model(tmp_path / "m.keras", safe_mode=True)
    assert type(loaded.get_layer("rnn_1")) is fast_layers()[cell]
    np.testing.assert_array_equal(loaded.predict(ids, verbose=0), before)
    got, _ = NumpyStack.from_keras(loaded).run(ids[0].tolist())  # the numpy generator still matches
    np.testing.assert_allclose(got, before[0], atol=1e-5)


def test_a_model_saved_with_keras_layers_still_loads(tmp_path):
    """Runs saved before the fast layers hold keras.layers.GRU: they load and predict as they did."""
    keras = keras_module()
    keras.utils.set_random_seed(0)
    inputs = keras.Input(shape=(None,), dtype="int32", name="chars")
    h = keras.layers.Embedding(9, 4, name="embedding")(inputs)
    h = keras.layers.GRU(6, return_sequences=True, name="rnn_1")(h)
    old = keras.Model(inputs, keras.layers.Dense(9, activation="softmax", name="next_char")(h))
    ids = np.arange(1, 9, dtype="int32")[None]
    expected = old.predict(ids, verbose=0)
    old.save(tmp_path / "old.keras")
    loaded = keras.saving.load_model(tmp_path / "old.keras", safe_mode=True)
    assert type(loaded.get_layer("rnn_1")) is keras.layers.GRU
    np.testing.assert_array_equal(loaded.predict(ids, verbose=0), expected)
    # Its weights move into a fast model unchanged, which then computes the same.
    fast = _char_model("gru")
    fast.set_weights(loaded.get_weights())
    np.testing.assert_allclose(fast.predict(ids, verbose=0), expected, atol=1e-6)


@pytest.mark.parametrize("cell", ["gru", "lstm"])
def test_xla_training_step_matches_the_plain_one(cell):
    """One compiled (XLA) training step moves the weights as the uncompiled one does (the
    LSTM: TensorFlow's fused BlockLSTM kernel without XLA, the loop under it)."""
    keras = keras_module()
    ids = np.random.default_rng(1).integers(1, 9, size=(4, 10)).astype("int32")
    weights = []
    for jit in (False, True):
        model = _char_model(cell)
        model.compile(
            optimizer=keras.optimizers.Adam(1e-2), loss="sparse_categorical_crossentropy", jit_compile=jit
        )
        model.fit(ids, ids, batch_size=4, epochs=1, verbose=0, shuffle=False)
        weights.append(model.get_weights())
    for a, b in zip(*weights, strict=True):
        np.testing.assert_allclose(a, b, atol=1e-5)


def test_xla_is_chosen_for_long_fits_of_fast_layers_only(monkeypatch):
    monkeypatch.delenv("RNN_STUDIO_XLA", raising=False)
    model = _char_model("lstm")
    assert wants_xla(model, planned_steps=3000, timesteps=100)
    assert not wants_xla(model, planned_steps=10, timesteps=14)
    monkeypatch.setenv("RNN_STUDIO_XLA", "0")
    assert not wants_xla(model, planned_steps=3000, timesteps=100)
    monkeypatch.setenv("RNN_STUDIO_XLA", "1")
    assert wants_xla(model, planned_steps=10, timesteps=14)
    monkeypatch.setenv("RNN_STUDIO_FAST_RNN", "0")  # Keras's own loop: XLA made it slower
    assert not wants_xla(model, planned_steps=3000, timesteps=100)


def test_recurrent_dropout_keeps_keras_loop_and_dropout_trains():
    keras = keras_module()
    inputs = keras.Input(shape=(7, 3))
    arch = ArchitectureConfig(cell="gru", units=5, dropout=0.3, recurrent_dropout=0.2)
    model = keras.Model(inputs, recurrent_stack(inputs, arch))
    assert not wants_xla(model, planned_steps=10**6, timesteps=7)  # recurrent dropout: Keras's loop
    arch = ArchitectureConfig(cell="lstm", units=5, dropout=0.3, bidirectional=True)
    h = recurrent_stack(inputs, arch)
    model = keras.Model(inputs, keras.layers.Dense(1)(h))
    model.compile(optimizer="adam", loss="mse")
    x = np.random.default_rng(0).normal(size=(16, 7, 3)).astype("float32")
    loss = model.fit(x, x[:, -1, :1], epochs=3, batch_size=8, verbose=0).history["loss"]
    assert np.isfinite(loss).all()
    # Inference ignores dropout: the same input gives the same output.
    np.testing.assert_array_equal(model.predict(x, verbose=0), model.predict(x, verbose=0))


@pytest.mark.slow  # an XLA compile of a whole fit: seconds
def test_context_fit_with_xla_drops_the_ragged_batch_and_reports(tmp_path, monkeypatch):
    from core.training import TrainContext

    keras = keras_module()
    monkeypatch.setenv("RNN_STUDIO_XLA", "1")
    model = _char_model("gru")
    model.compile(optimizer=keras.optimizers.Adam(1e-2), loss="sparse_categorical_crossentropy")
    ids = np.random.default_rng(2).integers(1, 9, size=(21, 10)).astype("int32")  # 2 batches of 8, 5 left
    events = []
    ctx = TrainContext(run_dir=tmp_path, on_event=lambda k, p: events.append((k, p)), batch_event_every_s=0.0)
    history = ctx.fit(model, ids, ids, (ids[:5], ids[:5]), TrainingConfig(epochs=2, batch_size=8))
    assert model.jit_compile
    assert [h["epoch"] for h in history] == [1, 2] and all(np.isfinite(h["val_loss"]) for h in history)
    batches = [p for k, p in events if k == "batch"]
    assert {p["batches"] for p in batches} == {2}  # full batches only


@pytest.mark.parametrize("norm", [False, True], ids=["fused", "with-norm"])
@pytest.mark.parametrize("cell", ["gru", "lstm", "simple"])
def test_vector_stepper_matches_the_batched_numpy_step_and_keras(cell, norm):
    """Generation's one-by-one numpy step gives the batched step's (and so Keras's) distributions:
    the fused layout (no norm: one product per layer and character, halved gates) and the plain
    loop (a norm between layers)."""
    from core.numpy_writer import OneByOne

    keras = keras_module()
    keras.utils.set_random_seed(0)
    inputs = keras.Input(shape=(None,), dtype="int32")
    x = keras.layers.Embedding(11, 5)(inputs)
    x = recurrent_stack(
        x, ArchitectureConfig(cell=cell, units=6, layers=2, layer_norm=norm), return_sequences=True
    )
    model = keras.Model(inputs, keras.layers.Dense(11, activation="softmax")(x))
    rng = np.random.default_rng(1)
    model.set_weights([rng.normal(0, 0.5, w.shape).astype("float32") for w in model.get_weights()])
    tokens = [3, 1, 4, 1, 5, 9, 2, 6]
    expected = model.predict(np.array([tokens]), verbose=0)[0]  # (time, vocab)
    stack = NumpyStack.from_keras(model)
    batched, state = stack.run(tokens)
    one = OneByOne(stack, stack.zero_state())
    assert one.fused is not norm
    got = np.array([one.step(t) for t in tokens])
    np.testing.assert_allclose(got, batched, atol=1e-6)
    np.testing.assert_allclose(got, expected, atol=1e-5)
    for a, b in zip(one.state(), state, strict=True):  # the state hands back in the batched layout
        for part_a, part_b in zip(a, b, strict=True):
            np.testing.assert_allclose(part_a, part_b, atol=1e-6)


def test_an_unmasked_lstm_runs_the_fused_kernel_except_under_xla():
    """Without XLA the whole LSTM sequence is one BlockLSTM op (and its gradient one more);
    a jit_compile function keeps the loop, since XLA has no such kernel."""
    import tensorflow as tf

    from core import fast_rnn

    layer = fast_layers()["lstm"](4)
    x = tf.zeros((2, 5, 3))
    seen = {}
    for jit in (False, True):

        @tf.function(jit_compile=jit)
        def run(x, jit=jit):
            seen[jit] = fast_rnn.tracing_for_xla()
            return layer(x)

        ops = {op.type for op in run.get_concrete_function(x).graph.get_operations()}
        assert ("BlockLSTM" in ops) is not jit
    assert seen == {False: False, True: True}
