"""Inside the RNN, core: numpy steps equal Keras, gradients vanish and explode as claimed,
gates learn to hold on, clipping caps updates, hidden states come out time x units for stored runs."""

from __future__ import annotations

import json
import subprocess
import sys
import threading

import numpy as np
import pytest

from core import inspect as ins
from core import memory
from core.charts import state_heatmap
from core.config import ArchitectureConfig, ForecastConfig, TrainingConfig, to_dict
from core.inspect_inputs import FORECAST, MEMORY, TEXT, WORDS, adapter_for
from core.numpy_rnn import Cell
from core.training import TrainContext

ROOT = __import__("pathlib").Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("kind", ["simple", "lstm", "gru"])
@pytest.mark.parametrize("units,n_in,steps,std", [(5, 3, 9, 0.5), (32, 8, 50, 0.2)])
def test_numpy_steps_match_keras_on_random_weights(kind, units, n_in, steps, std):
    # Random weights, biases included. (Far past the edge of chaos, e.g. SimpleRNN weights with
    # std 0.5 at 32 units, float32 rounding differences grow with every step: 1e-5 after 50.)
    rng = np.random.default_rng(3)
    gates = {"simple": 1, "lstm": 4, "gru": 3}[kind]
    bias_shape = (2, gates * units) if kind == "gru" else (gates * units,)
    shapes = [(n_in, gates * units), (units, gates * units), bias_shape]
    weights = [rng.normal(0, std, s).astype("float32") for s in shapes]
    xs = rng.normal(size=(steps, n_in)).astype("float32")  # (time, features)
    expected = ins.keras_states(kind, weights, xs)
    cell = Cell(kind, *weights)
    got = cell.run(xs)["h"]
    assert got.shape == expected.shape == (steps, units)
    assert np.abs(got - expected).max() < 1e-5
    # The step-by-step view shows exactly these numbers: its last row is the new state.
    for t in (0, steps // 2, steps - 1):
        parts = ins.step_parts(cell, xs, t)
        assert parts[-1].key == "h" and np.abs(parts[-1].values - expected[t]).max() < 1e-5
        assert [p.key for p in parts] == [k for k, _ in ins.STEP_PARTS[kind]]


def test_step_parts_add_up():
    xs, alphabet = ins.one_hot_word("hello")
    assert alphabet == ["e", "h", "l", "o"] and xs.sum() == 5
    ref = ins.keras_reference("simple", xs, units=4)
    assert ins.max_difference("simple", ref["weights"], xs, ref["keras"]) < 1e-5
    p = {part.key: part.values for part in ins.step_parts(Cell("simple", *ref["weights"]), xs, 2)}
    assert np.allclose(p["sum"], p["input_part"] + p["memory_part"] + p["bias"])
    assert np.allclose(p["h"], np.tanh(p["sum"])) and np.allclose(p["h_prev"], ref["keras"][1], atol=1e-5)
    lstm = {
        part.key: part.values
        for part in ins.step_parts(Cell("lstm", *ins.keras_reference("lstm", xs, 4)["weights"]), xs, 3)
    }
    assert np.allclose(
        lstm["cell"], lstm["forget"] * lstm["c_prev"] + lstm["input"] * lstm["candidate"], atol=1e-6
    )


def test_untrained_gradients_vanish_and_gates_do_not_help_before_training():
    norms = memory.untrained_norms(50, 1.0, units=32)  # by distance: index 0 = 1 step back
    simple = norms["simple"][0] / norms["simple"][49]
    assert simple >= 100
    # The honest part: with default initialisation the gates start half closed and lose it faster.
    assert norms["lstm"][0] / norms["lstm"][49] > simple and norms["gru"][0] / norms["gru"][49] > simple
    # Scaling the recurrent weights up turns vanishing into exploding.
    big = memory.untrained_norms(50, 3.0, units=32, cells=("simple",))["simple"]
    assert big[49] > 100 * big[0]


def _train(cell: str, tmp_path):
    cfg = memory.config_for(cell, length=50, epochs=4, samples=4000)
    run_dir = tmp_path / cell
    run_dir.mkdir()
    from core.tf import keras_module

    keras = keras_module()
    keras.backend.clear_session()
    keras.utils.set_random_seed(0)
    return memory.train(cfg, TrainContext(run_dir=run_dir))["final"]


@pytest.mark.slow
def test_gates_learn_to_hold_on_where_a_simple_rnn_cannot(tmp_path):
    simple, lstm = _train("simple", tmp_path), _train("lstm", tmp_path)
    for f in (simple, lstm):  # untrained: a coin toss
        assert abs(f["test"]["accuracy_untrained"] - 0.5) < 0.1
    assert lstm["test"]["accuracy"] > simple["test"]["accuracy"] + 0.2
    assert lstm["test"]["accuracy"] > lstm["test"]["chance"] + 0.2
    assert lstm["gradient_ratio"] > simple["gradient_ratio"]
    assert lstm["gradient_ratio"] > lstm["gradient_ratio_untrained"]


def test_clipping_caps_the_update_in_the_exploding_case():
    demo = memory.clipping_demo(length=50, scale=3.0, clip=1.0, steps=3, learning_rate=0.05)
    cap = 0.05 * 1.0
    raw = [r["update_norm"] for r in demo["unclipped"]]
    clipped = [r["update_norm"] for r in demo["clipped"]]
    assert max(r["grad_norm"] for r in demo["clipped"]) > 100  # it really explodes
    assert raw[0] > 100 * cap
    assert max(clipped) <= cap * (1 + 1e-4)


def _forecast_run(arch: ArchitectureConfig):
    from core.execute import execute
    from core.runs import RunStore

    store = RunStore()
    cfg = ForecastConfig(
        data="synthetic", synthetic_length=300, lookback=12, arch=arch, train=TrainingConfig(epochs=1)
    )
    run_id = store.create("forecast", to_dict(cfg))
    execute("forecast", cfg, store, run_id, lambda k, p: None, threading.Event())
    return store, run_id, cfg


def _load(path):
    from core.tf import keras_module

    return keras_module().saving.load_model(path, safe_mode=True)


def _check_states(model, cfg, run_dir, arch: ArchitectureConfig):
    n = FORECAST.choices(run_dir, to_dict(cfg))
    inp = FORECAST.prepare(run_dir, to_dict(cfg), model, str(n - 1))
    layers = ins.hidden_states(model, inp.x, inp.steps)
    width = arch.units * (2 if arch.bidirectional else 1)
    assert [x.h.shape for x in layers] == [(cfg.lookback, width)] * arch.layers
    assert len(inp.labels) == cfg.lookback and all(len(v) == cfg.lookback for v in inp.features.values())
    for x in layers:
        assert x.numpy_difference < 1e-5
        assert set(x.gates) == ({"input", "forget", "output"} if arch.cell == "lstm" else {"update", "reset"})
        assert all(
            g.shape == (cfg.lookback, arch.units) and g.min() >= 0 and g.max() <= 1 for g in x.gates.values()
        )
    fig, summary = state_heatmap(layers[-1].h, inp.labels, "t")
    assert np.asarray(fig.data[0].z).shape == (width, cfg.lookback) and "over 12 steps" in summary
    return layers


@pytest.mark.slow
def test_hidden_state_heatmap_of_a_stored_forecasting_run(tmp_path):
    arch = ArchitectureConfig(cell="lstm", units=6, layers=2, layer_norm=True)
    store, run_id, cfg = _forecast_run(arch)
    run_dir = store.run_dir(run_id)
    model = ins.load_run_model("forecast", run_dir)  # through core.forecasting.load
    assert len(_check_states(model, cfg, run_dir, arch)) == 2
    # The last layer's last state is what the forecast head reads: it must be the model's own.
    inp = FORECAST.prepare(run_dir, to_dict(cfg), model, "0")
    w, b = model.get_layer("forecast").get_weights()
    last = ins.hidden_states(model, inp.x)[-1].h[-1]
    # The forecast is the head's reading of that state, plus the frozen linear path and the
    # window's last value (the model predicts the change from it).
    hw, hb = model.get_layer("highway").get_weights()
    linear = inp.x.reshape(1, -1) @ hw + hb + inp.x[0, -1, 0]
    assert np.allclose(last @ w + b + linear[0], model.predict(inp.x, verbose=0)[0], atol=1e-5)
    # A bidirectional model reads the same windows; both directions are shown.
    from core.models import build_regressor

    bi = ArchitectureConfig(cell="gru", units=4, bidirectional=True)
    build_regressor(bi, cfg.lookback, inp.x.shape[2], 1).save(tmp_path / "bi.keras")
    _check_states(_load(tmp_path / "bi.keras"), cfg, run_dir, bi)


def test_hidden_states_of_a_char_model_with_its_vocabulary(tmp_path):
    from core.models import recurrent_stack
    from core.tf import keras_module

    keras = keras_module()
    chars = sorted(set("abc \"\n'ROMEO:"))
    inputs = keras.Input(shape=(None,), dtype="int32")
    x = keras.layers.Embedding(len(chars) + 1, 4)(inputs)
    x = recurrent_stack(x, ArchitectureConfig(cell="lstm", units=5), return_sequences=True)
    keras.Model(inputs, keras.layers.Dense(len(chars) + 1, activation="softmax")(x)).save(
        tmp_path / "model.keras"
    )
    (tmp_path / "vocab.json").write_text(json.dumps(chars))
    text = 'ROMEO:\nHe said "abc"\nzz'
    inp = TEXT.prepare(tmp_path, {}, _load(tmp_path / "model.keras"), text)
    assert inp.labels == list(text) and "'z'" in inp.note
    assert inp.features["inside quotes"].tolist() == [0] * 15 + [1] * 5 + [0] * 3
    assert inp.features["in a speaker's name"].tolist() == [1] * 6 + [0] * 17
    assert inp.features["position in the line"].tolist()[-3:] == [13, 0, 1]
    assert "inside quotes" not in TEXT.prepare(tmp_path, {}, None, "ROMEO:\nno quotes").features
    (layer,) = ins.hidden_states(_load(tmp_path / "model.keras"), inp.x, inp.steps)
    assert layer.h.shape == (len(text), 5) and layer.numpy_difference < 1e-5
    assert adapter_for("music").prepare(tmp_path, {}, _load(tmp_path / "model.keras"), "1 2 3").labels == [
        "1",
        "2",
        "3",
    ]


def test_hidden_states_of_a_string_input_classifier(tmp_path):
    from core.tf import keras_module

    keras = keras_module()
    vec = keras.layers.TextVectorization(max_tokens=50, output_sequence_length=12, name="vectorizer")
    vec.adapt(["a good film", "a bad and dull film", "wonderful acting"])
    ids = keras.Input(shape=(12,), dtype="int64")
    h = keras.layers.Embedding(50, 4, mask_zero=True)(ids)
    h = keras.layers.GRU(3, name="rnn_1")(h)
    classifier = keras.Model(ids, keras.layers.Dense(1, activation="sigmoid")(h), name="classifier")
    text = keras.Input(shape=(1,), dtype="string")
    model = keras.Model(text, classifier(vec(text)))
    inp = WORDS.prepare(tmp_path, {}, model, "A good film, but dull zebras")
    assert inp.labels == ["a", "good", "film", "[unknown]", "dull", "[unknown]"] and inp.steps == 6
    assert inp.features["a negative word"].tolist() == [0, 0, 0, 0, 1, 0]
    (layer,) = ins.hidden_states(model, inp.x, inp.steps)
    assert layer.h.shape == (6, 3) and layer.numpy_difference < 1e-5
    # Padding is masked as in the classifier: its GRU's final state is the state after the last word.
    final = keras.Model(classifier.inputs, classifier.get_layer("rnn_1").output).predict(inp.x, verbose=0)[0]
    assert np.allclose(layer.h[-1], final, atol=1e-5)


def test_hidden_states_of_a_memory_model(tmp_path):
    cfg = memory.config_for("gru", length=20, units=8)
    memory.build_model(20, cfg.arch).save(tmp_path / "model.keras")
    inp = MEMORY.prepare(
        tmp_path, to_dict(cfg), ins.load_run_model("memory", tmp_path), "3"
    )  # no load(): direct
    assert inp.labels[3].startswith("★") and MEMORY.choices(tmp_path, to_dict(cfg)) == 20
    assert inp.features["steps since the mark"][:5].tolist() == [0, 0, 0, 0, 1]
    (layer,) = ins.hidden_states(_load(tmp_path / "model.keras"), inp.x)
    assert layer.h.shape == (20, 8) and layer.numpy_difference < 1e-5


def test_units_sorted_by_the_feature_they_follow():
    rng = np.random.default_rng(0)
    feature = rng.normal(size=30)
    h = rng.normal(size=(30, 4)) * 0.1
    h[:, 2] = np.tanh(feature)
    h[:, 0] = -feature
    h[:, 3] = 0.5  # a unit that never moves
    order, r = ins.sort_units(h, feature)
    assert order[0] == 0 and order[1] == 2 and r[0] < -0.99 and r[2] > 0.9 and r[3] == 0


def test_param_count_and_time_per_epoch(tmp_path):
    model = memory.build_model(10, ArchitectureConfig(cell="gru", units=7))
    from core.tf import keras_module

    optimizer = keras_module().optimizers.Adam()
    model.compile(optimizer=optimizer, loss="mse")
    optimizer.build(model.trainable_variables)  # saved with the model; it must not count
    model.save(tmp_path / "model.keras")
    assert ins.param_count(tmp_path / "model.keras") == model.count_params() > 0
    assert ins.seconds_per_epoch([{"elapsed": 3.0}, {"elapsed": 4.0}, {"elapsed": 5.5}]) == 1.5


def test_compare_configs_differ_only_in_the_cell():
    configs = ins.compare_configs("forecast", units=16, epochs=3, seed=7)
    assert list(configs) == ["simple", "lstm", "gru"]
    dicts = [to_dict(c) for c in configs.values()]
    for d in dicts:
        assert d["arch"]["units"] == 16 and d["train"]["epochs"] == 3 and d["train"]["seed"] == 7
        d["arch"].pop("cell")
    assert dicts[0] == dicts[1] == dicts[2]


def test_memory_command_line(capsys):
    from core.__main__ import main

    bad = subprocess.run(
        [sys.executable, "-m", "core", "memory", "--length", "2"], capture_output=True, text=True, cwd=ROOT
    )
    assert bad.returncode == 2 and bad.stderr.startswith("error: sequence length")
    capsys.readouterr()
    assert (
        main(
            ["memory", "--length", "10", "--samples", "200", "--epochs", "1", "--units", "4", "--cell", "gru"]
        )
        == 0
    )
    final = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert final["task"] == "memory" and 0 <= final["test"]["accuracy"] <= 1 and final["run_id"]
    # The Runs page's recipe for a memory run is a command line that rebuilds the same config.
    from core.__main__ import config_from_args, parser, recipe

    cfg = memory.config_for("lstm", length=30, scale=1.5, epochs=2, units=16, seed=3)
    args = recipe("memory", to_dict(cfg))
    assert args[:4] == ["python", "-m", "core", "memory"]
    assert config_from_args(type(cfg), parser().parse_args(args[3:])) == cfg


def test_a_slow_gru_in_the_comparison_is_explained():
    note = ins.slow_gru_note(4.4)
    assert note.startswith("GRU took 4.4 times as long per epoch as LSTM here.")
    assert "one fused kernel" in note and "busy" in note
