"""Training throughput of the default Shakespeare model, in characters (tokens) per second.

Three paths on the same data, batch and sequence length, in one process:
- ours: the app's own path, `TrainContext.fit` with its live-progress callback
  (per-batch stop/budget/NaN checks, batch events), as the pages run it;
- bare: `model.fit` of the same Keras model with no callbacks;
- torch: a plain PyTorch `nn.Embedding + nn.GRU/LSTM + nn.Linear` loop of the same size,
  only where `torch` is installed in the benchmark's environment (never an app dependency).
The model first trains a few warm-up batches (tracing); then the two Keras paths take turns
on the same model over ROUNDS rounds (medians), which cancels most of a shared machine's drift.
Target (issue 8): ours at 0.95x bare or better. Run: `python -m benchmarks throughput`.
"""

from __future__ import annotations

import tempfile
import time
from pathlib import Path

import numpy as np

STEPS = 45  # timed batches per path, split over ROUNDS alternating rounds
ROUNDS = 3
WARMUP = 5


def _data(cfg):
    from core import textgen

    corpus = textgen.prepare(cfg)
    x, y = textgen.sequences(corpus.ids[: corpus.n_train], cfg.seq_len)
    n = (STEPS + WARMUP) * cfg.train.batch_size
    reps = int(np.ceil(n / len(x)))
    return np.tile(x, (reps, 1))[:n], np.tile(y, (reps, 1))[:n], corpus.vocab.size


def _keras_rates(cfg, x, y, vocab_size) -> tuple[float, float]:
    """(ours, bare) chars/s: one model, the two paths alternating over ROUNDS (medians).

    Alternating on the same model cancels most of the drift of a shared machine.
    """
    from core import textgen
    from core.config import TrainingConfig
    from core.tf import keras_module
    from core.training import TrainContext, make_optimizer

    keras = keras_module()
    keras.backend.clear_session()
    keras.utils.set_random_seed(0)
    model = textgen.build_char_model(cfg, vocab_size)
    model.compile(optimizer=make_optimizer(cfg.train), loss="sparse_categorical_crossentropy")
    b = cfg.train.batch_size
    model.fit(x[: WARMUP * b], y[: WARMUP * b], batch_size=b, epochs=1, verbose=0)
    xs, ys = x[WARMUP * b :], y[WARMUP * b :]
    per_round = STEPS // ROUNDS * b  # the same batches for both paths in a round
    ours, bare = [], []
    with tempfile.TemporaryDirectory() as tmp:
        ctx = TrainContext(run_dir=Path(tmp))
        for r in range(ROUNDS):
            xr, yr = xs[r * per_round : (r + 1) * per_round], ys[r * per_round : (r + 1) * per_round]
            t = time.perf_counter()
            model.fit(xr, yr, batch_size=b, epochs=1, verbose=0, shuffle=True)
            bare.append(xr.size / (time.perf_counter() - t))
            t = time.perf_counter()
            ctx.fit(model, xr, yr, None, TrainingConfig(epochs=1, batch_size=b))
            ours.append(xr.size / (time.perf_counter() - t))
    return float(np.median(ours)), float(np.median(bare))


def _torch_rate(cfg, x, y, vocab_size) -> float | None:
    try:
        import torch
    except ImportError:
        return None
    torch.manual_seed(0)
    torch.set_num_threads(max(1, __import__("os").cpu_count() or 1))
    rnn = {"gru": torch.nn.GRU, "lstm": torch.nn.LSTM, "simple": torch.nn.RNN}[cfg.arch.cell]

    class Net(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.emb = torch.nn.Embedding(vocab_size, cfg.embed_dim)
            self.rnn = rnn(cfg.embed_dim, cfg.arch.units, num_layers=cfg.arch.layers, batch_first=True)
            self.out = torch.nn.Linear(cfg.arch.units, vocab_size)

        def forward(self, ids):
            h, _ = self.rnn(self.emb(ids))  # (batch, time, units)
            return self.out(h)

    net = Net()
    opt = torch.optim.Adam(net.parameters(), lr=cfg.train.learning_rate)
    loss_fn = torch.nn.CrossEntropyLoss()
    b = cfg.train.batch_size
    xt, yt = torch.from_numpy(x).long(), torch.from_numpy(y).long()

    def step(i: int) -> None:
        opt.zero_grad()
        logits = net(xt[i * b : (i + 1) * b])
        loss = loss_fn(logits.reshape(-1, vocab_size), yt[i * b : (i + 1) * b].reshape(-1))
        loss.backward()
        torch.nn.utils.clip_grad_norm_(net.parameters(), 1.0)
        opt.step()

    for i in range(WARMUP):
        step(i)
    t = time.perf_counter()
    for i in range(WARMUP, WARMUP + STEPS):
        step(i)
    return STEPS * b * cfg.seq_len / (time.perf_counter() - t)


def run() -> list[dict]:
    from core.config import TextConfig

    cfg = TextConfig()  # the page's and the CLI's default Shakespeare model
    x, y, vocab_size = _data(cfg)
    ours, bare = _keras_rates(cfg, x, y, vocab_size)
    torch_rate = _torch_rate(cfg, x, y, vocab_size)
    record = {
        "benchmark": "training_throughput_shakespeare_default",
        "model": f"{cfg.arch.summary()}, embedding {cfg.embed_dim}, batch {cfg.train.batch_size} x {cfg.seq_len}",
        "ours_chars_per_s": round(ours),
        "reference": "bare model.fit of the same Keras model, no callbacks",
        "bare_keras_chars_per_s": round(bare),
        "ratio_to_bare_keras": round(ours / bare, 3),
        "target_ratio_to_bare_keras": 0.95,
        "met": ours / bare >= 0.95,
    }
    if torch_rate is None:
        record["pytorch"] = "skipped: torch is not installed (pip install torch in a separate environment)"
    else:
        record["pytorch_chars_per_s"] = round(torch_rate)
        record["ratio_to_pytorch"] = round(ours / torch_rate, 3)
    return [record]
