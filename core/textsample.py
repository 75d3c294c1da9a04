"""Writing with a trained char model: the numpy step with its state, sampling, the lens.

Generation carries the recurrent state from character to character in numpy on
the trained weights (`core.numpy_rnn`), never `model.predict` in a loop (about
12 characters per second). Each step: the distribution over the next character,
temperature, top-k, a draw from a seeded generator (the same seed replays the
same text), and a record of what the model thought (the probability lens).
A vocabulary here is anything with `chars`, `index`, `size`, `encode`, `decode`
and `unseen` (core.textgen.Vocab); index 0 is "unknown" and is never written.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from core.datasets import DataError
from core.numpy_writer import OneByOne

MAX_GENERATE = 5_000
MAX_PROMPT = 2_000
SAMPLE_CHARS = 200
TOP = 5


class Stepper:
    """The numpy copy of a char model with its state: `prime` reads a prompt, `step` one character."""

    def __init__(self, stack) -> None:
        self.stack = stack  # core.numpy_rnn.NumpyStack
        self.state = stack.zero_state()

    def prime(self, ids: np.ndarray) -> np.ndarray:
        self.state = self.stack.zero_state()
        p = None
        for i in ids:
            p = self.step(int(i))
        return p

    def step(self, token: int) -> np.ndarray:
        p, self.state, _ = self.stack.step(np.array([token]), self.state)
        return p[0]  # (vocab,)


def stepper_from_model(model) -> Stepper:
    from core.numpy_rnn import NumpyStack

    return Stepper(NumpyStack.from_keras(model))


def save_stack(stack, path: Path) -> None:
    """`stack.save(path)`: kept for the callers of the name (core.textgen re-exports it)."""
    stack.save(path)


def load_stack(path: Path):
    """`NumpyStack.load(path)`: kept for the callers of the name (core.textgen re-exports it)."""
    from core.numpy_rnn import NumpyStack

    return NumpyStack.load(path)


@dataclass
class Generation:
    """Generated text with what the model thought at each character (the probability lens)."""

    prompt: str  # the prompt as the model read it (unseen characters left out)
    text: str  # the generated characters only
    probs: list[float]  # the model's probability (temperature 1) of each generated character
    top: list[list[tuple[str, float]]]  # its 5 most likely characters at each position
    chars_per_s: float
    dropped: list[str] = field(default_factory=list)  # prompt characters the model never saw
    notes: list[str] = field(default_factory=list)


def check_generation(length: int, temperature: float, top_k: int) -> None:
    if not 1 <= length <= MAX_GENERATE:
        raise DataError(
            f"Choose a length between 1 and {MAX_GENERATE:,} characters (you asked for {length})."
        )
    if not 0.1 <= temperature <= 2.0:
        raise DataError("Choose a temperature between 0.1 and 2.0.")
    if top_k < 0:
        raise DataError("Top-k cannot be negative (0 means: consider every character).")


def clean_prompt(vocab, prompt: str) -> tuple[str, list[str], list[str]]:
    """(prompt to read, characters left out, notes in plain words)."""
    notes = []
    if len(prompt) > MAX_PROMPT:
        prompt = prompt[-MAX_PROMPT:]
        notes.append(f"Only the last {MAX_PROMPT:,} characters of the prompt were used.")
    dropped = vocab.unseen(prompt)
    if dropped:
        shown = ", ".join(repr(c) for c in dropped[:20])
        notes.append(
            f"The training text never contains {shown}, so the model has no idea what"
            f" {'it means' if len(dropped) == 1 else 'they mean'}: left out of the prompt."
        )
        prompt = "".join(c for c in prompt if c in vocab.index)
    return prompt, dropped, notes


def start_prompt(vocab) -> str:
    """What the model reads when the prompt is empty: a line break, as at the start of a speech."""
    for c in ("\n", " "):
        if c in vocab.index:
            return c
    return vocab.chars[1]


def generate(
    stepper,
    vocab,
    prompt: str = "",
    length: int = SAMPLE_CHARS,
    temperature: float = 1.0,
    top_k: int = 0,
    seed: int = 0,
    greedy: bool = False,
) -> Generation:
    """Read the prompt, then write `length` characters, carrying the state throughout.

    Temperature divides the log-probabilities before sampling (below 1: safer,
    more repetitive; above 1: bolder, more misspelt); top-k samples among the k
    most likely characters only; greedy always takes the most likely one. The
    same seed replays the same text exactly.
    """
    check_generation(length, temperature, top_k)
    read, dropped, notes = clean_prompt(vocab, prompt)
    if not read:
        read = start_prompt(vocab)
        notes.append("With no prompt the model starts as if at a line break.")
    rng = np.random.default_rng(seed)
    with single_thread_blas():
        t0 = time.perf_counter()
        logits = np.empty((length + 1, vocab.size), np.float32)  # what the model said at each step
        one = OneByOne(stepper.stack, stepper.stack.zero_state())
        for token in vocab.encode(read):  # the prompt; logits[0] ends as what follows it
            one.step_into(int(token), logits[0])
        # Gumbel-max: the likeliest character after adding temperature x Gumbel noise to the
        # logits is a draw from softmax(logits / temperature), with no exponential in the loop.
        if greedy:
            noise = np.zeros((length, vocab.size), np.float32)
        else:
            noise = -np.log(-np.log(rng.random((length, vocab.size), np.float32))) * np.float32(temperature)
        k = top_k if 0 < top_k < vocab.size - 1 else 0
        chosen = np.empty(length, np.int64)
        q = np.empty(vocab.size, np.float32)
        step = one.step_into
        for i in range(length):
            row = logits[i]
            row[0] = -np.inf  # never write "unknown" (nor count it among the top k)
            np.add(row, noise[i], out=q)
            if k:
                q[row < np.partition(row, -k)[-k]] = -np.inf
            c = int(q.argmax())
            chosen[i] = c
            step(c, logits[i + 1])
        stepper.state = one.state()
    logits = logits[:length]
    rows = np.exp(logits - logits.max(axis=1, keepdims=True))
    rows /= rows.sum(axis=1, keepdims=True)
    best = np.argsort(-rows, axis=1, kind="stable")[:, :TOP]  # (length, 5)
    best_p = np.take_along_axis(rows, best, axis=1)
    names = np.array(vocab.chars, dtype=object)[best].tolist()
    top = [list(zip(b, bp, strict=True)) for b, bp in zip(names, best_p.astype(float).tolist(), strict=True)]
    elapsed = time.perf_counter() - t0  # the lens included: this is what a reader waits for
    return Generation(
        prompt=read,
        text=vocab.decode(chosen),
        probs=rows[np.arange(length), chosen].astype(float).tolist(),
        top=top,
        chars_per_s=length / max(elapsed, 1e-9),
        dropped=dropped,
        notes=notes,
    )


def next_distribution(stepper, vocab, prompt: str) -> np.ndarray:
    """The model's distribution over the next character after reading `prompt` from a fresh state."""
    with single_thread_blas():
        return np.asarray(stepper.prime(vocab.encode(prompt)), np.float64)


_blas = None


def single_thread_blas():
    """One BLAS thread: a (1, 256) x (256, 768) product is too small to split, and on a busy
    machine extra threads wait for cores (measured 3x slower); it also keeps results identical.
    The controller is made once: finding the loaded libraries costs about 17 ms."""
    global _blas
    if _blas is None:
        from threadpoolctl import ThreadpoolController

        _blas = ThreadpoolController()
    return _blas.limit(limits=1, user_api="blas")
