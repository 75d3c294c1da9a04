"""Every page's verdict is one English sentence for every outcome: win, tie and loss."""

from __future__ import annotations

import pytest

from core import music, sentiment
from core import textgen as tg


@pytest.mark.parametrize(
    "rnn,expect", [(1.5, "better than the trigram"), (2.0, "baseline is better"), (2.5, "baseline is better")]
)
def test_text_verdict(rnn, expect):
    sentence = tg.verdict(rnn, {"name": "trigram", "val_loss": 2.0})
    assert expect in sentence and sentence.endswith(".") and "e+" not in sentence


def test_text_verdict_after_a_budget_on_a_busy_machine_says_how_much_it_trained():
    final = {"steps": 57, "chars_per_s": 10432, "cpu_share": 0.2}
    sentence = tg.verdict(2.3, {"name": "5-gram", "val_loss": 2.0}, final, "budget")
    assert "57 training steps" in sentence and "10,432 characters a second" in sentence
    assert "busy" in sentence and "20% of its processors" in sentence and "bigger network" not in sentence
    quiet = tg.verdict(2.3, {"name": "5-gram", "val_loss": 2.0}, {**final, "cpu_share": 0.9}, "budget")
    assert "busy" not in quiet and "5-minute preset" in quiet
    plain = tg.verdict(2.3, {"name": "5-gram", "val_loss": 2.0}, final, "")
    assert "Train longer" in plain


@pytest.mark.parametrize(
    "rnn,expect", [(1.5, "better than the Markov chain"), (2.0, "does not beat"), (2.5, "does not beat")]
)
def test_music_verdict(rnn, expect):
    sentence = music.verdict({"val_nll": rnn, "baseline": {"val_nll": 2.0}})
    assert expect in sentence and sentence.endswith(".")


@pytest.mark.parametrize("acc,expect", [(0.8, "beat the TF-IDF"), (0.75, "tie"), (0.7, "did not beat")])
def test_sentiment_verdict(acc, expect):
    sentence = sentiment.verdict({"accuracy": acc}, {"accuracy": 0.75})
    assert expect in sentence and sentence.endswith(".")
