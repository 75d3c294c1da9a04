"""Generation speed: the app's sampler against a naive `model.predict` per character.

The default text model (TextConfig's architecture, Tiny Shakespeare's vocabulary)
writes 2,000 characters with `core.textgen.generate`, the sampler the page and the
command line use (numpy step on the Keras weights, state carried, probability lens
included), timed from the call to its return, best of 3. The reference, in the same
run and process, is the loop tutorials write: `model.predict` on the last
`seq_len` characters for every new character (timed over 40 characters). Speed does
not depend on what the weights are, so the model is freshly initialised.
Targets: 5,000 characters per second or more (issue 3), 20,000 (issue 18).
Run: `flock /tmp/rnn-cpu.lock python -m benchmarks text_generation`.
"""

from __future__ import annotations

import os
import time

import numpy as np

from core import textgen as tg
from core.config import TextConfig
from core.datasets import fetch


def run() -> list[dict]:
    from core.tf import keras_module

    cfg = TextConfig()
    text = fetch("shakespeare").read_text()
    vocab = tg.Vocab.fit(text[: int(len(text) * 0.9)])
    keras_module().utils.set_random_seed(0)
    model = tg.build_char_model(cfg, vocab.size)
    stepper = tg.stepper_from_model(model)

    n = 2_000
    times = []
    for seed in range(3):
        t = time.perf_counter()
        gen = tg.generate(stepper, vocab, "ROMEO:\n", n, temperature=0.8, seed=seed)
        times.append(time.perf_counter() - t)
    ours = n / min(times)

    m = 40
    ids = list(vocab.encode("ROMEO:\n"))
    rng = np.random.default_rng(0)
    model.predict(np.array([ids]), verbose=0)  # trace once, as the app would have
    t = time.perf_counter()
    for _ in range(m):
        p = model.predict(np.array([ids[-cfg.seq_len :]]), verbose=0)[0, -1].astype(np.float64)
        p[0] = 0.0
        ids.append(int(rng.choice(len(p), p=p / p.sum())))
    naive = m / (time.perf_counter() - t)
    return [
        {
            "benchmark": "text_generation_chars_per_s",
            "model": f"{cfg.arch.summary()}, embedding {cfg.embed_dim}, vocabulary {vocab.size}",
            "chars": n,
            "chars_per_s": round(ours),
            "reported_by_sampler": round(gen.chars_per_s),
            "reference": f"model.predict per character on the last {cfg.seq_len} characters",
            "reference_chars_per_s": round(naive, 1),
            "speedup": round(ours / naive, 1),
            "target_chars_per_s": 20_000,
            "met": ours >= 20_000,
            "load_average": round(os.getloadavg()[0], 2),
            "cpus": os.cpu_count(),
        }
    ]
