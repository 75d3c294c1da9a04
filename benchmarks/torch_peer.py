"""The PyTorch peer of the default Shakespeare model, run in its own process.

TensorFlow and torch in one process crash (a segmentation fault, exit 139), so the
benchmarks start this module with `python -m benchmarks.torch_peer MODE ...` and read
the JSON line it prints. It never imports TensorFlow. `torch` is not an app dependency:
`available()` says whether the benchmark's interpreter has it, and why not.

The model has exactly the app's shapes: Embedding(vocab, embed) -> GRU/LSTM/RNN(units,
layers) -> the app's output dropout (one mask per sequence, at the rate the app picks
for the budget) -> Linear(vocab), trained with Adam at the config's learning rate,
gradient clipping at its clip norm, on the same non-overlapping training sequences,
batch size and held-out split (the last 10% of the text, scored in passages of 1,000
characters with the state carried within each), and the app's cool-down of the learning
rate (`core.text_callbacks`: full rate for 80% of the budget, at most HOLD_S seconds).

Modes:
- `throughput --warmup W --steps S`: characters per second of S training steps;
- `serve`: the same steps in rounds on request (`Peer`), so a benchmark can alternate
  rounds of its own paths with PyTorch's and share the machine's drift between them;
- `quality --budget-s B --seed S`: held-out nats per character after B seconds of training.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from dataclasses import replace
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]


def available() -> tuple[bool, str]:
    """(True, version) where this interpreter can import torch, else (False, the reason)."""
    out = subprocess.run(
        [sys.executable, "-c", "import torch; print(torch.__version__)"],
        capture_output=True,
        text=True,
    )
    if out.returncode != 0:
        return False, "skipped: torch is not installed in this interpreter (it is never an app dependency)"
    return True, out.stdout.strip()


def run_peer(mode: str, *args: str, timeout: float = 1200) -> dict:
    """Run this module in a fresh interpreter; its JSON result, or {"skipped"/"error": why}."""
    ok, why = available()
    if not ok:
        return {"skipped": why}
    out = subprocess.run(
        [sys.executable, "-m", "benchmarks.torch_peer", mode, *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=timeout,
        env=os.environ.copy(),
    )
    if out.returncode != 0:
        return {"error": f"exit {out.returncode}: {out.stderr.strip()[-400:]}"}
    return json.loads(out.stdout.strip().splitlines()[-1])


def _net(torch, cfg, vocab_size: int):
    rnn = {"gru": torch.nn.GRU, "lstm": torch.nn.LSTM, "simple": torch.nn.RNN}[cfg.arch.cell]
    rate = cfg.dropout_rate()

    class Net(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.emb = torch.nn.Embedding(vocab_size, cfg.embed_dim)
            self.rnn = rnn(cfg.embed_dim, cfg.arch.units, num_layers=cfg.arch.layers, batch_first=True)
            self.out = torch.nn.Linear(cfg.arch.units, vocab_size)

        def forward(self, ids, state=None):
            h, state = self.rnn(self.emb(ids), state)  # (batch, time, units)
            if self.training and rate > 0:  # one mask per sequence, as the app's Dropout(noise_shape)
                keep = torch.bernoulli(torch.full((h.shape[0], 1, h.shape[2]), 1.0 - rate))
                h = h * keep / (1.0 - rate)
            return self.out(h), state

    return Net()


# Throughput is measured on the model as a one-minute run trains it (no output dropout),
# the same in `benchmarks.throughput`.
THROUGHPUT_BUDGET_S = 60.0


def _setup(seed: int, budget_s: float = THROUGHPUT_BUDGET_S):
    import torch

    from core.config import TextConfig
    from core.textgen import VAL_PASSAGE, prepare, sequences

    torch.manual_seed(seed)
    torch.set_num_threads(max(1, os.cpu_count() or 1))
    cfg = TextConfig()  # the page's and the CLI's default model, with the run's budget
    cfg = replace(cfg, train=replace(cfg.train, budget_s=budget_s))
    corpus = prepare(cfg)
    x, y = sequences(corpus.ids[: corpus.n_train], cfg.seq_len)
    xv, yv = sequences(corpus.ids[corpus.n_train :], VAL_PASSAGE)
    net = _net(torch, cfg, corpus.vocab.size)
    opt = torch.optim.Adam(net.parameters(), lr=cfg.train.learning_rate)
    return torch, cfg, corpus, (x, y, xv, yv), net, opt


def _step(torch, net, opt, cfg, xb, yb, vocab_size: int) -> float:
    opt.zero_grad()
    logits, _ = net(xb)
    loss = torch.nn.functional.cross_entropy(logits.reshape(-1, vocab_size), yb.reshape(-1))
    loss.backward()  # (the loss is read after the step, as the app reads its loss every batch)
    if cfg.train.clip_norm:
        torch.nn.utils.clip_grad_norm_(net.parameters(), cfg.train.clip_norm)
    opt.step()
    return float(loss.detach())


def throughput(warmup: int, steps: int) -> dict:
    torch, cfg, corpus, (x, y, _, _), net, opt = _setup(0)
    b, v = cfg.train.batch_size, corpus.vocab.size
    xt, yt = torch.from_numpy(x).long(), torch.from_numpy(y).long()
    n = len(xt) // b

    def batch(i):
        j = i % n
        return xt[j * b : (j + 1) * b], yt[j * b : (j + 1) * b]

    for i in range(warmup):
        _step(torch, net, opt, cfg, *batch(i), v)
    t = time.perf_counter()
    for i in range(warmup, warmup + steps):
        _step(torch, net, opt, cfg, *batch(i), v)
    seconds = time.perf_counter() - t
    return {
        "chars_per_s": steps * b * cfg.seq_len / seconds,
        "torch": torch.__version__,
        "threads": torch.get_num_threads(),
    }


def serve(warmup: int) -> None:
    """Warm up, print {"ready": ...}, then for each line "run N" on stdin train N steps and print
    {"chars_per_s": ...}: the throughput benchmark alternates rounds with its own paths."""
    torch, cfg, corpus, (x, y, _, _), net, opt = _setup(0)
    b, v = cfg.train.batch_size, corpus.vocab.size
    xt, yt = torch.from_numpy(x).long(), torch.from_numpy(y).long()
    n, i = len(xt) // b, 0
    for i in range(warmup):
        _step(torch, net, opt, cfg, xt[i * b : (i + 1) * b], yt[i * b : (i + 1) * b], v)
    print(
        json.dumps({"ready": True, "torch": torch.__version__, "threads": torch.get_num_threads()}),
        flush=True,
    )
    for line in sys.stdin:
        words = line.split()
        if not words or words[0] != "run":
            break
        t, cpu = time.perf_counter(), time.process_time()
        for _ in range(int(words[1])):
            i = (i + 1) % n
            _step(torch, net, opt, cfg, xt[i * b : (i + 1) * b], yt[i * b : (i + 1) * b], v)
        chars = int(words[1]) * b * cfg.seq_len
        rate, per_cpu = chars / (time.perf_counter() - t), chars / (time.process_time() - cpu)
        load = round(os.getloadavg()[0], 2)
        print(json.dumps({"chars_per_s": rate, "chars_per_cpu_s": per_cpu, "load_average": load}), flush=True)


class Peer:
    """`serve` in a child process: `round(steps)` trains that many steps there and returns chars/s."""

    def __init__(self, warmup: int = 5):
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "benchmarks.torch_peer", "serve", "--warmup", str(warmup)],
            cwd=ROOT,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
            env=os.environ.copy(),
        )
        self.info = self._read()

    def _read(self) -> dict:
        line = self.proc.stdout.readline()
        if not line:
            raise RuntimeError(f"the PyTorch peer ended (exit {self.proc.wait()})")
        return json.loads(line)

    def round(self, steps: int) -> tuple[float, float]:
        """(characters per second, per second of the peer's CPU time) of `steps` steps."""
        self.proc.stdin.write(f"run {steps}\n")
        self.proc.stdin.flush()
        out = self._read()
        return out["chars_per_s"], out["chars_per_cpu_s"]

    def close(self) -> None:
        if self.proc.poll() is None:
            self.proc.stdin.write("quit\n")
            self.proc.stdin.close()
            self.proc.wait(timeout=60)


def quality(budget_s: float, seed: int) -> dict:
    from core.text_callbacks import lr_scale

    torch, cfg, corpus, (x, y, xv, yv), net, opt = _setup(seed, budget_s)
    b, v, lr = cfg.train.batch_size, corpus.vocab.size, cfg.train.learning_rate
    rng = np.random.default_rng(seed)
    xt, yt = torch.from_numpy(x).long(), torch.from_numpy(y).long()
    t0, steps, epochs = time.time(), 0, 0
    while time.time() - t0 < budget_s and epochs < cfg.train.epochs:
        order = torch.from_numpy(rng.permutation(len(xt)))
        for i in range(0, len(order), b):
            scale = lr_scale(cfg.train, epochs + i / len(order), time.time() - t0)  # the app's cool-down
            for group in opt.param_groups:
                group["lr"] = lr * scale
            idx = order[i : i + b]
            _step(torch, net, opt, cfg, xt[idx], yt[idx], v)
            steps += 1
            if time.time() - t0 >= budget_s:
                break
        epochs += 1
    train_seconds = time.time() - t0
    net.eval()
    with torch.no_grad():
        total, count = 0.0, 0
        xvt, yvt = torch.from_numpy(xv).long(), torch.from_numpy(yv).long()
        for i in range(0, len(xvt), 64):
            logits, _ = net(xvt[i : i + 64])
            total += float(
                torch.nn.functional.cross_entropy(
                    logits.reshape(-1, v), yvt[i : i + 64].reshape(-1), reduction="sum"
                )
            )
            count += yvt[i : i + 64].numel()
    return {
        "val_loss": total / count,
        "steps": steps,
        "epochs": epochs,
        "train_seconds": round(train_seconds, 1),
        "torch": torch.__version__,
    }


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.torch_peer")
    parser.add_argument("mode", choices=["throughput", "quality", "serve"])
    parser.add_argument("--warmup", type=int, default=5)
    parser.add_argument("--steps", type=int, default=45)
    parser.add_argument("--budget-s", type=float, default=60.0)
    parser.add_argument("--seed", type=int, default=0)
    a = parser.parse_args(argv)
    if a.mode == "serve":
        serve(a.warmup)
        return 0
    result = throughput(a.warmup, a.steps) if a.mode == "throughput" else quality(a.budget_s, a.seed)
    result["load_average"] = round(os.getloadavg()[0], 2)
    print(json.dumps(result), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
