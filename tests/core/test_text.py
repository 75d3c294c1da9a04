"""Text generation core and command line: vocabulary, baseline, state carrying, replay, bad input."""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from core import textgen as tg
from core.config import ArchitectureConfig, ConfigError, TextConfig, TrainingConfig
from core.datasets import DataError
from core.ngram import fit_baseline, log_probs
from core.training import TrainContext
from tests.conftest import SOURCE_DATA

ROOT = Path(__file__).resolve().parents[2]
# Tiny Shakespeare where CI (RNN_STUDIO_DATA) or ../shared/data keeps it; tests that need it skip without it.
SHAKESPEARE = SOURCE_DATA / "shakespeare.txt"
NO_SHAKESPEARE = f"Tiny Shakespeare is not at {SHAKESPEARE} (set RNN_STUDIO_DATA to a folder holding it)"
needs_shakespeare = pytest.mark.skipif(not SHAKESPEARE.is_file(), reason=NO_SHAKESPEARE)


def small_text() -> str:
    if not SHAKESPEARE.is_file():
        pytest.skip(NO_SHAKESPEARE)
    return SHAKESPEARE.read_text()[:12_000]


def tiny_config(path: Path, **train) -> TextConfig:
    return TextConfig(
        data=str(path),
        seq_len=50,
        embed_dim=16,
        lr_decay=True,
        arch=ArchitectureConfig(cell="gru", units=32),
        train=TrainingConfig(
            **{"epochs": 2, "batch_size": 32, "learning_rate": 1e-2, "val_fraction": 0.1, **train}
        ),
    )


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    """One tiny model trained for 2 epochs on 12,000 characters, shared by the tests below."""
    from core.tf import keras_module

    folder = tmp_path_factory.mktemp("text")
    (folder / "small.txt").write_text(small_text())
    keras_module().utils.set_random_seed(0)
    events = []
    ctx = TrainContext(run_dir=folder / "run", on_event=lambda k, p: events.append((k, p)))
    result = tg.train(tiny_config(folder / "small.txt"), ctx)
    stepper, vocab = tg.load_generator(folder / "run")
    return {"result": result, "events": events, "run_dir": folder / "run", "stepper": stepper, "vocab": vocab}


def test_training_beats_an_untrained_model_and_reports_samples(trained):
    final = trained["result"]["final"]
    vocab = trained["vocab"]
    # An untrained softmax is close to uniform: ln(vocabulary size) nats per character.
    assert final["val_loss"] < math.log(vocab.size) - 0.5
    assert final["bits_per_char"] == pytest.approx(final["val_loss"] / math.log(2))
    assert final["baseline"]["val_loss"] > 0 and "gram" in final["baseline"]["name"]
    kinds = [k for k, _ in trained["events"]]
    assert "baseline" in kinds and kinds.count("epoch") == 2
    lrs = [e["lr"] for e in trained["result"]["history"]]  # held, then falls towards 10% in the last 20%
    assert lrs[0] == pytest.approx(1e-2) and lrs[0] > lrs[1] >= 0.999e-3
    samples = [p for k, p in trained["events"] if k == "sample"]
    assert samples and len(samples[-1]["samples"][-1]["text"]) == tg.SAMPLE_CHARS
    assert final["generate_chars_per_s"] > 0 and len(final["sample"]) == tg.SAMPLE_CHARS


def test_the_state_carries_from_character_to_character(trained):
    stepper, vocab = trained["stepper"], trained["vocab"]
    prompt = small_text()[1000:1300]
    long = tg.next_distribution(stepper, vocab, prompt)
    last_only = tg.next_distribution(stepper, vocab, prompt[-1])
    assert np.abs(long - last_only).max() > 1e-3
    # The sampler's own record: each written character was scored with the whole text before it.
    gen = tg.generate(stepper, vocab, prompt, length=30, temperature=1.0, seed=1)
    for i in (0, 10, 29):
        context = prompt + gen.text[:i]
        full = tg.next_distribution(stepper, vocab, context)
        c = vocab.index[gen.text[i]]
        assert gen.probs[i] == pytest.approx(full[c] / full[1:].sum(), rel=1e-4)
        reset = tg.next_distribution(stepper, vocab, context[-1])
        assert abs(gen.probs[i] - reset[c] / reset[1:].sum()) > 1e-4


def test_a_saved_model_reloads_to_identical_probabilities(trained):
    model, cfg, vocab = tg.load(trained["run_dir"])
    assert cfg.arch.units == 32 and vocab.chars == trained["vocab"].chars
    ids = vocab.encode(small_text()[:120])[None, :]
    again, _, _ = tg.load(trained["run_dir"])
    keras_probs = model.predict(ids, verbose=0)[0, -1]
    np.testing.assert_array_equal(keras_probs, again.predict(ids, verbose=0)[0, -1])
    numpy_probs = tg.next_distribution(trained["stepper"], vocab, small_text()[:120])
    np.testing.assert_allclose(numpy_probs, keras_probs, atol=1e-5)


def test_the_same_seed_writes_the_same_text(trained):
    stepper, vocab = trained["stepper"], trained["vocab"]
    a = tg.generate(stepper, vocab, "ROMEO:", 300, temperature=1.0, seed=7)
    b = tg.generate(stepper, vocab, "ROMEO:", 300, temperature=1.0, seed=7)
    c = tg.generate(stepper, vocab, "ROMEO:", 300, temperature=1.0, seed=8)
    assert a.text == b.text and a.probs == b.probs and a.text != c.text
    greedy = tg.generate(stepper, vocab, "ROMEO:", 50, greedy=True, seed=1)
    assert greedy.text == tg.generate(stepper, vocab, "ROMEO:", 50, top_k=1, seed=2).text
    assert all(top[0][0] == ch for top, ch in zip(greedy.top, greedy.text, strict=True))


def test_the_lens_shows_the_models_own_distribution(trained):
    """What the fast writer records at each character is the model's distribution (the batched
    numpy step's, itself Keras's to 1e-5), less "unknown", and its five likeliest characters."""
    stepper, vocab = trained["stepper"], trained["vocab"]
    p = tg.next_distribution(stepper, vocab, "ROMEO:")
    p[0] = 0.0
    p /= p.sum()
    for temperature in (1.0, 0.1, 2.0):
        gen = tg.generate(stepper, vocab, "ROMEO:", 3, temperature=temperature, seed=3)
        assert gen.probs[0] == pytest.approx(p[vocab.index[gen.text[0]]], abs=1e-6)
        expected = np.argsort(-p, kind="stable")[:5]
        assert [c for c, _ in gen.top[0]] == [vocab.chars[j] for j in expected]
        np.testing.assert_allclose([q for _, q in gen.top[0]], p[expected], atol=1e-6)


@pytest.mark.parametrize("temperature,top_k", [(1.0, 0), (0.5, 0), (1.5, 3)])
def test_draws_follow_the_tempered_distribution(temperature, top_k):
    """A model whose next character is always drawn from the same known logits (zero weights,
    the head's bias): over 4,000 seeds the frequencies are softmax(logits / temperature),
    restricted to the top k where asked, to a total variation of 0.03 (the sampling noise is
    about 0.01; the untempered or unrestricted distributions are at least 0.09 away)."""
    from core.numpy_rnn import Cell, NumpyStack

    vocab = tg.Vocab(list("abcde"))
    logits = np.array([5.0, 1.0, 0.0, -0.5, 0.8, 0.3], np.float32)  # index 0, "unknown", is never drawn
    cell = Cell(
        "gru", np.zeros((3, 12), np.float32), np.zeros((4, 12), np.float32), np.zeros((2, 12), np.float32)
    )
    stack = NumpyStack(np.ones((6, 3), np.float32), [cell], np.zeros((4, 6), np.float32), logits)
    stepper = tg.Stepper(stack)
    q = np.exp(logits[1:] / temperature)
    if top_k:
        q[q < np.sort(q)[-top_k]] = 0.0
    q /= q.sum()
    counts = np.zeros(5)
    for seed in range(4000):
        counts[vocab.index[tg.generate(stepper, vocab, "a", 1, temperature, top_k, seed).text] - 1] += 1
    assert 0.5 * np.abs(counts / 4000 - q).sum() < 0.03
    plain = np.exp(logits[1:]) / np.exp(logits[1:]).sum()
    assert temperature == 1.0 and not top_k or 0.5 * np.abs(plain - q).sum() > 0.09


def test_low_temperature_writes_likelier_characters(trained):
    stepper, vocab = trained["stepper"], trained["vocab"]
    cold = tg.generate(stepper, vocab, "", 1000, temperature=0.2, seed=0)
    hot = tg.generate(stepper, vocab, "", 1000, temperature=2.0, seed=0)
    assert np.mean(cold.probs) > 2 * np.mean(hot.probs)
    assert UNKNOWN_FREE(cold.text + hot.text)
    top2 = tg.generate(stepper, vocab, "", 300, temperature=1.5, top_k=2, seed=0)
    assert all(ch in (t[0][0], t[1][0]) for t, ch in zip(top2.top, top2.text, strict=True))


def UNKNOWN_FREE(text: str) -> bool:  # noqa: N802 (reads as a predicate)
    return tg.UNKNOWN not in text


def test_prompt_with_unseen_characters_is_explained_not_fatal(trained):
    stepper, vocab = trained["stepper"], trained["vocab"]
    gen = tg.generate(stepper, vocab, "ROMEO: ☃ café", 40, seed=0)
    assert gen.dropped == ["é", "☃"] and len(gen.text) == 40
    assert any("never contains" in n and "left out" in n for n in gen.notes)
    assert gen.prompt == "ROMEO:  caf"
    only_unseen = tg.generate(stepper, vocab, "☃☃", 10, seed=0)
    assert only_unseen.prompt == "\n" and any("line break" in n for n in only_unseen.notes)


@pytest.mark.parametrize(
    "length,temperature,top_k,words",
    [
        (0, 1.0, 0, "between 1 and 5,000"),
        (5001, 1.0, 0, "between 1 and 5,000"),
        (10, 0.0, 0, "temperature"),
        (10, 1.0, -1, "Top-k"),
    ],
)
def test_bad_generation_settings(trained, length, temperature, top_k, words):
    with pytest.raises(DataError, match=words):
        tg.generate(trained["stepper"], trained["vocab"], "A", length, temperature, top_k)


def test_bad_texts_get_clear_messages(tmp_path):
    with pytest.raises(DataError, match="empty"):
        tg.decode_bytes(b"")
    with pytest.raises(DataError, match="empty"):
        tg.decode_bytes(b"  \n\n ")
    png = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)) * 8
    with pytest.raises(DataError, match="binary data"):
        tg.decode_bytes(png)
    with pytest.raises(DataError, match="only 10 characters.*at least 10,000"):
        tg.check_length("0123456789")
    (tmp_path / "short.txt").write_text("0123456789")
    with pytest.raises(DataError, match="only 10 characters"):
        tg.prepare(TextConfig(data=str(tmp_path / "short.txt")))
    with pytest.raises(DataError, match="Unknown text"):
        tg.prepare(TextConfig(data="poems.docx"))


def test_latin1_fallback_and_line_endings():
    text, encoding = tg.decode_bytes("Caf\xe9 cr\xe8me\r\nna\xefve".encode("latin-1"))
    assert text == "Café crème\nnaïve" and encoding.startswith("Latin-1")
    text, encoding = tg.decode_bytes("Café\n".encode())
    assert text == "Café\n" and encoding == "UTF-8"


def test_vocabulary_comes_from_the_training_split_only(tmp_path):
    body = small_text()
    text = body + "Zürich ß" * 100  # the last 10% holds characters the training split lacks
    (tmp_path / "t.txt").write_text(text)
    corpus = tg.prepare(TextConfig(data=str(tmp_path / "t.txt")))
    assert "ü" not in corpus.vocab.index and "ß" not in corpus.vocab.index
    seen = set(text[: corpus.n_train])
    unseen = sum(1 for c in text[corpus.n_train :] if c not in seen)
    assert unseen >= 200 and corpus.unseen_held_out == unseen == corpus.stats()["unseen_held_out"]
    assert (corpus.ids[: corpus.n_train] > 0).all()
    assert corpus.vocab.decode(corpus.vocab.encode("Rüb")) == f"R{tg.UNKNOWN}b"


def test_baseline_is_cached_per_text_and_split(tmp_path, data_dir):
    (tmp_path / "t.txt").write_text(small_text())
    corpus = tg.prepare(TextConfig(data=str(tmp_path / "t.txt")))
    first = tg.baseline_for(corpus)
    cached = list((data_dir / "cache").glob("ngram-*.json"))
    assert len(cached) == 1 and tg.baseline_for(corpus) == first
    other = tg.prepare(TextConfig(data=str(tmp_path / "t.txt"), train=TrainingConfig(val_fraction=0.2)))
    assert tg.baseline_for(other)["val_loss"] != first["val_loss"]
    assert len(list((data_dir / "cache").glob("ngram-*.json"))) == 2


def test_bidirectional_is_refused_for_text():
    with pytest.raises(ConfigError, match="bidirectional"):
        TextConfig(arch=ArchitectureConfig(bidirectional=True))


def test_ngram_is_a_distribution_and_uses_context():
    rng = np.random.default_rng(0)
    ids = rng.integers(1, 6, 5000)
    ids[1::2] = (ids[::2] % 5) + 1  # every second character follows from the one before
    vocab_size, n_train = 6, 4500
    context = list(ids[:n_train])
    # For one held-out position, the probabilities of every possible character sum to 1.
    total = sum(
        math.exp(log_probs(np.array(context + [c]), n_train, 3, vocab_size)[3][-1]) for c in range(vocab_size)
    )
    assert total == pytest.approx(1.0, abs=1e-9)
    base = fit_baseline(ids, n_train, vocab_size)
    assert base.by_order[2] < base.by_order[1] and base.order >= 2


@needs_shakespeare
def test_baseline_on_shakespeare_matches_the_issue():
    text = SHAKESPEARE.read_text()
    n_train = int(round(len(text) * 0.9))
    vocab = tg.Vocab.fit(text[:n_train])
    base = fit_baseline(vocab.encode(text), n_train, vocab.size)
    assert base.by_order[3] == pytest.approx(2.05, abs=0.02)  # "a trigram model gets about 2.05"
    assert 1.6 < base.val_loss < 1.7 and base.order == 5


# --- command line ------------------------------------------------------------
def run_cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "core", "text", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        env=os.environ.copy(),
    )


@pytest.mark.slow
def test_cli_prints_the_promised_json(tmp_path):
    (tmp_path / "small.txt").write_text(small_text())
    out = run_cli(
        "--data",
        str(tmp_path / "small.txt"),
        "--epochs",
        "1",
        "--units",
        "16",
        "--seq-len",
        "50",
        "--generate",
        "120",
        "--temperature",
        "0.5",
        "--top-k",
        "5",
        "--prompt",
        "ROMEO é",
    )
    assert out.returncode == 0, out.stderr
    result = json.loads(out.stdout.strip().splitlines()[-1])
    assert set(result) == {
        "task",
        "val_loss",
        "bits_per_char",
        "baseline",
        "sample",
        "generate_chars_per_s",
        "epochs",
        "steps",
        "cpu_share",
        "chars_per_s",
        "train_seconds",
        "run_id",
    }
    assert result["task"] == "text" and result["epochs"] == 1 and len(result["sample"]) == 120
    assert result["steps"] > 0 and result["chars_per_s"] > 0
    assert set(result["baseline"]) == {"name", "val_loss", "trigram"} and result["val_loss"] > 0
    assert "note: The training text never contains 'é'" in out.stderr


@pytest.mark.parametrize(
    "content,args,words",
    [
        (b"", (), "empty"),
        (b"\x00\x01\x02\x03binary\x00" * 100, (), "binary data"),
        (b"0123456789", (), "only 10 characters"),
        (None, ("--generate", "0"), "between 1 and 5,000"),
        (None, ("--bidirectional",), "bidirectional"),
        (None, ("--seq-len", "5"), "sequence length"),
    ],
)
def test_cli_bad_input_exits_2_with_one_line(tmp_path, content, args, words):
    path = tmp_path / "t.txt"
    path.write_bytes(small_text().encode() if content is None else content)
    out = run_cli("--data", str(path), *args)
    assert out.returncode == 2, out.stderr
    lines = out.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ") and words in lines[0]
    assert out.stdout == ""


def test_the_embeddings_start_with_the_chosen_spread_and_old_runs_keep_kerass():
    """embed_init 1.0 (the default): N(0, 1) starting embeddings; a run saved before the setting
    existed reads back as 0, which builds Keras's own uniform +-0.05 as it trained with."""
    from core.config import from_dict, to_dict

    wide = tg.build_char_model(TextConfig(), 66).get_layer("embedding").get_weights()[0]
    assert 0.9 < wide.std() < 1.1
    saved = to_dict(TextConfig())
    del saved["embed_init"]
    old = from_dict(TextConfig, saved)
    assert old.embed_init == 0.0
    narrow = tg.build_char_model(old, 66).get_layer("embedding").get_weights()[0]
    assert np.abs(narrow).max() <= 0.05 and narrow.std() > 0.02
