"""The note RNN: model, training beside the Markov baseline, generation, saving, composing.

The model reads note tokens (`core.melody`) and predicts the next:
Embedding -> the shared recurrent stack (a sequence out) -> Dense softmax. It
is causal by construction: a melody is composed left to right, so the config
refuses bidirectional layers. Generation runs on a numpy copy of the trained
weights (`core.numpy_rnn`), saved beside the model, so the page can compose
without loading TensorFlow. The baseline is a first-order Markov chain over
the same tokens, fitted on the same training pieces and scored on the same
held-out notes.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from core import melody as ml
from core import music_corpus as mc
from core.config import MusicConfig
from core.datasets import DataError
from core.midi import write_midi
from core.numpy_rnn import NumpyStack, sample
from core.saving import load_run, read_companion, save_run

SNIPPET_EVENTS = 32


# --- the RNN --------------------------------------------------------------------------
def build_model(vocab_size: int, cfg: MusicConfig):
    from core.models import recurrent_stack
    from core.tf import keras_module

    keras = keras_module()
    tokens = keras.Input(shape=(None,), dtype="int32", name="tokens")  # (batch, time)
    x = keras.layers.Embedding(vocab_size, cfg.embed_dim, name="embedding")(tokens)  # (batch, time, dim)
    x = recurrent_stack(x, cfg.arch, return_sequences=True)  # (batch, time, units)
    if cfg.arch.dropout > 0:
        x = keras.layers.Dropout(cfg.arch.dropout, name="head_dropout")(x)
    out = keras.layers.Dense(vocab_size, activation="softmax", name="next_note")(x)  # (batch, time, vocab)
    return keras.Model(tokens, out, name="melody_rnn")


def windows(seqs: list[np.ndarray], length: int, stride: int) -> tuple[np.ndarray, np.ndarray]:
    """Cut the pieces, one after another, into (inputs, next tokens), each (windows, length)."""
    stream = np.concatenate([*seqs, [0]]) if seqs else np.zeros(1, np.int32)
    if len(stream) <= length:
        stream = np.concatenate([stream] * (length // len(stream) + 2))
    starts = np.arange(0, len(stream) - length - 1 + 1, stride)
    idx = starts[:, None] + np.arange(length)[None, :]  # (windows, length)
    return stream[idx].astype(np.int32), stream[idx + 1].astype(np.int32)


def rnn_nll(net: NumpyStack, seqs: list[np.ndarray]) -> float:
    """Mean NLL per note of whole pieces, each from a fresh state: all pieces step together."""
    longest = max(len(s) for s in seqs)
    tokens = np.zeros((len(seqs), longest), np.int64)  # (pieces, time), padded with <s>
    mask = np.zeros((len(seqs), longest), bool)
    for i, s in enumerate(seqs):
        tokens[i, : len(s)] = s
        mask[i, 1 : len(s)] = True
    state, total = net.zero_state(len(seqs)), 0.0
    for t in range(longest - 1):
        p, state, _ = net.step(tokens[:, t], state)  # (pieces, vocab)
        picked = p[np.arange(len(seqs)), tokens[:, t + 1]]
        total -= float(np.log(np.maximum(picked, 1e-12))[mask[:, t + 1]].sum())
    return total / mask.sum()


def generate(
    net: NumpyStack, primer: list[int], n: int, temperature: float, top_k: int, seed: int
) -> list[int]:
    """`n` new token ids after <s> and the primer; the state carries from one note to the next."""
    rng = np.random.default_rng(seed)
    state = net.zero_state()
    for t in [0, *primer]:
        p, state, _ = net.step(np.array([t]), state)
    out = []
    for _ in range(n):
        nxt = sample(ml.notes_only(p[0]), rng, temperature, top_k)
        out.append(nxt)
        p, state, _ = net.step(np.array([nxt]), state)
    return out


# --- training -----------------------------------------------------------------------------
@dataclass
class Prepared:
    corpus: mc.Corpus
    train_idx: np.ndarray
    held_idx: np.ndarray
    vocab: ml.Vocab
    train_seqs: list[np.ndarray]
    held_seqs: list[np.ndarray]

    @property
    def held_pieces(self) -> list[dict]:
        return [self.corpus.pieces[i] for i in self.held_idx]

    @property
    def unk_share(self) -> float:
        ids = np.concatenate([s[1:] for s in self.held_seqs])
        return float(np.mean(ids == self.vocab.index[ml.UNK]))


def prepare(cfg: MusicConfig, progress=None, stop=None) -> Prepared:
    """Everything before the model, without TensorFlow (the page and the CLI check data with it)."""
    corpus = mc.load_corpus(cfg.data, cfg.track, progress, stop)
    train_idx, held_idx = ml.split_pieces(len(corpus.pieces), cfg.train.val_fraction)
    tokens = [ml.piece_tokens(p) for p in corpus.pieces]
    vocab = ml.Vocab.fit([tokens[i] for i in train_idx])
    if len(vocab.tokens) == len(ml.SPECIALS):
        raise DataError(
            "No note occurs twice in the training pieces, so there is no pattern to learn: add music."
        )
    return Prepared(
        corpus,
        train_idx,
        held_idx,
        vocab,
        [vocab.encode(tokens[i]) for i in train_idx],
        [vocab.encode(tokens[i]) for i in held_idx],
    )


def describe(cfg: MusicConfig) -> dict:
    """The corpus in a sentence and one held-out piece, for the page before training (no TensorFlow)."""
    p = prepare(cfg)
    n, held = len(p.corpus.pieces), len(p.held_idx)
    tokens = sum(len(x) - 1 for x in p.train_seqs)
    piece = p.held_pieces[0]
    key = "C major" if piece["mode"] == "major" else "A minor"
    return {
        "notes": p.corpus.notes,
        "text": f"**{n} pieces**: {n - held} train the network and {held} are held out to score it."
        f" {tokens:,} training notes, {len(p.vocab.tokens)} different (pitch, length) tokens.",
        "piece": piece,
        "title": f"A held-out piece: {piece['name']} ({piece['key']}, moved to {key})",
    }


def primer_ids(vocab: ml.Vocab, piece: dict, bars: int) -> list[int]:
    return [vocab.nearest(t) for t in ml.primer_tokens(piece, bars)]


def _snippet_callback(ctx, p: Prepared, primer: list[int]):
    from core.tf import keras_module

    keras = keras_module()

    class Snippet(keras.callbacks.Callback):
        """After each epoch, compose a few bars with the weights so far: the live piano roll."""

        def on_epoch_end(self, epoch, logs=None):
            net = NumpyStack.from_keras(self.model)
            ids = generate(net, primer, SNIPPET_EVENTS, 1.0, 0, seed=0)
            ctx.on_event(
                "sample",
                {"epoch": epoch + 1, "primer": p.vocab.events(primer), "events": p.vocab.events(ids)},
            )

    return Snippet()


def train(cfg: MusicConfig, ctx) -> dict:
    """Fit the note RNN and the Markov chain; compose a melody; save everything to ctx.run_dir."""
    from core.training import make_optimizer

    start = time.time()
    title = mc.CORPORA[cfg.data].title if cfg.data in mc.CORPORA else "your MIDI files"
    if cfg.data in mc.CORPORA and not mc.is_cached(cfg.data):
        ctx.status(f"Reading the {title} with music21 (once; later runs use the cache)...")

    def parsed(done: int, total: int) -> None:
        ctx.on_event("parse", {"done": done, "total": total, "corpus": title})
        if done % 10 == 0 or done == total:
            ctx.status(f"Reading the {title}: {done} of {total} files...")

    p = prepare(cfg, parsed, ctx.stop_event)
    ctx.set_fingerprint(p.corpus.fingerprint)
    markov = ml.Markov.fit(p.train_seqs, len(p.vocab.tokens))
    x, y = windows(p.train_seqs, cfg.seq_len, max(1, cfg.seq_len // 2))
    xv, yv = windows(p.held_seqs, cfg.seq_len, cfg.seq_len)
    model = build_model(len(p.vocab.tokens), cfg)
    model.compile(optimizer=make_optimizer(cfg.train), loss="sparse_categorical_crossentropy")
    primer_piece = p.held_pieces[0]
    primer = primer_ids(p.vocab, primer_piece, cfg.primer_bars)
    ctx.status("Training...")
    history = ctx.fit(model, x, y, (xv, yv), cfg.train, extra_callbacks=[_snippet_callback(ctx, p, primer)])
    train_seconds = time.time() - start

    net = NumpyStack.from_keras(model)
    ids = generate(net, primer, cfg.generate, cfg.temperature, cfg.top_k, cfg.sample_seed)
    events = p.vocab.events(ids)
    mids = markov.generate(primer, cfg.generate, cfg.temperature, cfg.top_k, cfg.sample_seed)
    train_pieces = [p.corpus.pieces[i] for i in p.train_idx]
    midi_path = Path(ctx.run_dir) / "generated.mid"
    midi_path.write_bytes(write_midi(p.vocab.events(primer) + events, bar=primer_piece["bar"]))
    corpus_m = ml.corpus_measures(train_pieces)
    final = {
        "task": "music",
        "val_nll": rnn_nll(net, p.held_seqs),
        "baseline": {"name": "markov1", "val_nll": markov.nll(p.held_seqs)},
        "generated": ml.measures(events),
        "corpus": corpus_m,
        "midi": str(midi_path),
        "train_seconds": round(train_seconds, 2),
    }
    display = {
        "corpus": p.corpus.name,
        "title": title,
        "ref_name": f"the {title}" if cfg.data in mc.CORPORA else title,
        "notes": p.corpus.notes,
        "pieces": len(p.corpus.pieces),
        "train_pieces": len(p.train_idx),
        "held_out": [
            {k: piece[k] for k in ("name", "key", "mode", "bar", "first_bar", "events")}
            for piece in p.held_pieces
        ],
        "vocab_size": len(p.vocab.tokens),
        "train_tokens": int(sum(len(s) - 1 for s in p.train_seqs)),
        "held_tokens": int(sum(len(s) - 1 for s in p.held_seqs)),
        "unk_share": p.unk_share,
        "markov_alpha": markov.alpha,
        "primer": p.vocab.events(primer),
        "primer_piece": primer_piece["name"],
        "events": events,
        "markov_events": p.vocab.events(mids),
        "markov_generated": ml.measures(p.vocab.events(mids)),
        "epochs": len(history),
    }
    save(ctx.run_dir, model, net, markov, p.vocab, cfg, final, display)
    return {"final": final, "display": display, "history": history}


# --- saving and loading -------------------------------------------------------------------
def save(
    run_dir, model, net, markov: ml.Markov, vocab: ml.Vocab, cfg: MusicConfig, final: dict, display: dict
) -> None:
    run_dir = Path(run_dir)
    save_run(run_dir, model, cfg, final, display, vocab=vocab.tokens)
    net.save(run_dir / "stack.npz")
    np.savez(run_dir / "markov.npz", probs=markov.probs, alpha=np.array(markov.alpha))


def load_generator(run_dir) -> tuple[NumpyStack, ml.Markov, ml.Vocab]:
    """What composing needs, without TensorFlow: the numpy stack, the Markov chain, the vocabulary."""
    run_dir = Path(run_dir)
    with np.load(run_dir / "markov.npz", allow_pickle=False) as z:
        markov = ml.Markov(z["probs"], float(z["alpha"]))
    return (
        NumpyStack.load(run_dir / "stack.npz"),
        markov,
        ml.Vocab(read_companion(run_dir, "vocab")),
    )


def load(run_dir):
    """(Keras model, config, vocabulary) of a saved music run."""
    model, cfg = load_run(run_dir, MusicConfig)
    return model, cfg, ml.Vocab(read_companion(run_dir, "vocab"))


def perplexity(nll: float) -> float:
    return math.exp(nll)


def compose(run_dir, primer: list[str], n: int, temperature: float, top_k: int, seed: int) -> dict:
    """A new melody from a saved run (numpy only), with the Markov chain's from the same primer."""
    net, markov, vocab = load_generator(run_dir)
    ids = [vocab.nearest(t) for t in primer]
    rnn = vocab.events(generate(net, ids, n, temperature, top_k, seed))
    chain = vocab.events(markov.generate(ids, n, temperature, top_k, seed))
    return {
        "primer": vocab.events(ids),
        "events": rnn,
        "markov_events": chain,
        "measures": ml.measures(rnn),
        "markov_measures": ml.measures(chain),
    }


def verdict(final: dict) -> str:
    """One plain sentence: does the RNN predict held-out notes better than the Markov chain?"""
    rnn, base = final["val_nll"], final["baseline"]["val_nll"]
    how = (
        f"{rnn:.3f} against {base:.3f} nats per note; perplexity {perplexity(rnn):.1f} against"
        f" {perplexity(base):.1f}, as unsure as a choice among that many equally likely notes"
    )
    if rnn < base:
        return f"The RNN predicts the held-out notes better than the Markov chain ({how})."
    return f"The RNN does not beat the Markov chain on the held-out notes ({how}): train longer or change it."
