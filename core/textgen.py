"""Character-level text generation: corpus, vocabulary, char model, training.

Held out: the last `val_fraction` of the text (10% by default), never trained on.
The vocabulary is fitted on the training split only. Index 0 is reserved for
"unknown": a character of the held-out split (or of a prompt) that the training
split never contains. In the held-out loss such a character stays in and costs
what the model gives "unknown" (about nothing, as it never saw one), so the
score is not flattered by dropping hard characters; the page and the command
line say how many there are. In a prompt, unseen characters are left out and
named (the model has no learned meaning for them); generation never emits one.

Writing with the trained model lives in `core.textsample` (re-exported here, so
pages and tests use one module); the training callbacks in `core.text_callbacks`.
"""

from __future__ import annotations

import json
import os
import time
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

from core.config import TextConfig
from core.datasets import REGISTRY, DataError, fetch, sha256_bytes
from core.saving import load_run, read_companion, save_run
from core.text_callbacks import live_samples, lr_decay
from core.text_files import decode_bytes  # noqa: F401 (the page and tests call it here)
from core.textsample import (  # noqa: F401 (the generation API, re-exported)
    MAX_GENERATE,
    MAX_PROMPT,
    SAMPLE_CHARS,
    Generation,
    Stepper,
    check_generation,
    clean_prompt,
    generate,
    load_stack,
    next_distribution,
    save_stack,
    stepper_from_model,
)

MIN_CHARS = 10_000
BUSY_SHARE = 0.5  # a fit that got less than half of the processors ran beside other busy programs
UNKNOWN = "\ufffd"  # shown for index 0
# The held-out text is scored in passages this long, the memory carried within each, as
# the model reads when it writes; only the first characters of a passage lack context.
VAL_PASSAGE = 1_000
# n-gram counting holds a few int64 arrays per order and character: cap the training
# characters it counts so a 50 MB upload cannot exhaust memory (Shakespeare: 1 million).
MAX_BASELINE_CHARS = 5_000_000


def presets() -> dict[str, tuple[str, str, TextConfig]]:
    """The page's presets: (label, what to expect, config) on the default architecture."""
    d = TextConfig()
    return {
        "quick": (
            "Quick demo (under a minute)",
            "Trains a smaller network (GRU 128) for 35 seconds (under a minute with the baseline and"
            " scoring): enough to learn words, names and line breaks, still misspelt.",
            # GRU 128, not 256: measured 2026-12-01 in 35 s, quiet 1.72 vs 1.67 nats per character,
            # but beside four busy programs (load 5-6) 1.80 vs 2.12, and only the smaller one beat
            # the trigram (2.05): a teacher's laptop is never idle.
            replace(
                d,
                sample_every_s=10.0,
                arch=replace(d.arch, units=128),
                train=replace(d.train, epochs=50, budget_s=35.0),
            ),
        ),
        "better": (
            "Better quality (about 5 minutes)",
            "Trains for 5 minutes: names, punctuation and mostly real words, beating the n-gram.",
            replace(d, train=replace(d.train, epochs=50, budget_s=300.0)),
        ),
    }


# --- corpus ----------------------------------------------------------------
def check_length(text: str) -> None:
    if len(text) < MIN_CHARS:
        raise DataError(
            f"The text has only {len(text):,} characters; the network needs at least {MIN_CHARS:,}"
            " (about four printed pages) to learn anything. Upload or paste a longer text."
        )


def read_corpus(data: str) -> tuple[str, str]:
    """(text, encoding) of a built-in set name or a .txt path."""
    from core.tasks import TASKS

    if data in REGISTRY and data in TASKS["text"].data_sets:
        return fetch(data).read_text(encoding="utf-8"), "UTF-8"
    path = Path(data)
    if path.suffix.lower() != ".txt":
        raise DataError(f"Unknown text {data!r}: use shakespeare or a .txt file.")
    if not path.is_file():
        raise DataError(f"The file {data} does not exist.")
    return decode_bytes(path.read_bytes())


class Vocab:
    """Characters of the training split, sorted; index 0 means "unknown"."""

    def __init__(self, chars: list[str]) -> None:
        self.chars = [UNKNOWN, *[c for c in chars if c != UNKNOWN]]
        self.index = {c: i for i, c in enumerate(self.chars) if i > 0}
        self._codes = np.array([ord(c) for c in self.chars[1:]], np.int64)
        self._ids = np.arange(1, len(self.chars), dtype=np.int32)

    @classmethod
    def fit(cls, text: str) -> Vocab:
        return cls(sorted(set(text)))

    @property
    def size(self) -> int:
        return len(self.chars)

    def encode(self, text: str) -> np.ndarray:
        codes = np.frombuffer(text.encode("utf-32-le"), np.uint32).astype(np.int64)
        order = np.argsort(self._codes)
        pos = np.clip(np.searchsorted(self._codes[order], codes), 0, len(order) - 1)
        found = self._codes[order][pos] == codes
        return np.where(found, self._ids[order][pos], 0).astype(np.int32)

    def decode(self, ids) -> str:
        return "".join(self.chars[int(i)] for i in ids)

    def unseen(self, text: str) -> list[str]:
        return sorted({c for c in text if c not in self.index})

    def to_json(self) -> list[str]:
        return self.chars[1:]


@dataclass
class Corpus:
    """A text split into training and held-out parts, encoded with the training vocabulary."""

    text: str
    encoding: str
    vocab: Vocab
    ids: np.ndarray  # (chars,) int32
    n_train: int
    fingerprint: str
    unseen_held_out: int = 0

    @property
    def n_val(self) -> int:
        return len(self.ids) - self.n_train

    def stats(self) -> dict:
        return {
            "chars": len(self.text),
            "encoding": self.encoding,
            "vocab_size": self.vocab.size - 1,
            "vocab": "".join(self.vocab.chars[1:]),
            "train_chars": self.n_train,
            "val_chars": self.n_val,
            "unseen_held_out": self.unseen_held_out,
        }


def prepare(cfg: TextConfig) -> Corpus:
    """Everything up to the model, without TensorFlow (the page uses it for the preview)."""
    text, encoding = read_corpus(cfg.data)
    check_length(text)
    n_train = int(round(len(text) * (1 - cfg.train.val_fraction)))
    vocab = Vocab.fit(text[:n_train])
    ids = vocab.encode(text)
    return Corpus(
        text=text,
        encoding=encoding,
        vocab=vocab,
        ids=ids,
        n_train=n_train,
        fingerprint=sha256_bytes(text.encode("utf-8")),
        unseen_held_out=int(np.sum(ids[n_train:] == 0)),
    )


def sequences(ids: np.ndarray, seq_len: int) -> tuple[np.ndarray, np.ndarray]:
    """Non-overlapping (inputs, next-character targets), each (sequences, seq_len)."""
    seq_len = max(1, min(seq_len, len(ids) - 1))
    n = (len(ids) - 1) // seq_len
    x = ids[: n * seq_len].reshape(n, seq_len)
    y = ids[1 : n * seq_len + 1].reshape(n, seq_len)
    return x, y


# --- model -----------------------------------------------------------------
def build_char_model(cfg: TextConfig, vocab_size: int):
    """Characters in, a distribution over the next character at every step out."""
    from core.models import recurrent_stack
    from core.tf import keras_module

    keras = keras_module()
    inputs = keras.Input(shape=(None,), dtype="int32", name="chars")  # (batch, time)
    init = keras.initializers.RandomNormal(stddev=cfg.embed_init) if cfg.embed_init else "uniform"
    embedding = keras.layers.Embedding(
        vocab_size, cfg.embed_dim, embeddings_initializer=init, name="embedding"
    )
    h = embedding(inputs)  # (batch, time, embed)
    h = recurrent_stack(h, cfg.arch, return_sequences=True)  # (batch, time, units)
    rate = cfg.dropout_rate()
    if rate > 0:  # one mask per sequence: the same units hidden at every character
        h = keras.layers.Dropout(rate, noise_shape=(None, 1, h.shape[-1]), name="output_dropout")(h)
    out = keras.layers.Dense(vocab_size, activation="softmax", name="next_char")(h)  # (batch, time, vocab)
    return keras.Model(inputs, out, name="char_rnn")


# --- generation from a saved run ---------------------------------------------
def load_generator(run_dir: Path) -> tuple[Stepper, Vocab]:
    """The saved numpy weights and vocabulary of a text run (no TensorFlow needed)."""
    run_dir = Path(run_dir)
    vocab = Vocab(read_companion(run_dir, "vocab"))
    return Stepper(load_stack(run_dir / "generator.npz")), vocab


def generate_saved(
    run_dir: Path,
    prompt: str,
    length: int,
    temperature: float = 1.0,
    top_k: int = 0,
    seed: int = 0,
    greedy: bool = False,
) -> Generation:
    stepper, vocab = load_generator(run_dir)
    return generate(stepper, vocab, prompt, length, temperature, top_k, seed, greedy)


# --- training --------------------------------------------------------------
def baseline_for(corpus: Corpus) -> dict:
    """The n-gram baseline of this text and split: {name, order, val_loss, by_order}.

    Computed on first use (about 5 s for Shakespeare) and cached in the data
    directory under a key of the exact text, split and vocabulary, so the quick
    demo does not pay for it twice.
    """
    from core.datasets import data_dir
    from core.ngram import fit_baseline

    vocab = "".join(corpus.vocab.chars)
    key = sha256_bytes(
        f"ngram-v1:{corpus.fingerprint}:{corpus.n_train}:{MAX_BASELINE_CHARS}:{vocab}".encode()
    )
    path = data_dir() / "cache" / f"ngram-{key[:24]}.json"
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError):
        pass
    first = max(0, corpus.n_train - MAX_BASELINE_CHARS)
    base = fit_baseline(corpus.ids[first:], corpus.n_train - first, corpus.vocab.size)
    name = base.name + (f" (counted on the last {MAX_BASELINE_CHARS:,} training characters)" if first else "")
    out = {
        "name": name,
        "order": base.order,
        "val_loss": base.val_loss,
        "by_order": {str(k): v for k, v in base.by_order.items()},
    }
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(f".{os.getpid()}.part")
        tmp.write_text(json.dumps(out))
        tmp.replace(path)
    except OSError:
        pass  # a read-only data directory only costs the recount next time
    return out


def train(cfg: TextConfig, ctx) -> dict:
    """Fit the char RNN and the n-gram baseline on the same split; save model and vocabulary."""
    from core.ngram import bits
    from core.training import make_optimizer, score

    start = time.time()
    ctx.status("Reading the text...")
    corpus = prepare(cfg)
    ctx.set_fingerprint(corpus.fingerprint)
    ctx.status("Counting n-grams for the baseline...")
    base = baseline_for(corpus)
    baseline = {"name": base["name"], "val_loss": base["val_loss"], "trigram": base["by_order"].get("3")}
    ctx.on_event("baseline", baseline)
    x, y = sequences(corpus.ids[: corpus.n_train], cfg.seq_len)  # (sequences, seq_len) each
    xv, yv = sequences(corpus.ids[corpus.n_train :], VAL_PASSAGE)
    model = build_char_model(cfg, corpus.vocab.size)
    model.compile(optimizer=make_optimizer(cfg.train), loss="sparse_categorical_crossentropy")
    callbacks = [live_samples(ctx, cfg, corpus.vocab)]
    if cfg.lr_decay and not cfg.train.reduce_on_plateau:
        callbacks.append(lr_decay(cfg, ctx))
    ctx.status("Training...")
    fit_wall, fit_cpu = time.time(), time.process_time()
    history = ctx.fit(model, x, y, (xv, yv), cfg.train, extra_callbacks=callbacks)
    # The share of the machine's processors this process got while fitting: well under half
    # means other programs were busy, which is what a time budget then pays for.
    cpu_share = (time.process_time() - fit_cpu) / max(time.time() - fit_wall, 1e-9) / (os.cpu_count() or 1)
    train_seconds = time.time() - start
    if history and not cfg.train.patience:
        val_loss = history[-1]["val_loss"]
    else:  # stopped before an epoch ended, or early stopping restored the best weights
        val_loss = score(model, xv, yv, 256)["loss"]

    stepper = stepper_from_model(model)
    sample = generate(stepper, corpus.vocab, "", SAMPLE_CHARS, cfg.sample_temperature, seed=cfg.train.seed)
    speed = generate(stepper, corpus.vocab, "", 2_000, 1.0, seed=cfg.train.seed).chars_per_s
    final = {
        "task": "text",
        "val_loss": val_loss,
        "bits_per_char": bits(val_loss),
        "baseline": baseline,
        "sample": sample.text,
        "generate_chars_per_s": round(speed),
        "epochs": len(history),
        "steps": int(model.optimizer.iterations.numpy()),
        "cpu_share": round(cpu_share, 2),
        "chars_per_s": round(
            int(model.optimizer.iterations.numpy())
            * cfg.train.batch_size
            * cfg.seq_len
            / max(train_seconds, 1e-9)
        ),
        "train_seconds": round(train_seconds, 2),
    }
    display = {
        "corpus": corpus.stats(),
        "baseline": base,
        "samples": callbacks[0].samples,
    }
    save(ctx.run_dir, model, cfg, corpus.vocab, final, display)
    return {"final": final, "display": display, "history": history}


def save(run_dir: Path, model, cfg: TextConfig, vocab: Vocab, final: dict, display: dict) -> None:
    save_run(run_dir, model, cfg, final, display, vocab=vocab.to_json())
    save_stack(stepper_from_model(model).stack, Path(run_dir) / "generator.npz")


def load(run_dir: Path):
    """(model, config, vocabulary) of a saved text run."""
    model, cfg = load_run(run_dir, TextConfig)
    return model, cfg, Vocab(read_companion(run_dir, "vocab"))


def verdict(val_loss: float, baseline: dict, final: dict | None = None, stop_reason: str = "") -> str:
    """One plain sentence: is the RNN better than the n-gram on the held-out text? When it lost
    after its time budget ran out, say how much it trained: on a busy machine that is the reason."""
    from core.ngram import bits

    rnn, base = val_loss, baseline["val_loss"]
    if rnn < base:
        return (
            f"The RNN predicts the held-out text better than the {baseline['name']} baseline:"
            f" {rnn:.3f} vs {base:.3f} nats per character ({bits(rnn):.2f} vs {bits(base):.2f} bits)."
        )
    lost = (
        f"The {baseline['name']} baseline is better than the RNN on the held-out text:"
        f" {base:.3f} vs {rnn:.3f} nats per character."
    )
    if final and stop_reason == "budget" and final.get("steps"):
        steps = f"{final['steps']:,} training steps ({final.get('chars_per_s', 0):,} characters a second)"
        if final.get("cpu_share", 1.0) < BUSY_SHARE:
            return (
                f"{lost} The machine was busy: training got {final['cpu_share']:.0%} of its processors"
                f" and {steps} before its time budget ended. Close other programs, or use the"
                " 5-minute preset."
            )
        return f"{lost} Its time budget allowed {steps}: the 5-minute preset trains long enough to beat it."
    return f"{lost} Train longer or use a bigger network."
