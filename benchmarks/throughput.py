"""Training throughput of the default Shakespeare model, in characters (tokens) per second.

Paths on the same data, batch and sequence length, taking turns over ROUNDS rounds
(medians), which shares most of a shared machine's drift between them:
- ours: the app's own path, `TrainContext.fit` with its live-progress callback (per-batch
  stop/budget/NaN checks, batch events) on the fast recurrent layers (core.fast_layers),
  compiled with XLA where the app would compile this run (`wants_xla` for the default
  run's planned steps);
- bare: `model.fit` of the same model with no callbacks (issue 8: ours >= 0.95x bare);
- before: Keras's own GRU loop through the same `TrainContext.fit` (RNN_STUDIO_FAST_RNN=0,
  which is what the app ran before issue 18);
- pytorch: `nn.Embedding + nn.GRU + nn.Linear` of the same shapes, Adam and clipping, in
  its own process (`benchmarks.torch_peer`; TensorFlow and torch in one process crash),
  only where `torch` is installed in the benchmark's interpreter (never an app dependency).
Each path is timed over its steps only, from the first batch's start to the last batch's
end (a callback's clock, wall and CPU), as the peer times its loop: setting up and tearing
down a fit's data pipeline is once per training, not per step.
Targets (issue 18): ours >= 1.0x PyTorch. Every figure carries the load average beside it.
Run: `flock /tmp/rnn-cpu.lock python -m benchmarks throughput`.
"""

from __future__ import annotations

import math
import os
import tempfile
import time
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path

import numpy as np

STEPS = 15  # timed batches per path and round
ROUNDS = 3
WARMUP = 5


@contextmanager
def _env(**values):
    old = {k: os.environ.get(k) for k in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for k, v in old.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


def _load() -> float:
    return round(os.getloadavg()[0], 2)


def _data(cfg):
    from core import textgen

    corpus = textgen.prepare(cfg)
    x, y = textgen.sequences(corpus.ids[: corpus.n_train], cfg.seq_len)
    return x, y, corpus.vocab.size


def _clock():
    """A callback holding the wall and CPU time from the first batch's start to the last's end."""
    from core.tf import keras_module

    keras = keras_module()

    class Clock(keras.callbacks.Callback):
        def on_train_batch_begin(self, batch, logs=None):
            if batch == 0:
                self.start = (time.perf_counter(), time.process_time())

        def on_train_batch_end(self, batch, logs=None):
            self.end = (time.perf_counter(), time.process_time())

        def seconds(self) -> tuple[float, float]:
            return self.end[0] - self.start[0], self.end[1] - self.start[1]

    return Clock()


def _model(cfg, vocab_size: int, fast: bool):
    from core import textgen
    from core.tf import keras_module
    from core.training import make_optimizer

    keras = keras_module()
    keras.utils.set_random_seed(0)
    with _env(RNN_STUDIO_FAST_RNN="1" if fast else "0"):
        model = textgen.build_char_model(cfg, vocab_size)
        model.compile(optimizer=make_optimizer(cfg.train), loss="sparse_categorical_crossentropy")
    return model


def run() -> list[dict]:
    from benchmarks import torch_peer
    from core.config import TextConfig
    from core.fast_layers import wants_xla
    from core.training import TrainContext

    cfg = TextConfig()  # the page's and the CLI's default Shakespeare model, as a one-minute run trains it
    cfg = replace(cfg, train=replace(cfg.train, budget_s=torch_peer.THROUGHPUT_BUDGET_S))
    assert cfg.dropout_rate() == 0.0
    x, y, vocab_size = _data(cfg)
    b = cfg.train.batch_size
    planned = cfg.train.epochs * math.ceil(len(x) / b)
    ours_model, before_model = _model(cfg, vocab_size, True), _model(cfg, vocab_size, False)
    xla = wants_xla(ours_model, planned, cfg.seq_len)
    one_epoch = replace(cfg.train, epochs=1, budget_s=0.0)
    per_round = STEPS * b
    loads = {"start": _load()}

    peer, why = None, ""
    ok, info = torch_peer.available()
    if ok:
        try:
            peer = torch_peer.Peer(WARMUP)
        except (OSError, RuntimeError) as exc:
            why = f"skipped: the PyTorch peer did not start ({exc})"
    else:
        why = info

    with tempfile.TemporaryDirectory() as tmp:
        ctx = TrainContext(run_dir=Path(tmp))

        def ours(xr, yr, clock):
            with _env(RNN_STUDIO_FAST_RNN="1", RNN_STUDIO_XLA="1" if xla else "0"):
                ctx.fit(ours_model, xr, yr, None, one_epoch, extra_callbacks=[clock])

        def before(xr, yr, clock):
            with _env(RNN_STUDIO_FAST_RNN="0"):
                ctx.fit(before_model, xr, yr, None, one_epoch, extra_callbacks=[clock])

        def bare(xr, yr, clock):
            with _env(RNN_STUDIO_FAST_RNN="1"):
                ours_model.fit(xr, yr, batch_size=b, epochs=1, verbose=0, shuffle=True, callbacks=[clock])

        paths = {"ours": ours, "bare": bare, "before": before}
        warm = slice(0, WARMUP * b)
        compile_s = {}
        for name, fn in paths.items():  # tracing (and XLA compiling) happen here, untimed
            t = time.perf_counter()
            fn(x[warm], y[warm], _clock())
            compile_s[name] = round(time.perf_counter() - t, 1)
        rates: dict[str, list[float]] = {name: [] for name in [*paths, "pytorch"]}
        per_cpu: dict[str, list[float]] = {name: [] for name in rates}
        start = WARMUP * b
        for r in range(ROUNDS):
            part = slice(start + r * per_round, start + (r + 1) * per_round)
            for name, fn in paths.items():
                time.sleep(0.5)  # the other path's spinning threads go to sleep first
                clock = _clock()
                fn(x[part], y[part], clock)
                wall, cpu = clock.seconds()
                rates[name].append(x[part].size / wall)
                per_cpu[name].append(x[part].size / cpu)
            if peer is not None:
                time.sleep(0.5)
                rate, cpu_rate = peer.round(STEPS)
                rates["pytorch"].append(rate)
                per_cpu["pytorch"].append(cpu_rate)
        loads["end"] = _load()
    if peer is not None:
        peer.close()

    med = {k: float(np.median(v)) for k, v in rates.items() if v}
    record = {
        "benchmark": "training_throughput_shakespeare_default",
        "model": f"{cfg.arch.summary()}, embedding {cfg.embed_dim}, batch {b} x {cfg.seq_len}",
        "ours_chars_per_s": round(med["ours"]),
        "xla": xla,
        "first_steps_s": compile_s,
        "bare_keras_chars_per_s": round(med["bare"]),
        "ratio_to_bare_keras": round(med["ours"] / med["bare"], 3),
        "before_chars_per_s": round(med["before"]),
        "reference_before": "Keras's own GRU loop, same fit path (RNN_STUDIO_FAST_RNN=0)",
        "speedup_over_before": round(med["ours"] / med["before"], 2),
        "rounds": {k: [round(v) for v in vs] for k, vs in rates.items() if vs},
        # Per second of the process's own CPU time: what a busy machine's other programs move least.
        "chars_per_cpu_s": {k: round(float(np.median(vs))) for k, vs in per_cpu.items() if vs},
        "load_average": loads,
        "cpus": os.cpu_count(),
        "target_ratio_to_pytorch": 1.0,
    }
    if "pytorch" in med:
        record["pytorch_chars_per_s"] = round(med["pytorch"])
        record["pytorch"] = f"torch {peer.info.get('torch')}, {peer.info.get('threads')} threads, own process"
        record["ratio_to_pytorch"] = round(med["ours"] / med["pytorch"], 3)
        cpu_med = {k: float(np.median(vs)) for k, vs in per_cpu.items() if vs}
        record["ratio_to_pytorch_per_cpu_s"] = round(cpu_med["ours"] / cpu_med["pytorch"], 3)
        record["met"] = med["ours"] >= med["pytorch"]
    else:
        record["pytorch"] = why
        record["met"] = None
    return [record]
