"""The sentiment model's starting numbers for each word, from the training split alone.

`word_vectors`: which words keep the same company (PPMI, compressed by SVD), the
embedding's starting point. `word_polarity`: how much each word leans positive or
negative (the naive-Bayes ratio), read beside each word's vector. NumPy and
SciPy only, no TensorFlow.
"""

from __future__ import annotations

import numpy as np


def word_vectors(ids: np.ndarray, vocab_size: int, dim: int, window: int = 5) -> np.ndarray:
    """Word vectors from the training split alone (`ids`: its word ids, (texts, max_len)): which
    words appear near which (PPMI), compressed to `dim` numbers per word by SVD. Row i is the
    vector of word id i; padding (0) and unknown words (1) get zeros.

    Words that keep the same company get similar vectors ("boring" near "lame" and "formulaic"),
    so the network starts from related words being related instead of from noise.
    """
    from scipy.sparse import coo_matrix
    from sklearn.utils.extmath import randomized_svd

    gap = np.zeros((len(ids), window), dtype=ids.dtype)  # between two texts, so no pair spans them
    stream = np.concatenate([ids, gap], axis=1).ravel()
    rows, cols, vals = [], [], []
    for d in range(1, window + 1):  # every pair of known words d apart
        a, b = stream[:-d], stream[d:]
        keep = (a > 1) & (b > 1)
        rows += [a[keep], b[keep]]
        cols += [b[keep], a[keep]]
        vals += [np.full(2 * keep.sum(), 1.0 / d)]  # nearer words count more
    rows, cols, vals = np.concatenate(rows), np.concatenate(cols), np.concatenate(vals)
    n = vocab_size
    counts = coo_matrix((vals, (rows, cols)), shape=(n, n)).tocsr()
    total = counts.sum()
    word_p = np.asarray(counts.sum(axis=1)).ravel() / total
    ctx = np.asarray(counts.sum(axis=0)).ravel() ** 0.75  # smoothed context distribution
    ctx_p = ctx / ctx.sum()
    coo = counts.tocoo()
    pmi = np.log(coo.data / total / (word_p[coo.row] * ctx_p[coo.col]))
    keep = pmi > 0
    ppmi = coo_matrix((pmi[keep], (coo.row[keep], coo.col[keep])), shape=(n, n)).tocsr()
    k = min(dim, n - 1)
    u, s, _ = randomized_svd(ppmi, n_components=k, n_iter=3, random_state=0)
    vectors = np.zeros((n, dim), dtype="float32")
    seen = np.diff(ppmi.indptr) > 0  # words with at least one neighbour; the rest stay at zero
    vectors[seen, :k] = (u * np.sqrt(s))[seen]
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    vectors = np.where(norms > 0, vectors / np.maximum(norms, 1e-12), 0.0)  # unit length
    return (vectors * 0.05 * np.sqrt(dim)).astype("float32")  # about +-0.05 per number, as Keras's default


def word_polarity(ids: np.ndarray, labels: np.ndarray, vocab_size: int, scale: float = 3.0) -> np.ndarray:
    """Each word's lean in the training split alone (`ids`, `labels`: its word ids and 0/1 labels).

    The naive-Bayes log-count ratio (Wang and Manning, 2012): log of the share of positive
    reviews that contain the word over the share of negative ones, counting each word once
    per review, with one extra count on each side so that a word seen twice cannot claim
    certainty. Scaled so the most one-sided word reads +-`scale`. Returns (vocab_size, 1);
    padding (0) and unknown words (1) get 0.
    """
    from scipy.sparse import csr_matrix

    n, t = ids.shape
    rows, words = np.repeat(np.arange(n), t), ids.ravel()
    real = words > 1  # padding and unknown words are not words
    seen = csr_matrix((np.ones(real.sum()), (rows[real], words[real])), shape=(n, vocab_size))
    seen.data[:] = 1.0  # a word counts once per review
    pos = 1.0 + np.asarray(seen[labels == 1].sum(axis=0)).ravel()
    neg = 1.0 + np.asarray(seen[labels != 1].sum(axis=0)).ravel()
    ratio = np.log(pos / pos.sum()) - np.log(neg / neg.sum())
    ratio[:2] = 0.0
    peak = np.abs(ratio).max()
    return (ratio / peak * scale if peak > 0 else ratio).astype("float32")[:, None]
