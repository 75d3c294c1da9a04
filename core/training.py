"""The fit loop every task shares: optimiser, callbacks, stop flag, progress events.

Progress leaves through a plain callable `on_event(kind, payload)`:
- "batch": {"epoch", "batch", "batches", "loss", "progress", "elapsed"} every few seconds
- "epoch": {"epoch", "loss", "val_loss", ..., "lr", "elapsed", "progress"} after each epoch
- "status": {"message"} for anything a person should read
so core stays testable and the caller decides how to draw it.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from core.config import TrainingConfig
from core.errors import TrainingError  # noqa: F401  (re-exported)
from core.tf import keras_module

EventFn = Callable[[str, dict], None]


class FitClock:
    """Seconds of training since a fit began, without the time spent scoring the held-out
    split after each epoch: scoring is not training, so the time budget, the progress and the
    learning-rate cool-down count only training (the default text model's held-out text took
    3.2 s of a 60 s budget on a 2-core AVX2 machine, measured 2026-12-01)."""

    def __init__(self) -> None:
        self.t0 = time.time()
        self.scoring_s = 0.0

    def training_s(self) -> float:
        return time.time() - self.t0 - self.scoring_s

    def wall_s(self) -> float:
        return time.time() - self.t0


def _noop(kind: str, payload: dict) -> None:
    pass


@dataclass
class TrainContext:
    """What a task's trainer gets from the job that runs it."""

    run_dir: Path
    on_event: EventFn = _noop
    stop_event: threading.Event = field(default_factory=threading.Event)
    set_fingerprint: Callable[[str], None] = lambda fp: None
    batch_event_every_s: float = 2.0
    stop_reason: str = ""  # "user", "budget", "early", "nan" once training ended early
    started: float = field(default_factory=time.time)
    clock: FitClock = field(default_factory=FitClock)  # a new one at the start of every fit

    def status(self, message: str) -> None:
        self.on_event("status", {"message": message})

    def fit(self, model, x, y, validation_data, cfg: TrainingConfig, extra_callbacks=()) -> list[dict]:
        """Fit with the house callbacks; returns one metrics dict per epoch.

        The batches come from one repeating, reshuffled tf.data pipeline for the whole fit,
        and the held-out split is scored by `_validation` straight from the arrays: Keras
        makes a new tf.data iterator per epoch for the training arrays and another for each
        validation, and destroying one stalled the training process about 1.1 s, in a third
        to a half of the epochs on 2 busy cores (default text model, 12 epochs of 15 steps:
        21.6 s against 18.7 s; measured 2026-12-01).
        """
        keras = keras_module()
        history: list[dict] = []
        from core.fast_layers import wants_xla

        first = x[0] if isinstance(x, list | tuple) else x
        n, timesteps = len(first), (first.shape[1] if first.ndim > 1 else 1)
        b = cfg.batch_size
        full_only = False
        val_batch = b
        if wants_xla(model, cfg.epochs * math.ceil(n / b), timesteps):
            # XLA compiles once per input shape (seconds): full batches only, each epoch
            # leaving out a different random remainder, and a small held-out split in one batch.
            model.jit_compile = True
            full_only = n > b
            if validation_data is not None and len(validation_data[1]) <= 4 * b:
                val_batch = len(validation_data[1])
        steps = n // b if full_only else math.ceil(n / b)
        self.clock = FitClock()
        callbacks = [
            _validation(validation_data, val_batch, self.clock),
            _progress_callback(self, cfg, history),
            *extra_callbacks,
        ]
        if cfg.patience > 0:
            callbacks.append(keras.callbacks.EarlyStopping(patience=cfg.patience, restore_best_weights=True))
        if cfg.reduce_on_plateau:
            callbacks.append(
                keras.callbacks.ReduceLROnPlateau(factor=0.5, patience=max(1, cfg.patience // 2 or 2))
            )
        _build_state(model, x, y, b)
        model.fit(
            _batches(x, y, b, cfg.seed, full_only),
            steps_per_epoch=steps,
            epochs=cfg.epochs,
            callbacks=callbacks,
            shuffle=False,  # _batches shuffles
            verbose=0,
        )
        if self.stop_reason == "" and len(history) < cfg.epochs:
            self.stop_reason = "early"
        if self.stop_reason == "nan":
            raise TrainingError(
                "The loss became NaN (not a number), so training stopped. Turn on gradient"
                " clipping (clip norm 1.0) or lower the learning rate, then train again."
            )
        return history


def _build_state(model, x, y, batch_size: int) -> None:
    """Make the metrics', loss's and optimizer's variables before the first step. Made inside
    it (Keras's default without a distribution strategy), they make tf.function trace the whole
    training step twice: 0.3-0.4 s of the forecasting page's 1.4 s fit (measured 2026-12-01)."""
    head = (_rows(x, slice(batch_size)), y[:batch_size], None)
    build = getattr(model, "_symbolic_build", None)  # Keras 3's own, from symbolic tensors
    if build is not None:
        build(data_batch=head)
    elif not model.optimizer.built:
        model.optimizer.build(model.trainable_variables)


def _rows(x, part: slice):
    """The rows `part` of the model's input: an array, or a list of arrays (several inputs)."""
    return [v[part] for v in x] if isinstance(x, list | tuple) else x[part]


def _batches(x, y, batch_size: int, seed: int, full_only: bool):
    """Every epoch a new permutation of the samples in batches, repeated without end (the fit
    sets the steps per epoch): one iterator for the whole fit. `full_only` drops the
    remainder of fewer than `batch_size` samples (a different one each epoch)."""
    import tensorflow as tf

    xs = tuple(tf.convert_to_tensor(v) for v in x) if isinstance(x, list | tuple) else tf.convert_to_tensor(x)
    ys = tf.convert_to_tensor(y)
    n = int(ys.shape[0])

    def take(idx):
        return tf.nest.map_structure(lambda a: tf.gather(a, idx), xs), tf.gather(ys, idx)

    order = tf.data.Dataset.range(n).shuffle(n, seed=seed, reshuffle_each_iteration=True)
    options = tf.data.Options()
    # tf.data's autotuning thread made destroying an iterator wait up to about 1 s beside
    # a training (100 ms when idle); the buffer sizes here are fixed, so there is nothing to tune.
    options.autotune.enabled = False
    return (
        order.batch(batch_size, drop_remainder=full_only).map(take).repeat().prefetch(2).with_options(options)
    )


def _validation(validation_data, batch_size: int, clock: FitClock):
    """A callback that scores the held-out split after each epoch into the epoch's logs
    (`val_loss`, `val_<metric>`), batch by batch through the model's own test step, as
    Keras's evaluate does but without a tf.data iterator. It runs before the callbacks
    that read those logs (history, early stopping, the plateau schedule), and its time is
    left out of the fit's training clock."""
    keras = keras_module()

    class Validation(keras.callbacks.Callback):
        def on_epoch_end(self, epoch, logs=None):
            if validation_data is None or logs is None:
                return
            t = time.time()
            logs.update({f"val_{k}": v for k, v in score(self.model, *validation_data, batch_size).items()})
            clock.scoring_s += time.time() - t

    return Validation()


def score(model, x, y, batch_size: int) -> dict[str, float]:
    """The compiled loss and metrics of `model` on (x, y), averaged over samples like
    `model.evaluate`, from the arrays in batches (no tf.data iterator)."""
    import numpy as np

    first = x[0] if isinstance(x, list | tuple) else x
    n = len(first)
    model.make_test_function()
    model.reset_metrics()
    logs = {}
    for start in range(0, n, batch_size):
        part = slice(start, start + batch_size)
        logs = model.test_function(iter([(_rows(x, part), y[part], None)]))
    return {k: float(np.asarray(v)) for k, v in logs.items()}


def predict(model, x, batch_size: int = 512):
    """`model.predict` of an array in batches of `batch_size`, without a tf.data pipeline
    (which cost about 50 ms a call, and the iterator's end sometimes a second)."""
    import numpy as np

    parts = [model.predict_on_batch(x[i : i + batch_size]) for i in range(0, len(x), batch_size)]
    return np.concatenate(parts) if parts else model.predict_on_batch(x)


def make_optimizer(cfg: TrainingConfig):
    keras = keras_module()
    cls = {
        "adam": keras.optimizers.Adam,
        "rmsprop": keras.optimizers.RMSprop,
        "sgd": keras.optimizers.SGD,
    }[cfg.optimizer]
    return cls(learning_rate=cfg.learning_rate, clipnorm=cfg.clip_norm or None)


def _float(value) -> float:
    return float(value.numpy() if hasattr(value, "numpy") else value)


def _progress_callback(ctx: TrainContext, cfg: TrainingConfig, history: list[dict]):
    # The class is made at first use so that importing this module stays cheap.
    keras = keras_module()

    class Progress(keras.callbacks.Callback):
        def __init__(self) -> None:
            super().__init__()
            self.epoch = 0
            self.last_emit = 0.0  # the first batch reports at once: a live point within seconds
            self.clock = ctx.clock

        def _progress(self, batch_fraction: float) -> float:
            by_epochs = (self.epoch + batch_fraction) / cfg.epochs
            by_budget = self.clock.training_s() / cfg.budget_s if cfg.budget_s else 0.0
            return min(1.0, max(by_epochs, by_budget))

        def on_epoch_begin(self, epoch, logs=None):
            self.epoch = epoch

        def on_train_batch_end(self, batch, logs=None):
            logs = logs or {}
            loss = _float(logs.get("loss", float("nan")))
            if math.isnan(loss) or math.isinf(loss):
                ctx.stop_reason = "nan"
                self.model.stop_training = True
                return
            if ctx.stop_event.is_set():
                ctx.stop_reason = "user"
                self.model.stop_training = True
            elif cfg.budget_s and self.clock.training_s() > cfg.budget_s:
                ctx.stop_reason = "budget"
                self.model.stop_training = True
            now = time.time()
            if now - self.last_emit >= ctx.batch_event_every_s:
                self.last_emit = now
                batches = self.params.get("steps") or 0
                frac = (batch + 1) / batches if batches else 0.0
                ctx.on_event(
                    "batch",
                    {
                        "epoch": self.epoch + 1,
                        "batch": batch + 1,
                        "batches": batches,
                        "loss": loss,
                        "progress": self._progress(frac),
                        "elapsed": self.clock.wall_s(),
                    },
                )

        def on_epoch_end(self, epoch, logs=None):
            metrics = {k: _float(v) for k, v in (logs or {}).items()}
            metrics["lr"] = _float(self.model.optimizer.learning_rate)
            metrics["elapsed"] = self.clock.wall_s()
            metrics["progress"] = self._progress(1.0)
            entry = {"epoch": epoch + 1, **metrics}
            history.append(entry)
            ctx.on_event("epoch", entry)
            if cfg.budget_s and self.clock.training_s() > cfg.budget_s and not ctx.stop_reason:
                ctx.stop_reason = "budget"
                self.model.stop_training = True

    return Progress()
