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

    def status(self, message: str) -> None:
        self.on_event("status", {"message": message})

    def fit(self, model, x, y, validation_data, cfg: TrainingConfig, extra_callbacks=()) -> list[dict]:
        """Fit with the house callbacks; returns one metrics dict per epoch."""
        keras = keras_module()
        history: list[dict] = []
        callbacks = [_progress_callback(self, cfg, history), *extra_callbacks]
        if cfg.patience > 0:
            callbacks.append(keras.callbacks.EarlyStopping(patience=cfg.patience, restore_best_weights=True))
        if cfg.reduce_on_plateau:
            callbacks.append(
                keras.callbacks.ReduceLROnPlateau(factor=0.5, patience=max(1, cfg.patience // 2 or 2))
            )
        from core.fast_layers import wants_xla

        first = x[0] if isinstance(x, list | tuple) else x
        n, timesteps = len(first), (first.shape[1] if first.ndim > 1 else 1)
        val_batch = cfg.batch_size
        if wants_xla(model, cfg.epochs * math.ceil(n / cfg.batch_size), timesteps):
            model.jit_compile = True
            x, y = _full_batches(x, y, cfg.batch_size, cfg.seed)
            if validation_data is not None and len(validation_data[1]) <= 4 * cfg.batch_size:
                val_batch = len(validation_data[1])  # one batch: one more shape to compile, not two
        model.fit(
            x,
            y,
            validation_data=validation_data,
            epochs=cfg.epochs,
            batch_size=cfg.batch_size,
            validation_batch_size=val_batch,
            shuffle=True,
            callbacks=callbacks,
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


def _full_batches(x, y, batch_size: int, seed: int):
    """x and y less a random remainder of fewer than `batch_size` samples: full batches only
    (one shape for XLA to compile; a last, smaller batch would be compiled again, seconds)."""
    import numpy as np

    first = x[0] if isinstance(x, list | tuple) else x
    n = len(first)
    if n <= batch_size or n % batch_size == 0:
        return x, y
    keep = np.sort(np.random.default_rng(seed).permutation(n)[: n - n % batch_size])
    take = (lambda a: [v[keep] for v in a]) if isinstance(x, list | tuple) else (lambda a: a[keep])
    return take(x), y[keep]


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
            self.t0 = time.time()

        def _progress(self, batch_fraction: float) -> float:
            by_epochs = (self.epoch + batch_fraction) / cfg.epochs
            by_budget = (time.time() - self.t0) / cfg.budget_s if cfg.budget_s else 0.0
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
            elif cfg.budget_s and time.time() - self.t0 > cfg.budget_s:
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
                        "elapsed": now - self.t0,
                    },
                )

        def on_epoch_end(self, epoch, logs=None):
            metrics = {k: _float(v) for k, v in (logs or {}).items()}
            metrics["lr"] = _float(self.model.optimizer.learning_rate)
            metrics["elapsed"] = time.time() - self.t0
            metrics["progress"] = self._progress(1.0)
            entry = {"epoch": epoch + 1, **metrics}
            history.append(entry)
            ctx.on_event("epoch", entry)
            if cfg.budget_s and time.time() - self.t0 > cfg.budget_s and not ctx.stop_reason:
                ctx.stop_reason = "budget"
                self.model.stop_training = True

    return Progress()
