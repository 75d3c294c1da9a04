"""Melodies as numbers, without TensorFlow: keys, tokens, the split, the Markov baseline, measures.

Encoding: one token per note, (pitch, duration), with durations snapped to a
small set of note values. The alternative, pitch on a fixed sixteenth-note grid
with "hold" tokens, needs about four tokens per chorale note, so the same
network would see a quarter of the musical context in a window of the same
length and spend most of its predictions on hold tokens, which even a
first-order Markov chain predicts well: its loss would say little about
melody. Per-note tokens keep windows short, make "64 events" mean 64 notes,
and make the loss per token a loss per note.

Every melody is transposed to C major or A minor (the key found from all the
notes of the piece), so the network learns one key instead of twelve copies
of the same pattern.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from core.numpy_rnn import sample

# Note values in beats (quarter notes): sixteenth up to a dotted whole; a duration snaps to the nearest
# (on a log scale), so triplets and odd MIDI timings still land on a token.
DURATIONS = (0.25, 0.5, 0.75, 1.0, 1.5, 2.0, 3.0, 4.0, 6.0)
START, UNK = "<s>", "<unk>"
SPECIALS = (START, UNK)
MIN_COUNT = 2  # tokens seen once in training become <unk>, so the model learns how likely a rare note is
ALPHAS = (0.003, 0.01, 0.03, 0.1, 0.3, 1.0)  # Markov smoothing candidates

# Aarden-Essen key profiles (music21's default): how well each pitch class fits a major or minor key.
# Krumhansl-Kessler's profiles picked the dominant for 17 of 60 chorales; these matched music21 on all 60.
_MAJOR = np.array([17.77, 0.15, 14.93, 0.16, 19.80, 11.36, 0.29, 22.06, 0.15, 8.15, 0.23, 4.95])
_MINOR = np.array([18.26, 0.74, 14.05, 16.86, 0.70, 14.44, 0.70, 18.62, 4.57, 1.93, 7.38, 1.76])
TONICS = ("C", "C#", "D", "Eb", "E", "F", "F#", "G", "Ab", "A", "Bb", "B")


# --- keys and transposition ----------------------------------------------------
def find_key(pitches, weights) -> tuple[int, str]:
    """(tonic pitch class, "major"|"minor") whose profile correlates best with the duration-weighted pitch classes."""
    hist = np.bincount(np.asarray(pitches) % 12, weights=np.asarray(weights, float), minlength=12)
    if not hist.any():
        return 0, "major"
    best = (-2.0, 0, "major")
    for tonic in range(12):
        rolled = np.roll(hist, -tonic)
        for mode, profile in (("major", _MAJOR), ("minor", _MINOR)):
            r = float(np.corrcoef(rolled, profile)[0, 1]) if rolled.std() > 0 else 0.0
            best = max(best, (r, tonic, mode), key=lambda b: b[0])
    return best[1], best[2]


def transpose_shift(tonic: int, mode: str) -> int:
    """Semitones that move the key to C major or A minor, by the smaller way round (-6..+5)."""
    target = 0 if mode == "major" else 9
    shift = (target - tonic) % 12
    return shift - 12 if shift > 5 else shift


# --- tokens and the split -----------------------------------------------------------
def snap_duration(beats: float) -> float:
    return min(DURATIONS, key=lambda d: abs(math.log2(max(beats, 1e-3) / d)))


def token_of(pitch: int, beats: float) -> str:
    return f"{'R' if pitch < 0 else pitch}:{snap_duration(beats):g}"


def event_of(token: str) -> tuple[int, float]:
    pitch, beats = token.split(":")
    return (-1 if pitch == "R" else int(pitch)), float(beats)


def piece_tokens(piece: dict) -> list[str]:
    """Merge consecutive rests, then one token per event."""
    merged: list[list] = []
    for p, d in piece["events"]:
        if p < 0 and merged and merged[-1][0] < 0:
            merged[-1][1] += d
        else:
            merged.append([p, d])
    return [token_of(p, d) for p, d in merged]


def split_pieces(n: int, held_out: float, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """(train, held-out) piece indices: a fixed shuffle, so every run scores the same pieces."""
    order = np.random.default_rng(seed).permutation(n)
    k = min(n - 1, max(1, round(n * held_out)))
    return np.sort(order[k:]), np.sort(order[:k])


@dataclass
class Vocab:
    tokens: list[str]  # index -> token; 0 is <s>, 1 is <unk>

    def __post_init__(self) -> None:
        self.index = {t: i for i, t in enumerate(self.tokens)}

    @classmethod
    def fit(cls, sequences: list[list[str]]) -> Vocab:
        counts: dict[str, int] = {}
        for seq in sequences:
            for t in seq:
                counts[t] = counts.get(t, 0) + 1
        kept = sorted((t for t, c in counts.items() if c >= MIN_COUNT), key=event_of)
        return cls([*SPECIALS, *kept])

    def encode(self, tokens: list[str]) -> np.ndarray:
        """[<s>, t1, ..., tn] as ids; tokens never seen (often enough) in training become <unk>."""
        unk = self.index[UNK]
        return np.array([0, *(self.index.get(t, unk) for t in tokens)], np.int32)

    def nearest(self, token: str) -> int:
        """The closest note in the vocabulary (for primers): nearest pitch, then nearest duration."""
        if token in self.index:
            return self.index[token]
        p, d = event_of(token)

        def distance(t: str) -> float:
            q, e = event_of(t)
            return (abs(q - p) if (q < 0) == (p < 0) else 100) + abs(math.log2(e / d))

        return self.index[min(self.tokens[len(SPECIALS) :], key=distance)]

    def events(self, ids) -> list[tuple[int, float]]:
        return [event_of(self.tokens[i]) for i in ids if self.tokens[i] not in SPECIALS]


def primer_tokens(piece: dict, bars: int) -> list[str]:
    """The tokens of the first `bars` bars (a pickup belongs to bar one)."""
    if bars <= 0:
        return []
    limit = piece["first_bar"] + bars * piece["bar"] - 1e-6
    clock, out = 0.0, []
    for token in piece_tokens(piece):
        if clock >= limit:
            break
        out.append(token)
        clock += event_of(token)[1]
    return out


# --- the Markov baseline ------------------------------------------------------------
@dataclass
class Markov:
    """p(next token | this token), add-alpha smoothed; alpha chosen on training pieces only."""

    probs: np.ndarray  # (vocab, vocab), rows sum to 1
    alpha: float

    @staticmethod
    def _counts(seqs: list[np.ndarray], vocab_size: int) -> np.ndarray:
        counts = np.zeros((vocab_size, vocab_size))
        for s in seqs:
            # Each piece ends with a move back to <s>, as in the RNN's training stream.
            np.add.at(counts, (s, np.append(s[1:], 0)), 1.0)
        return counts

    @classmethod
    def fit(cls, seqs: list[np.ndarray], vocab_size: int) -> Markov:
        """Pick alpha on the last tenth of the training pieces, then refit on all of them."""
        cut = max(1, len(seqs) // 10) if len(seqs) > 1 else 0
        best = 0.1
        if cut:
            counts = cls._counts(seqs[:-cut], vocab_size)
            best = min(ALPHAS, key=lambda a: cls(_normalise(counts, a), a).nll(seqs[-cut:]))
        return cls(_normalise(cls._counts(seqs, vocab_size), best), best)

    def nll(self, seqs: list[np.ndarray]) -> float:
        """Mean negative log-likelihood (nats) per note after the start token."""
        logp = [np.log(self.probs[s[:-1], s[1:]]) for s in seqs if len(s) > 1]
        return float(-np.concatenate(logp).mean())

    def generate(self, primer: list[int], n: int, temperature: float, top_k: int, seed: int) -> list[int]:
        rng = np.random.default_rng(seed)
        last, out = (primer[-1] if primer else 0), []
        for _ in range(n):
            last = sample(notes_only(self.probs[last]), rng, temperature, top_k)
            out.append(last)
        return out


def _normalise(counts: np.ndarray, alpha: float) -> np.ndarray:
    smoothed = counts + alpha
    return smoothed / smoothed.sum(axis=1, keepdims=True)


def notes_only(p: np.ndarray) -> np.ndarray:
    """Never sample <s> (it means "the piece ends") or <unk> (no note to play)."""
    p = p.copy()
    p[: len(SPECIALS)] = 0.0
    return p / p.sum()


# --- objective measures ---------------------------------------------------------------
SCALES = {"major": {0, 2, 4, 5, 7, 9, 11}, "minor": {9, 11, 0, 2, 4, 5, 7, 6, 8}}  # A minor: raised 6th, 7th


def mode_of(events) -> str:
    """C major or A minor, whichever key profile fits the notes better (they share a key signature)."""
    notes = [(p, d) for p, d in events if p >= 0]
    if not notes:
        return "major"
    hist = np.bincount([p % 12 for p, _ in notes], weights=[d for _, d in notes], minlength=12)
    if hist.std() == 0:
        return "major"
    major = np.corrcoef(hist, _MAJOR)[0, 1]
    minor = np.corrcoef(np.roll(hist, -9), _MINOR)[0, 1]
    return "major" if major >= minor else "minor"


MEASURES_HELP = (
    "In the scale: share of notes in the scale of C major or A minor. Pitch variety: how evenly the 12"
    " pitch classes are used (entropy, bits). Range: highest minus lowest note (semitones). Small steps:"
    " share of moves of at most 2 semitones. Repeats: share of moves to the same note. Shares run from 0"
    " to 1; measured on the composed notes only, without the primer."
)


def measures(events, mode: str | None = None) -> dict:
    """In-scale ratio, pitch-class entropy (bits), range (semitones), step and repeat shares."""
    pitches = np.array([p for p, _ in events if p >= 0])
    out = {"events": len(events)}
    if len(pitches) == 0:
        return {
            **out,
            "in_scale": 0.0,
            "pitch_class_entropy": 0.0,
            "range": 0,
            "step_share": 0.0,
            "repeat_share": 0.0,
        }
    scale = SCALES[mode or mode_of(events)]
    pc = np.bincount(pitches % 12, minlength=12) / len(pitches)
    moves = np.abs(np.diff(pitches))  # rests are skipped: the move is between sounding notes
    return {
        **out,
        "in_scale": float(np.mean([p % 12 in scale for p in pitches])),
        "pitch_class_entropy": float(-(pc[pc > 0] * np.log2(pc[pc > 0])).sum()),
        "range": int(pitches.max() - pitches.min()),
        "step_share": float(np.mean(moves <= 2)) if len(moves) else 0.0,  # moves of 0, 1 or 2 semitones
        "repeat_share": float(np.mean(moves == 0)) if len(moves) else 0.0,
    }


def corpus_measures(pieces: list[dict]) -> dict:
    """Each measure averaged over pieces (events: the mean piece length), each in its own mode."""
    rows = [measures([tuple(e) for e in p["events"]], p["mode"]) for p in pieces]
    out = {k: float(np.mean([r[k] for r in rows])) for k in rows[0]}
    out["events"] = round(out["events"], 1)
    return out


def read_measures(gen: dict, ref: dict, ref_name: str) -> str:
    """One plain sentence comparing a melody's measures with the corpus's."""
    traits = []
    if gen["in_scale"] < ref["in_scale"] - 0.05:
        traits.append(
            f"strays from the scale more ({gen['in_scale']:.0%} of notes in it, against {ref['in_scale']:.0%})"
        )
    if gen["step_share"] < ref["step_share"] - 0.1:
        traits.append(
            f"leaps more (steps of at most 2 semitones: {gen['step_share']:.0%} against {ref['step_share']:.0%})"
        )
    elif gen["step_share"] > ref["step_share"] + 0.1:
        traits.append(f"moves by small steps more ({gen['step_share']:.0%} against {ref['step_share']:.0%})")
    if gen["repeat_share"] > ref["repeat_share"] + 0.1:
        traits.append(f"repeats notes more ({gen['repeat_share']:.0%} against {ref['repeat_share']:.0%})")
    if gen["range"] > ref["range"] + 5:
        traits.append(
            f"wanders over a wider range ({gen['range']} semitones against about {ref['range']:.0f})"
        )
    elif gen["range"] < ref["range"] - 5:
        traits.append(
            f"stays in a narrower range ({gen['range']} semitones against about {ref['range']:.0f})"
        )
    if not traits:
        return (
            f"The melody behaves much like {ref_name}: {gen['in_scale']:.0%} of its notes are in the scale"
            f" ({ref['in_scale']:.0%} in the corpus), {gen['step_share']:.0%} of its moves are steps of at"
            f" most 2 semitones ({ref['step_share']:.0%}), and it spans {gen['range']} semitones (about"
            f" {ref['range']:.0f})."
        )
    joined = traits[0] if len(traits) == 1 else ", ".join(traits[:-1]) + " and " + traits[-1]
    return f"Compared with {ref_name}, the melody {joined}."
