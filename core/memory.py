"""The long-memory toy task: vanishing and exploding gradients, measured.

Each sequence is `length` random numbers (normal, mean 0) with one step marked
by a second input that is 1 there and 0 elsewhere; at the end the network says
whether the marked number was positive. Training sequences put the mark
anywhere, so short distances teach the gates what to do; the long-memory test
puts it in the first tenth of the sequence, at least 0.9 x length steps before
the answer.

Why not simply "the first number": a SimpleRNN's memory starts empty, so the
first input can push a few units into saturation and they stay there (we
measured 97% for a SimpleRNN at length 50). A mark in the middle of noise
needs a gate that opens only there, which is what LSTM and GRU cells have.

`input_gradient_norms` measures, with tf.GradientTape, how strongly the loss
reacts to the input `d` steps before the answer (d = 1 is the last step):
where that falls by a factor of thousands the network cannot learn from
far-back inputs (vanishing); where it grows, updates blow up (exploding).
"""

from __future__ import annotations

import time

import numpy as np

from core.config import ArchitectureConfig, MemoryConfig, TrainingConfig
from core.saving import save_run

CELLS = ("simple", "lstm", "gru")


def sequences(n: int, length: int, rng: np.random.Generator, last_mark: int | None = None):
    """x (n, length, 2): [number, mark]; y (n,): 1 if the marked number is positive; mark positions (n,)."""
    values = rng.normal(size=(n, length)).astype(np.float32)
    marks = rng.integers(0, last_mark or length, n)
    x = np.zeros((n, length, 2), np.float32)  # (batch, time, features)
    x[:, :, 0] = values
    x[np.arange(n), marks, 1] = 1.0
    y = (values[np.arange(n), marks] > 0).astype(np.float32)
    return x, y, marks


def long_test(length: int, n: int, seed: int):
    """Held-out sequences whose mark lies in the first tenth: at least 0.9 x length steps back."""
    return sequences(n, length, np.random.default_rng(seed + 1_000_003), max(1, length // 10))


def build_model(length: int, arch: ArchitectureConfig, scale: float = 1.0):
    """Input (length, 2) -> the shared recurrent stack -> P(marked number > 0)."""
    from core.models import recurrent_stack
    from core.tf import keras_module

    keras = keras_module()
    inputs = keras.Input(shape=(length, 2), name="sequence")  # (batch, time, 2)
    h = recurrent_stack(inputs, arch)  # (batch, units)
    out = keras.layers.Dense(1, activation="sigmoid", name="positive")(h)  # (batch, 1)
    model = keras.Model(inputs, out, name="memory")
    if scale != 1.0:
        scale_recurrent(model, scale)
    return model


def scale_recurrent(model, scale: float) -> None:
    """Multiply every recurrent weight matrix by `scale` (the size of what carries the memory)."""
    for layer in model.layers:
        cells = [getattr(layer, "forward_layer", None), getattr(layer, "backward_layer", None)]
        for rnn in [c for c in cells if c is not None] or [layer]:
            cell = getattr(rnn, "cell", None)
            if cell is not None and hasattr(cell, "recurrent_kernel"):
                cell.recurrent_kernel.assign(cell.recurrent_kernel * scale)


def input_gradient_norms(model, x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Mean norm of d(loss)/d(input at each step), ordered by distance from the answer: (length,).

    Element d-1 is the input d steps before the end (d = 1: the last input).
    """
    import tensorflow as tf

    from core.tf import keras_module

    keras = keras_module()
    xt = tf.convert_to_tensor(x)
    with tf.GradientTape() as tape:
        tape.watch(xt)
        loss = tf.reduce_mean(keras.losses.binary_crossentropy(y[:, None], model(xt, training=False)))
    grad = tape.gradient(loss, xt)  # (batch, time, features)
    norms = tf.norm(grad, axis=-1).numpy().mean(axis=0)  # (time,)
    return norms[::-1].astype(np.float64)


def untrained_norms(length: int, scale: float, units: int = 32, seed: int = 0, cells=CELLS, n: int = 128):
    """{cell: gradient norm by distance} for freshly initialised networks on the same inputs."""
    from core.tf import keras_module

    keras = keras_module()
    x, y, _ = long_test(length, n, seed)
    out = {}
    for cell in cells:
        keras.utils.set_random_seed(seed)
        model = build_model(length, ArchitectureConfig(cell=cell, units=units), scale)
        out[cell] = input_gradient_norms(model, x, y).tolist()
    return out


def accuracy(model, x: np.ndarray, y: np.ndarray) -> float:
    # Eager calls, not model.predict: predict traces a new graph for every fresh model (seconds each).
    p = np.concatenate(
        [np.asarray(model(x[i : i + 500], training=False))[:, 0] for i in range(0, len(x), 500)]
    )
    return float(np.mean((p > 0.5) == (y > 0.5)))


def clipping_demo(
    length: int = 50,
    scale: float = 3.0,
    clip: float = 1.0,
    steps: int = 15,
    learning_rate: float = 0.05,
    units: int = 32,
    seed: int = 0,
) -> dict:
    """The same SimpleRNN trained with plain SGD, without and with gradient clipping.

    Per step: the loss, the largest gradient norm, the size of the update (the
    largest change of any one weight matrix; the app's clip norm caps each
    matrix's gradient separately, so each change is at most learning rate x clip)
    and the size of all the weights before the step, for scale.
    """
    import tensorflow as tf

    from core.tf import keras_module

    keras = keras_module()
    x, y, _ = sequences(64, length, np.random.default_rng(seed))
    out = {"learning_rate": learning_rate, "clip": clip, "scale": scale}
    for name, clip_norm in (("unclipped", 0.0), ("clipped", clip)):
        keras.utils.set_random_seed(seed)
        model = build_model(length, ArchitectureConfig(cell="simple", units=units), scale)
        opt = keras.optimizers.SGD(learning_rate=learning_rate, clipnorm=clip_norm or None)
        rows = []
        for _ in range(steps):
            before = [w.numpy() for w in model.trainable_weights]
            with tf.GradientTape() as tape:
                loss = tf.reduce_mean(keras.losses.binary_crossentropy(y[:, None], model(x, training=True)))
            grads = tape.gradient(loss, model.trainable_weights)
            opt.apply_gradients(zip(grads, model.trainable_weights, strict=True))
            after = [w.numpy() for w in model.trainable_weights]
            rows.append(
                {
                    "loss": float(loss),
                    "grad_norm": float(max(np.linalg.norm(g) for g in grads)),
                    "update_norm": float(
                        max(np.linalg.norm(a - b) for a, b in zip(after, before, strict=True))
                    ),
                    # all weights, before the step
                    "weight_norm": float(np.sqrt(sum(np.sum(b**2) for b in before))),
                }
            )
        out[name] = rows
    return out


def train(cfg: MemoryConfig, ctx) -> dict:
    """Measure gradients, train briefly, measure again; save the model like any run."""
    from core.training import make_optimizer

    start = time.time()
    length, seed = cfg.length, cfg.train.seed
    rng = np.random.default_rng(seed)
    ctx.status("Making sequences...")
    n_val = max(100, int(cfg.samples * cfg.train.val_fraction))
    x, y, _ = sequences(cfg.samples, length, rng)
    xv, yv, _ = sequences(n_val, length, rng)
    xl, yl, _ = long_test(length, 1000, seed)
    ctx.set_fingerprint(f"memory-length{length}-samples{cfg.samples}-seed{seed}")
    model = build_model(length, cfg.arch, cfg.recurrent_scale)
    before = {
        "norms": input_gradient_norms(model, xl[:256], yl[:256]).tolist(),
        "accuracy": accuracy(model, xl, yl),
    }
    model.compile(optimizer=make_optimizer(cfg.train), loss="binary_crossentropy", metrics=["accuracy"])
    ctx.status("Training...")
    history = ctx.fit(model, x, y, (xv, yv), cfg.train)
    after = {
        "norms": input_gradient_norms(model, xl[:256], yl[:256]).tolist(),
        "accuracy": accuracy(model, xl, yl),
    }
    chance = float(max(yl.mean(), 1 - yl.mean()))
    final = {
        "task": "memory",
        "cell": cfg.arch.cell,
        "length": length,
        "recurrent_scale": cfg.recurrent_scale,
        "test": {"accuracy": after["accuracy"], "accuracy_untrained": before["accuracy"], "chance": chance},
        "gradient_ratio": after["norms"][-1] / after["norms"][0],
        "gradient_ratio_untrained": before["norms"][-1] / before["norms"][0],
        "epochs": len(history),
        "val_loss": min((h["val_loss"] for h in history), default=float("nan")),
        "train_seconds": round(time.time() - start, 2),
    }
    display = {"before": before, "after": after, "chance": chance, "test_size": len(yl)}
    save_run(ctx.run_dir, model, cfg, final, display)
    return {"final": final, "display": display, "history": history}


def config_for(
    cell: str,
    length: int = 50,
    scale: float = 1.0,
    epochs: int = 5,
    units: int = 32,
    seed: int = 0,
    samples: int = 4000,
) -> MemoryConfig:
    train = TrainingConfig(epochs=epochs, batch_size=64, learning_rate=3e-3, seed=seed)
    arch = ArchitectureConfig(cell=cell, units=units)
    return MemoryConfig(length=length, recurrent_scale=scale, samples=samples, arch=arch, train=train)
