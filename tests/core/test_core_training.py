"""Builder, training loop, job manager and run store: behaviour, not just that code runs."""

from __future__ import annotations

import itertools
import subprocess
import sys
import threading

import numpy as np
import pytest

from core import forecasting as fc
from core.config import ArchitectureConfig, ConfigError, ForecastConfig, TrainingConfig
from core.execute import execute
from core.jobs import JobManager
from core.runs import RunStore
from core.tf import keras_module

TINY = ForecastConfig(
    data="synthetic",
    synthetic_length=400,
    lookback=10,
    arch=ArchitectureConfig(units=8),
    train=TrainingConfig(epochs=3, batch_size=32, learning_rate=1e-2),
)


@pytest.mark.parametrize(
    "cell,layers,bidirectional,seq",
    itertools.product(["simple", "lstm", "gru"], [1, 2], [False, True], [False, True]),
)
def test_builder_wires_every_combination(cell, layers, bidirectional, seq):
    from core.models import recurrent_stack

    keras = keras_module()
    arch = ArchitectureConfig(cell=cell, units=4, layers=layers, bidirectional=bidirectional, layer_norm=True)
    inputs = keras.Input(shape=(6, 3))
    model = keras.Model(inputs, recurrent_stack(inputs, arch, return_sequences=seq))
    out = model(np.zeros((2, 6, 3), "float32"))
    width = 8 if bidirectional else 4
    assert tuple(out.shape) == ((2, 6, width) if seq else (2, width))
    rnns = [layer for layer in model.layers if "rnn_" in layer.name]
    assert len(rnns) == layers
    first = rnns[0].forward_layer if bidirectional else rnns[0]
    assert first.cell.recurrent_initializer.__class__.__name__ == "Orthogonal"
    # Every layer but the last must hand a full sequence to the next one.
    seqs = [(r.forward_layer if bidirectional else r).return_sequences for r in rnns]
    assert seqs == [True] * (layers - 1) + [seq]


def test_configs_reject_out_of_range_values():
    with pytest.raises(ConfigError, match="cell"):
        ArchitectureConfig(cell="transformer")
    with pytest.raises(ConfigError, match="layers"):
        ArchitectureConfig(layers=5)
    with pytest.raises(ConfigError, match="horizon"):
        ForecastConfig(horizon=0)


def test_trained_model_beats_untrained_and_reloads_identically(tmp_path):
    store = RunStore()
    run_id = store.create("forecast", {})
    status, result = execute("forecast", TINY, store, run_id, lambda k, p: None, threading.Event())
    assert status == "done"
    p = fc.prepare(TINY)
    _, _, te = p.masks
    keras = keras_module()
    keras.utils.set_random_seed(1)
    from core.models import build_regressor

    # The same network with random weights and no fitted linear path.
    untrained = build_regressor(
        TINY.arch, TINY.lookback, p.x.shape[2], TINY.horizon, change=TINY.predict == "change"
    )
    model, cfg, scaler = fc.load(store.run_dir(run_id))
    assert cfg == TINY
    actual = p.y[te]
    trained_mse = float(np.mean((model.predict(p.x[te], verbose=0) - actual) ** 2))
    untrained_mse = float(np.mean((untrained.predict(p.x[te], verbose=0) - actual) ** 2))
    assert trained_mse < 0.5 * untrained_mse
    # The reloaded model gives the same test predictions the run reported.
    reloaded = scaler.inverse_target(model.predict(p.x[te], verbose=0))
    np.testing.assert_allclose(reloaded, result["display"]["predictions"]["rnn"], rtol=0, atol=1e-5)
    row = store.get(run_id)
    assert row["status"] == "done" and len(row["fingerprint"]) == 64
    assert row["versions"]["tensorflow"] and row["final"]["test"]["rnn"]["mae"] > 0
    assert [e["epoch"] for e in store.epochs(run_id)] == [1, 2, 3]


def test_same_seed_gives_the_same_losses():
    store = RunStore()
    losses = []
    for _ in range(2):
        run_id = store.create("forecast", {})
        execute("forecast", TINY, store, run_id, lambda k, p: None, threading.Event())
        losses.append([e["loss"] for e in store.epochs(run_id)])
    assert losses[0] == losses[1]


def test_stop_takes_effect_within_one_batch(tmp_path):
    keras = keras_module()
    from core.training import TrainContext, make_optimizer

    ctx = TrainContext(run_dir=tmp_path)
    seen = []

    class StopAfterFive(keras.callbacks.Callback):
        def on_train_batch_end(self, batch, logs=None):
            seen.append(batch)
            if batch == 5:
                ctx.stop_event.set()  # a click on Stop while batch 5 finishes

    model = keras.Sequential([keras.Input((4, 1)), keras.layers.LSTM(4), keras.layers.Dense(1)])
    cfg = TrainingConfig(epochs=5, batch_size=2)
    model.compile(optimizer=make_optimizer(cfg), loss="mse")
    x, y = np.random.rand(400, 4, 1), np.random.rand(400, 1)
    history = ctx.fit(model, x, y, None, cfg, extra_callbacks=[StopAfterFive()])
    assert ctx.stop_reason == "user"
    assert seen == list(range(7))  # batch 6 was already under way; none after it
    assert len(history) == 1


@pytest.mark.slow
def test_job_manager_queue_stop_and_errors(data_dir):
    mgr = JobManager(RunStore())
    slow = ForecastConfig(**{**TINY.__dict__, "train": TrainingConfig(epochs=200, batch_size=8)})
    bad = ForecastConfig(data=str(data_dir / "missing.csv"))
    first = mgr.submit("forecast", slow, session="a")
    second = mgr.submit("forecast", bad, session="b")
    third = mgr.submit("forecast", TINY, session="b")
    assert mgr.snapshot(third)["position"] == 2
    for _ in range(600):
        snap = mgr.snapshot(first)
        if snap["epochs"]:
            break
        threading.Event().wait(0.1)
    assert snap["status"] == "running" and mgr.snapshot(second)["position"] == 1
    mgr.stop(first)
    assert mgr.wait(first, 60)["status"] == "stopped"
    failed = mgr.wait(second, 60)
    assert failed["status"] == "failed" and "does not exist" in failed["error"]
    assert mgr.wait(third, 120)["status"] == "done"  # the worker survived the failure
    store = mgr.store
    assert store.get(first)["status"] == "stopped" and store.get(second)["status"] == "failed"
    assert [j["id"] for j in mgr.jobs(session="b")] == [second, third]
    mgr.shutdown()


def test_runs_left_running_by_a_dead_process_are_marked_interrupted():
    store = RunStore()
    run_id = store.create("forecast", {"data": "synthetic"})
    store.start(run_id)
    done_id = store.create("forecast", {})
    store.finish(done_id, "done", final={"x": 1})
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    with store._connect() as con:
        con.execute("UPDATE runs SET pid=? WHERE id=?", (dead.pid, run_id))
    RunStore()  # a new server process opens the store
    assert store.get(run_id)["status"] == "interrupted"
    assert store.get(done_id)["status"] == "done" and store.get(done_id)["final"] == {"x": 1}
