"""Sentiment: the model, Try it, word vectors and pooling, the command line."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from core import reviews
from core.config import ArchitectureConfig, SentimentConfig, TrainingConfig
from tests.helpers.reviews import NEG, NO_MR, POS, SHARED_MR, needs_mr, rows

ROOT = Path(__file__).resolve().parents[2]


# --- the model -------------------------------------------------------------
TINY = dict(vocab=3000, max_len=20, embed_dim=16, word_dropout=0.0)


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    """One small attention model trained on MR for 2 epochs; shared by the tests below."""
    from core import sentiment
    from core.tf import keras_module
    from core.training import TrainContext

    if not (SHARED_MR / "rt-polarity.pos").is_file():
        pytest.skip(NO_MR)
    data = tmp_path_factory.mktemp("data")
    (data / "rt-polaritydata").symlink_to(SHARED_MR)
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("RNN_STUDIO_DATA", str(data))
        keras = keras_module()
        keras.backend.clear_session()
        keras.utils.set_random_seed(0)
        cfg = SentimentConfig(
            **TINY,
            attention=True,
            arch=ArchitectureConfig(cell="gru", units=8, bidirectional=True, dropout=0.2),
            train=TrainingConfig(epochs=2, batch_size=128, learning_rate=3e-3),
        )
        run_dir = tmp_path_factory.mktemp("run")
        result = sentiment.train(cfg, TrainContext(run_dir=run_dir))
        prepared = reviews.prepare(cfg)
    return cfg, run_dir, result, prepared


def test_trained_model_beats_an_untrained_one_and_reports_the_baseline(trained):
    from core import sentiment

    cfg, run_dir, result, p = trained
    model, _ = sentiment.load(run_dir)
    test = p.splits[2]
    texts, labels = [p.corpus.texts[i] for i in test], p.corpus.labels[test]
    untrained_classifier = sentiment.build_classifier(cfg, model.get_layer("vectorizer").vocabulary_size())
    untrained = sentiment.end_to_end(model.get_layer("vectorizer"), untrained_classifier)
    acc = {
        name: sentiment.scores(labels, sentiment.predict_texts(m, texts) > 0.5)["accuracy"]
        for name, m in (("trained", model), ("untrained", untrained))
    }
    assert acc["trained"] > acc["untrained"] + 0.05, acc
    assert acc["trained"] == pytest.approx(result["final"]["test"]["accuracy"])
    base = result["final"]["baseline"]
    assert base["name"] == "tfidf-logreg" and base["accuracy"] > 0.7  # TF-IDF reads MR well
    (tn, fp), (fn, tp) = result["display"]["confusion"]["baseline"]
    assert tn + fp + fn + tp == len(test) == result["display"]["sizes"]["test"]
    assert result["display"]["verdict"].startswith("The RNN")
    assert "epoch" in result["display"]["kept"] and "validation" in result["display"]["kept"]


def test_saved_model_takes_raw_strings_and_reloads_to_identical_probabilities(trained):
    from core import sentiment

    _, run_dir, result, _ = trained
    first, _ = sentiment.load(run_dir)
    second, cfg = sentiment.load(run_dir)
    texts = list(reviews.EXAMPLES.values())
    probs = sentiment.predict_texts(first, texts)
    # Scored by the model in memory at the end of training, before it was saved.
    assert probs.tolist() == list(result["display"]["examples"].values())
    assert np.array_equal(probs, sentiment.predict_texts(second, texts))
    assert cfg.attention and ((probs > 0) & (probs < 1)).all()


def test_try_it_reads_word_by_word(trained):
    from core import sentiment

    model, _ = sentiment.load(trained[1])
    a = sentiment.analyse(model, "This is NOT a good movie, and it's boring!")
    assert a["words"] == ["this", "is", "not", "a", "good", "movie", "and", "its", "boring"]
    n = len(a["words"])
    assert len(a["running"]) == len(a["influence"]) == len(a["attention"]) == n
    assert a["running"][-1] == pytest.approx(a["positive"], abs=1e-6)  # all words read = the whole text
    assert sum(a["attention"]) == pytest.approx(1.0, abs=1e-5)
    without_boring = sentiment.predict_texts(model, ["this is not a good movie and its"])[0]
    assert a["influence"][-1] == pytest.approx(a["positive"] - without_boring, abs=1e-6)
    # The words shown are the words the model's own vectorizer reads.
    vec = model.get_layer("vectorizer")
    vocab = vec.get_vocabulary()
    ids = np.asarray(vec(np.array([a["text"]], dtype=object)))[0]
    assert [vocab[i] if i > 1 else w for i, w in zip(ids[:n], a["words"], strict=True)] == a["words"]
    rows = sentiment.per_word(a)
    assert [r["word"] for r in rows] == a["words"] and set(rows[0]) >= {
        "score_after",
        "influence",
        "attention",
        "lean",
    }
    lean = dict(zip(a["words"], a["lean"], strict=True))  # each word's lean in MR's training split
    assert lean["boring"] < -1.0 < 0.0 < lean["good"], lean


def test_word_vectors_make_words_in_the_same_company_alike():
    from core import sentiment

    rng = np.random.default_rng(0)
    # Words 2 and 3 appear between 10 and 11; words 4 and 5 between 12 and 13; 6-9 is filler.
    texts = [[10, w, 11, *rng.integers(6, 10, 3)] for w in (2, 3) for _ in range(50)]
    texts += [[12, w, 13, *rng.integers(6, 10, 3)] for w in (4, 5) for _ in range(50)]
    ids = np.array([t + [0] * 4 for t in texts])  # padded like the vectorizer's output
    v = sentiment.word_vectors(ids, vocab_size=16, dim=4)
    assert v.shape == (16, 4) and not v[[0, 1, 14, 15]].any()  # padding, unknown and unseen words: zeros
    unit = v / np.linalg.norm(v, axis=1, keepdims=True).clip(1e-9)
    cos = unit @ unit.T
    assert cos[2, 3] > cos[2, 4] + 0.5 and cos[4, 5] > cos[5, 3] + 0.5, cos[2:6, 2:6]


def test_word_polarity_leans_with_the_training_labels():
    from core import sentiment

    # Word 2 is only in positive reviews, word 3 only in negative ones, word 4 in both alike;
    # word 5 twice in one positive review (counts once); unknown words (1) are everywhere.
    pos = [[2, 4, 1, 5, 5, 0]] + [[2, 4, 1, 0, 0, 0]] * 9
    neg = [[3, 4, 1, 0, 0, 0]] * 10
    ids, labels = np.array(pos + neg), np.array([1] * 10 + [0] * 10)
    lean = sentiment.word_polarity(ids, labels, vocab_size=8, scale=3.0)[:, 0]
    assert lean.shape == (8,) and lean[0] == lean[1] == 0.0  # padding and unknown: no lean
    assert np.abs(lean).max() == pytest.approx(3.0)
    assert lean[2] > 2.5 and lean[3] < -2.5  # the most one-sided words
    # Seen alike in both (or never): the same small lean, set by the two labels' word totals.
    assert lean[4] == pytest.approx(lean[6]) == pytest.approx(lean[7]) and abs(lean[4]) < 0.3
    assert lean[4] + 0.5 < lean[5] < lean[2] - 0.5  # one positive review is weaker evidence than ten


def test_max_mean_pooling_ignores_padding():
    from core import sentiment
    from core.tf import keras_module

    ops = keras_module().ops
    x = np.array([[[1.0, -2.0], [3.0, -4.0], [50.0, 50.0]]], dtype="float32")  # the last step is padding
    mask = np.array([[True, True, False]])
    out = np.asarray(sentiment.pool_layer()()(ops.convert_to_tensor(x), mask=ops.convert_to_tensor(mask)))
    assert out.tolist() == [[3.0, -2.0, 2.0, -3.0]]  # max over the real words, then their mean
    nothing = sentiment.pool_layer()()(
        ops.convert_to_tensor(x), mask=ops.convert_to_tensor(np.zeros_like(mask))
    )
    assert not np.asarray(nothing).any()  # a text with no words pools to zeros


@needs_mr
@pytest.mark.slow
def test_pooled_model_with_word_vectors_trains_reloads_and_reads_word_by_word(tmp_path):
    from core import sentiment
    from core.tf import keras_module
    from core.training import TrainContext

    keras_module().utils.set_random_seed(0)
    cfg = SentimentConfig(
        **TINY,
        pooling="max_mean",
        word_vectors=True,
        arch=ArchitectureConfig(cell="gru", units=8, bidirectional=True, dropout=0.2),
        train=TrainingConfig(epochs=2, batch_size=128, learning_rate=5e-3),
    )
    result = sentiment.train(cfg, TrainContext(run_dir=tmp_path / "run"))
    assert result["final"]["test"]["accuracy"] > 0.6  # two epochs already read MR better than chance
    model, saved = sentiment.load(tmp_path / "run")
    assert saved.pooling == "max_mean" and saved.word_vectors
    assert any(layer.name == "pool" for layer in model.get_layer("classifier").layers)
    texts = list(reviews.EXAMPLES.values())
    assert sentiment.predict_texts(model, texts).tolist() == list(result["display"]["examples"].values())
    a = sentiment.analyse(model, "not a good movie")
    assert len(a["running"]) == len(a["influence"]) == 4 and a["attention"] is None
    assert a["running"][-1] == pytest.approx(a["positive"], abs=1e-6)


def test_pooling_choice_is_checked_and_on_the_command_line():
    from core.__main__ import config_from_args, parser
    from core.config import ConfigError

    with pytest.raises(ConfigError, match="pooling must be one of last, max_mean"):
        SentimentConfig(pooling="sum")
    args = parser().parse_args(["sentiment", "--pooling", "last", "--no-word-vectors"])
    cfg = config_from_args(SentimentConfig, args)
    assert cfg.pooling == "last" and not cfg.word_vectors


@pytest.mark.parametrize(
    "text,message",
    [("", "no words to read"), (" ?! ... ", "no words to read"), ("zzqx vvbnq", "None of these words")],
)
def test_try_it_empty_or_unknown_words_get_a_plain_message(trained, text, message):
    from core import sentiment

    model, _ = sentiment.load(trained[1])
    a = sentiment.analyse(model, text)
    assert message in a["message"] and "positive" not in a


# --- command line ----------------------------------------------------------
def run_cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "core", "sentiment", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        env=os.environ.copy(),
    )


def mr_sample_csv(path: Path, n: int) -> Path:
    """n positive and n negative MR sentences as a CSV with pos/neg labels."""
    import pandas as pd

    if not (SHARED_MR / "rt-polarity.pos").is_file():
        pytest.skip(NO_MR)
    pos = (SHARED_MR / "rt-polarity.pos").read_text(encoding="utf-8").splitlines()[:n]
    neg = (SHARED_MR / "rt-polarity.neg").read_text(encoding="utf-8").splitlines()[:n]
    pd.DataFrame({"review": pos + neg, "sentiment": ["pos"] * n + ["neg"] * n}).to_csv(path, index=False)
    return path


@pytest.mark.slow
def test_cli_prints_the_promised_json_with_a_prediction(tmp_path):
    csv = mr_sample_csv(tmp_path / "mr.csv", 300)
    out = run_cli(
        "--data",
        str(csv),
        "--epochs",
        "1",
        "--units",
        "4",
        "--max-len",
        "15",
        "--vocab",
        "2000",
        "--embed-dim",
        "8",
        "--predict",
        "Not good, not good at all.",
    )
    assert out.returncode == 0, out.stderr
    result = json.loads(out.stdout.strip().splitlines()[-1])
    assert list(result) == ["task", "test", "baseline", "prediction", "train_seconds", "run_id"]
    assert result["task"] == "sentiment" and set(result["test"]) == {"accuracy", "f1"}
    assert (
        set(result["baseline"]) == {"name", "accuracy", "f1"} and result["baseline"]["name"] == "tfidf-logreg"
    )
    pred = result["prediction"]
    assert set(pred) == {"text", "positive", "per_word"} and 0 < pred["positive"] < 1
    assert [w["word"] for w in pred["per_word"]] == ["not", "good", "not", "good", "at", "all"]
    assert "epoch 1:" in out.stderr and "val_accuracy=" in out.stderr


@pytest.mark.parametrize(
    "content,words",
    [
        (rows([(t, 1) for t in POS + NEG]), "only one value"),
        (rows([(t, i % 3) for i, t in enumerate(POS + NEG)]), "has 3 different values"),
        ("text,label\n" + '"",1\n"",0\n' * 15, "is empty"),
        (rows([(t, i % 2) for i, t in enumerate(POS[:6])]), "at least 20 rows"),
    ],
    ids=["one-class", "three-labels", "all-empty", "too-few"],
)
def test_cli_bad_csv_exits_2_with_one_line(tmp_path, content, words):
    path = tmp_path / "bad.csv"
    path.write_text(content)
    out = run_cli("--data", str(path))
    lines = out.stderr.strip().splitlines()
    assert out.returncode == 2 and len(lines) == 1, out.stderr
    assert lines[0].startswith("error: ") and words in lines[0] and out.stdout == ""


def test_a_run_saved_before_word_polarity_existed_reproduces_without_it():
    from core.config import from_dict, to_dict

    saved = to_dict(SentimentConfig())
    assert saved["word_polarity"] is True and "ABSENT" not in saved
    del saved["word_polarity"]  # as stored by the version before the setting
    assert from_dict(SentimentConfig, saved).word_polarity is False
    assert from_dict(SentimentConfig, to_dict(SentimentConfig())).word_polarity is True
