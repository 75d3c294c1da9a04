"""The text model's output dropout: chosen by the run's length, one mask per sequence, and
gone at generation time (the numpy stepper and Keras agree)."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from core.config import (
    AUTO_DROPOUT,
    SHORT_RUN_S,
    ArchitectureConfig,
    ConfigError,
    TextConfig,
    from_dict,
    to_dict,
)
from core.textgen import build_char_model
from core.textsample import stepper_from_model


def _with_budget(budget_s: float, **fields) -> TextConfig:
    cfg = TextConfig(**fields)
    return replace(cfg, train=replace(cfg.train, budget_s=budget_s))


def test_short_runs_train_without_dropout_and_long_ones_with_it():
    assert _with_budget(35).dropout_rate() == 0.0  # the quick preset
    assert _with_budget(SHORT_RUN_S).dropout_rate() == 0.0
    assert _with_budget(300).dropout_rate() == AUTO_DROPOUT  # the 5-minute preset
    assert _with_budget(0).dropout_rate() == AUTO_DROPOUT  # no budget: all its epochs
    assert _with_budget(35, output_dropout=0.1).dropout_rate() == 0.1  # a chosen rate wins
    assert _with_budget(300, output_dropout=0.0).dropout_rate() == 0.0


def test_a_run_saved_before_the_setting_reproduces_without_dropout():
    saved = to_dict(_with_budget(300))
    assert from_dict(TextConfig, saved).dropout_rate() == AUTO_DROPOUT
    del saved["output_dropout"]  # as stored by the version before the setting
    assert from_dict(TextConfig, saved).dropout_rate() == 0.0


@pytest.mark.parametrize("rate", [-0.5, 0.9, 1.5])
def test_bad_dropout_is_refused(rate):
    with pytest.raises(ConfigError, match="output dropout"):
        TextConfig(output_dropout=rate)


def test_dropout_hides_whole_units_for_a_sequence_and_only_while_training():
    cfg = _with_budget(300, embed_dim=8, arch=ArchitectureConfig(cell="gru", units=16))
    model = build_char_model(cfg, vocab_size=12)
    layer = model.get_layer("output_dropout")
    h = np.ones((3, 7, 16), "float32")
    dropped = np.asarray(layer(h, training=True))
    kept = dropped != 0
    assert (kept == kept[:, :1, :]).all()  # the same units at every character of a sequence
    assert 0 < kept[:, 0, :].mean() < 1
    np.testing.assert_allclose(dropped[kept], 1 / (1 - AUTO_DROPOUT), rtol=1e-6)
    assert (np.asarray(layer(h, training=False)) == h).all()
    ids = np.random.default_rng(0).integers(1, 12, (2, 9))
    first = np.asarray(model(ids, training=False))
    np.testing.assert_array_equal(first, np.asarray(model(ids, training=False)))
    # the numpy stepper the pages generate with skips the dropout layer and agrees with Keras
    stepper = stepper_from_model(model)
    for row in range(ids.shape[0]):
        stepper.state = stepper.stack.zero_state()
        for t in range(ids.shape[1]):
            np.testing.assert_allclose(stepper.step(int(ids[row, t])), first[row, t], atol=1e-5)


def test_the_cool_down_holds_then_falls_to_a_tenth_by_budget_or_epochs():
    from core.config import TrainingConfig
    from core.text_callbacks import HOLD_S, lr_scale

    by_epochs = TrainingConfig(epochs=10)
    assert lr_scale(by_epochs, 7.9, 1e6) == 1.0  # no budget: the clock does not count
    assert lr_scale(by_epochs, 9.0, 0.0) == pytest.approx(0.55)
    assert lr_scale(by_epochs, 10.0, 0.0) == pytest.approx(0.1)
    long = TrainingConfig(epochs=20, budget_s=300.0)  # held HOLD_S seconds, not 80% of 300 s
    assert lr_scale(long, 0.0, HOLD_S - 1) == 1.0
    assert lr_scale(long, 0.0, HOLD_S + (300 - HOLD_S) / 2) == pytest.approx(0.55)
    assert lr_scale(long, 19.0, 0.0) < 1.0  # the epochs count too, whichever is further
    assert lr_scale(long, 0.0, 400.0) == pytest.approx(0.1)
