"""Interpolated character n-gram language model: the baseline beside the char RNN.

Witten-Bell interpolation (Witten & Bell 1991; Chen & Goodman 1998, section 2.5):

    P(c | h) = (C(h c) + T(h) * P(c | h')) / (C(h) + T(h))

where h' is h without its oldest character, C counts occurrences in the training
split and T(h) is the number of different characters seen after h. A context seen
often with few different followers trusts its own counts; a rare one leans on the
shorter context. The recursion ends in a uniform distribution over the vocabulary,
so every character, even one never seen, gets a probability above zero.

Counting never builds a key wider than int64: an m-gram's id is the dense id of
its first m-1 characters times the vocabulary size plus its last character,
re-densified with `np.unique`, so any vocabulary size and order fit.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

MAX_ORDER = 8


def _gram_ids(ids: np.ndarray, vocab_size: int, max_len: int) -> list[np.ndarray]:
    """grams[m][i]: a dense id of the m characters ending at position i (-1 where i < m-1)."""
    grams = [np.zeros(0, np.int64), ids.astype(np.int64)]
    for m in range(2, max_len + 1):
        prev = grams[m - 1]
        key = np.full(len(ids), -1, np.int64)
        key[m - 1 :] = prev[m - 2 : -1] * vocab_size + ids[m - 1 :]
        valid = key >= 0
        dense = np.full(len(ids), -1, np.int64)
        dense[valid] = np.unique(key[valid], return_inverse=True)[1]
        grams.append(dense)
    return grams


def log_probs(ids: np.ndarray, n_train: int, max_order: int, vocab_size: int) -> dict[int, np.ndarray]:
    """{order: ln P(ids[i] | the order-1 characters before it) for every i >= n_train}.

    Counts come from targets in ids[:n_train] only, so nothing at or after
    n_train is ever counted; contexts may reach back across n_train, as a
    reader of the held-out text would have read what came before it. Each
    order's estimate interpolates the one below, so one pass yields them all.
    """
    max_order = max(1, min(max_order, MAX_ORDER))
    n = len(ids)
    grams = _gram_ids(ids, vocab_size, max_order)
    targets = np.arange(n_train, n)
    p = np.full(len(targets), 1.0 / vocab_size)
    out = {}
    for k in range(0, max_order):  # context length k: unigram (k=0) up to max_order-1
        g = grams[k + 1]  # id of the (k+1)-gram ending at each position
        train_t = np.arange(k, n_train)
        gram_count = np.bincount(g[train_t], minlength=int(g.max()) + 1)
        if k == 0:
            ctx_train = np.zeros(len(train_t), np.int64)
            ctx_eval = np.zeros(len(targets), np.int64)
        else:
            ctx_train = grams[k][train_t - 1]
            ctx_eval = grams[k][targets - 1]
        csize = int(max(ctx_train.max(initial=0), ctx_eval.max(initial=0))) + 1
        ctx_count = np.bincount(ctx_train, minlength=csize)
        # T(h): distinct grams per context, from the first occurrence of each gram.
        _, first = np.unique(g[train_t], return_index=True)
        followers = np.bincount(ctx_train[first], minlength=csize)
        c_hc = gram_count[g[targets]]
        c_h = ctx_count[ctx_eval]
        t_h = followers[ctx_eval]
        p = np.where(c_h > 0, (c_hc + t_h * p) / np.maximum(c_h + t_h, 1), p)
        out[k + 1] = np.log(p)
    return out


@dataclass
class Baseline:
    name: str
    order: int
    val_loss: float  # nats per character on the held-out split
    by_order: dict  # order -> held-out nats per character, for the chart


def fit_baseline(ids: np.ndarray, n_train: int, vocab_size: int, max_order: int = 7) -> Baseline:
    """Pick the order on the last 10% of the training split, then score the held-out split.

    The held-out split never chooses anything: the order is tuned on a slice
    of the training text with counts from the rest of it.
    """
    dev_start = int(n_train * 0.9)
    dev = log_probs(ids[:n_train], dev_start, max_order, vocab_size)
    best = min(dev, key=lambda o: -float(np.mean(dev[o])))
    held = log_probs(ids, n_train, best, vocab_size)
    by_order = {o: -float(np.mean(lp)) for o, lp in held.items()}
    return Baseline(f"{best}-gram (Witten-Bell interpolated)", best, by_order[best], by_order)


def bits(nats: float) -> float:
    return nats / math.log(2)
