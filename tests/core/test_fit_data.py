"""The fit's data path: one repeating pipeline of reshuffled batches, the held-out split
scored from the arrays, and predictions in batches, each equal to what Keras computes."""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from core.config import TrainingConfig
from core.tf import keras_module
from core.training import TrainContext, _batches, predict, score


def _classifier(seed: int = 0):
    keras = keras_module()
    keras.utils.set_random_seed(seed)
    inputs = keras.Input(shape=(7, 3))
    h = keras.layers.GRU(6)(inputs)
    model = keras.Model(inputs, keras.layers.Dense(1, activation="sigmoid")(h))
    model.compile(optimizer="adam", loss="binary_crossentropy", metrics=["accuracy"])
    return model


def _data(n: int, seed: int = 0):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, 7, 3)).astype("float32")
    return x, (x[:, :, 0].sum(1) > 0).astype("float32")


def _epochs(ds, steps: int, epochs: int) -> list[list[int]]:
    it = iter(ds)
    out = []
    for _ in range(epochs):
        ids = [int(v) for _ in range(steps) for v in next(it)[1].numpy()]
        out.append(ids)
    return out


def test_every_epoch_is_a_new_permutation_of_every_sample():
    x = np.arange(50, dtype="float32")[:, None]
    y = np.arange(50)
    epochs = _epochs(_batches(x, y, 8, seed=0, full_only=False), steps=7, epochs=3)
    for ids in epochs:
        assert sorted(ids) == list(range(50))  # each sample once, the last batch of 2 included
    assert epochs[0] != epochs[1] != epochs[2]
    again = _epochs(_batches(x, y, 8, seed=0, full_only=False), steps=7, epochs=3)
    assert again == epochs  # the seed fixes the order
    assert _epochs(_batches(x, y, 8, seed=1, full_only=False), steps=7, epochs=1)[0] != epochs[0]


def test_full_batches_only_leave_out_a_different_remainder_each_epoch():
    x = np.arange(50, dtype="float32")[:, None]
    y = np.arange(50)
    epochs = _epochs(_batches(x, y, 8, seed=0, full_only=True), steps=6, epochs=4)
    left_out = [set(range(50)) - set(ids) for ids in epochs]
    assert all(len(ids) == 48 == len(set(ids)) for ids in epochs)
    assert all(len(s) == 2 for s in left_out)
    assert len({frozenset(s) for s in left_out}) > 1


def test_score_and_predict_equal_keras_evaluate_and_predict():
    model = _classifier()
    x, y = _data(83)
    keras_loss, keras_acc = model.evaluate(x, y, batch_size=32, verbose=0)
    ours = score(model, x, y, 32)  # batches of 32, 32 and 19
    assert abs(ours["loss"] - keras_loss) < 1e-6
    assert abs(ours["accuracy"] - keras_acc) < 1e-6
    np.testing.assert_allclose(predict(model, x, 32), model.predict(x, batch_size=32, verbose=0), atol=1e-6)


def test_fit_reports_the_held_out_loss_of_the_weights_it_ends_with(tmp_path):
    model = _classifier()
    x, y = _data(200)
    xv, yv = _data(60, seed=1)
    cfg = replace(TrainingConfig(), epochs=3, batch_size=32, learning_rate=1e-2)
    history = TrainContext(run_dir=tmp_path).fit(model, x, y, (xv, yv), cfg)
    assert [h["epoch"] for h in history] == [1, 2, 3]
    assert history[-1]["val_loss"] < history[0]["val_loss"]  # it learns the sign of the sum
    final = score(model, xv, yv, 32)
    assert abs(history[-1]["val_loss"] - final["loss"]) < 1e-6
    assert abs(history[-1]["val_accuracy"] - final["accuracy"]) < 1e-6
    assert int(model.optimizer.iterations.numpy()) == 3 * 7  # ceil(200 / 32) steps an epoch


def test_a_fit_traces_its_training_step_once(tmp_path):
    """Keras makes the metrics' and optimizer's variables inside the first traced step unless
    they exist, and a tf.function that makes variables is traced a second time: the fit makes
    them first (most of a short fit's time was the second trace)."""
    model = _classifier()
    traces = []
    step = model.train_step

    def counting(data):
        traces.append(1)
        return step(data)

    model.train_step = counting
    x, y = _data(50)  # 4 batches of 16, the last one of 2
    cfg = replace(TrainingConfig(), epochs=2, batch_size=16, patience=0, reduce_on_plateau=False)
    history = TrainContext(run_dir=tmp_path).fit(model, x, y, _data(20, seed=1), cfg)
    assert len(history) == 2 and np.isfinite(history[-1]["loss"])
    assert len(traces) == 1
    assert model.optimizer.iterations.numpy() == 8


def test_the_time_budget_counts_training_not_the_held_out_scoring(tmp_path, monkeypatch):
    """Scoring the held-out split after each epoch is not training: a fit whose first scoring
    is slow still trains as many seconds as its budget says."""
    import time

    import core.training as training

    real_score, calls = training.score, []

    def slow_first_score(*args, **kwargs):
        calls.append(1)
        if len(calls) == 1:
            time.sleep(3.0)  # longer than the whole budget
        return real_score(*args, **kwargs)

    monkeypatch.setattr(training, "score", slow_first_score)
    model = _classifier()
    x, y = _data(64)
    cfg = replace(
        TrainingConfig(), epochs=1000, batch_size=32, budget_s=2.5, patience=0, reduce_on_plateau=False
    )
    ctx = TrainContext(run_dir=tmp_path)
    history = ctx.fit(model, x, y, _data(20, seed=1), cfg)
    assert ctx.stop_reason == "budget"
    # Counting the scoring, the budget would have ended the fit after its first epoch.
    assert len(history) >= 3
    assert ctx.clock.scoring_s >= 3.0
    assert cfg.budget_s < ctx.clock.training_s() < ctx.clock.wall_s() - 3.0
    assert history[-1]["elapsed"] > cfg.budget_s + 3.0  # the events show the wall clock
