"""The numbers a lesson's check reads, from what a page really computed (never made up here).

Each source turns plain data the page already holds (a run's result, the three results of
a cell comparison, the clipping demonstration, a generation, a reading of a review, a
composed melody) into a dict of facts that a check addresses by dotted paths. The few
derived numbers (the share of real words in a text, the largest update of a training)
are computed here from that data, so every page and test gets the same ones.
"""

from __future__ import annotations

import re

WORD = re.compile(r"[a-z]+(?:'[a-z]+)?")


def corpus_words(text: str) -> frozenset[str]:
    """The words of a training text, lower-cased: what counts as a real word."""
    return frozenset(WORD.findall(text.lower()))


def real_word_share(text: str, words: frozenset[str]) -> float | None:
    """Share of the words of 2 letters or more in `text` that occur in the training text."""
    found = [w for w in WORD.findall(text.lower()) if len(w) >= 2]
    if not found:
        return None
    return sum(w in words for w in found) / len(found)


def run_facts(result: dict) -> dict:
    """A finished run's result as it is: final (the held-out numbers) and display."""
    return result


def cells_facts(results: dict[str, dict]) -> dict:
    """A cell comparison: {cell: result} as it is ("lstm.final.test.accuracy")."""
    return results


def clipping_facts(demo: dict) -> dict:
    """The clipping demonstration, without and with the clip: the largest update, the losses, the
    size of all the weights at the start and at the end, and the last update."""
    out = {"bound": demo["learning_rate"] * demo["clip"]}
    for name in ("unclipped", "clipped"):
        rows = demo[name]
        out[name] = {
            "max_update": max(r["update_norm"] for r in rows),
            "max_grad": max(r["grad_norm"] for r in rows),
            "first_loss": rows[0]["loss"],
            "last_loss": rows[-1]["loss"],
            "first_weights": rows[0]["weight_norm"],  # all the weights' size, before the first step
            "last_weights": rows[-1]["weight_norm"],  # ... and before the last
            "last_update": rows[-1]["update_norm"],
        }
    return out


def samples_facts(result: dict, words: frozenset[str]) -> dict:
    """The live samples by epoch: real-word share of the first and of the last sample."""
    samples = [s for s in (result.get("display") or {}).get("samples") or [] if s.get("text")]
    if len(samples) < 2:
        return {}
    first, last = samples[0], samples[-1]
    return {
        "first": {"real_words": real_word_share(first["text"], words), "epoch": first.get("epoch")},
        "last": {"real_words": real_word_share(last["text"], words), "epoch": last.get("epoch")},
        "count": len(samples),
    }


def generation_facts(gen: dict, words: frozenset[str]) -> dict:
    """Generated text: its temperature, the model's average confidence in the characters it picked
    (probability at temperature 1) and the share of real words."""
    probs = gen.get("probs") or []
    return {
        "temperature": gen.get("temperature"),
        "confidence": sum(probs) / len(probs) if probs else None,
        "real_words": real_word_share(gen.get("text", ""), words),
    }


def reading_facts(analysis: dict) -> dict:
    """A review read word by word: the final score (probability positive) and the number of words."""
    if analysis.get("message") or not analysis.get("words"):
        return {}
    return {"positive": analysis["positive"], "words": len(analysis["words"])}


def melody_facts(melody: dict) -> dict:
    """A composed melody's measures beside the Markov chain's from the same primer."""
    return {"rnn": melody.get("measures") or {}, "markov": melody.get("markov_measures") or {}}


def untrained_facts(norms: dict[str, list[float]], length: int, scale: float) -> dict:
    """Untrained networks' gradient by distance: 1 step back (near) and T steps back (far)."""
    out: dict = {"length": length, "scale": scale}
    for cell, by_distance in norms.items():
        out[cell] = {"near": by_distance[0], "far": by_distance[-1]}
    return out
