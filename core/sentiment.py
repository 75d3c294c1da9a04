"""Sentiment: movie reviews in, positive or negative out, read word by word (data: core.reviews).

Raw strings go into the saved model: a TextVectorization layer, whose vocabulary
is fitted on the training split only, turns them into word ids; an Embedding that
masks padding feeds the shared recurrent stack, then dropout and a sigmoid. The
network trains on word ids computed once (no string work per batch); the saved
model wraps the same layers behind a string input. Beside it, TF-IDF (1-2 grams)
with logistic regression is fitted on the same training split.
"""

from __future__ import annotations

import functools
import re
import time
from pathlib import Path

import numpy as np

from core.config import SentimentConfig
from core.reviews import EXAMPLES, prepare
from core.saving import load_run, save_run
from core.tf import keras_module

# TextVectorization's default standardisation, mirrored so a person sees the words the model reads.
_STRIP = re.compile(r'[!"#$%&()\*\+,-\./:;<=>?@\[\\\]^_`{|}~\']')
_ASCII_LOWER = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")


# --- baseline and scores ---------------------------------------------------
def baseline(texts, labels, splits) -> tuple[np.ndarray, float]:
    """TF-IDF (1-2 grams) + logistic regression: test predictions and the C chosen on validation."""
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression

    tr, va, te = splits
    vec = TfidfVectorizer(ngram_range=(1, 2))
    x_tr = vec.fit_transform([texts[i] for i in tr])
    x_va, x_te = vec.transform([texts[i] for i in va]), vec.transform([texts[i] for i in te])
    best = None
    for c in (1.0, 3.0, 10.0, 30.0):  # regularisation chosen on validation, as the RNN's epochs are
        model = LogisticRegression(C=c, solver="liblinear", max_iter=1000).fit(x_tr, labels[tr])
        acc = float((model.predict(x_va) == labels[va]).mean())
        if best is None or acc > best[0]:
            best = (acc, c, model)
    return best[2].predict(x_te), best[1]


def scores(actual: np.ndarray, predicted: np.ndarray) -> dict:
    """Accuracy, F1 of the positive label, and the confusion matrix [[TN, FP], [FN, TP]]."""
    actual, predicted = np.asarray(actual).astype(int), np.asarray(predicted).astype(int)
    tp = int(((predicted == 1) & (actual == 1)).sum())
    fp = int(((predicted == 1) & (actual == 0)).sum())
    fn = int(((predicted == 0) & (actual == 1)).sum())
    tn = int(((predicted == 0) & (actual == 0)).sum())
    f1 = 2 * tp / (2 * tp + fp + fn) if tp + fp + fn else 0.0
    return {"accuracy": (tp + tn) / max(1, len(actual)), "f1": f1, "confusion": [[tn, fp], [fn, tp]]}


def verdict(rnn: dict, base: dict) -> str:
    """One plain sentence: which classifier is better on the test split?"""
    a, b = rnn["accuracy"], base["accuracy"]
    if a > b:
        return f"The RNN beat the TF-IDF baseline on test accuracy ({a:.1%} against {b:.1%})."
    if a == b:
        return f"The RNN and the TF-IDF baseline tie on test accuracy ({a:.1%})."
    return (
        f"The RNN did not beat the TF-IDF baseline on test accuracy ({a:.1%} against {b:.1%}):"
        " the simpler model is better here."
    )


# --- the model -------------------------------------------------------------
@functools.cache
def attention_layer():
    """The attention pooling layer class, made (and registered for loading) at first use."""
    keras = keras_module()
    ops = keras.ops

    @keras.saving.register_keras_serializable(package="rnn_studio")
    class AttentionPool(keras.layers.Layer):
        """Additive attention: score each word's output, softmax over real words, weighted sum."""

        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            self.supports_masking = True

        def build(self, input_shape):
            d = input_shape[-1]
            self.w = self.add_weight(name="w", shape=(d, d), initializer="glorot_uniform")
            self.b = self.add_weight(name="b", shape=(d,), initializer="zeros")
            self.u = self.add_weight(name="u", shape=(d,), initializer="glorot_uniform")

        def call(self, x, mask=None):  # x: (batch, time, units)
            scores = ops.tensordot(ops.tanh(ops.tensordot(x, self.w, 1) + self.b), self.u, 1)  # (batch, time)
            if mask is not None:  # padding gets no weight
                scores = ops.where(mask, scores, -1e9)
            weights = ops.softmax(scores, axis=-1)  # (batch, time), sums to 1
            return ops.sum(x * weights[..., None], axis=1), weights  # (batch, units), (batch, time)

        def compute_mask(self, x, mask=None):
            return [None, None]

        def compute_output_shape(self, shape):
            return (shape[0], shape[-1]), (shape[0], shape[1])

    return AttentionPool


@functools.cache
def pool_layer():
    """The max-and-mean pooling layer class, made (and registered for loading) at first use."""
    keras = keras_module()
    ops = keras.ops

    @keras.saving.register_keras_serializable(package="rnn_studio")
    class MaxMeanPool(keras.layers.Layer):
        """Each feature's largest and average value over the real words (padding left out)."""

        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            self.supports_masking = True

        def call(self, x, mask=None):  # x: (batch, time, units)
            if mask is None:
                return ops.concatenate([ops.max(x, axis=1), ops.mean(x, axis=1)], axis=-1)
            m = ops.cast(mask, x.dtype)[..., None]  # (batch, time, 1), 1 on real words
            peak = ops.max(ops.where(m > 0, x, -1e9), axis=1)  # (batch, units)
            mean = ops.sum(x * m, axis=1) / ops.maximum(ops.sum(m, axis=1), 1.0)  # (batch, units)
            # A text with no word at all (only padding) pools to zeros, not -1e9.
            peak = ops.where(ops.sum(m, axis=1) > 0, peak, 0.0)
            return ops.concatenate([peak, mean], axis=-1)  # (batch, 2 * units)

        def compute_mask(self, x, mask=None):
            return None

        def compute_output_shape(self, shape):
            return (shape[0], 2 * shape[-1])

    return MaxMeanPool


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


def make_vectorizer(cfg: SentimentConfig, train_texts: list[str]):
    """Word ids from raw strings; the vocabulary comes from the training split alone."""
    keras = keras_module()
    vec = keras.layers.TextVectorization(
        max_tokens=cfg.vocab, output_sequence_length=cfg.max_len, name="vectorizer"
    )
    vec.adapt(np.array(train_texts, dtype=object), batch_size=1024)
    return vec


def build_classifier(
    cfg: SentimentConfig,
    vocab_size: int,
    vectors: np.ndarray | None = None,
    polarity: np.ndarray | None = None,
):
    """Word ids in, the probability that the review is positive out; `vectors` start the embedding;
    `polarity` (vocab_size, 1), if given, is read beside each word's vector and never trained."""
    from core.models import recurrent_stack

    keras = keras_module()
    ids = keras.Input(shape=(cfg.max_len,), dtype="int64", name="word_ids")  # (batch, time)
    embedding = keras.layers.Embedding(vocab_size, cfg.embed_dim, mask_zero=True, name="embedding")
    x = embedding(ids)  # (batch, time, embed_dim)
    if vectors is not None:
        # Set after building: a constant initialiser would copy every vector into the saved config.
        embedding.set_weights([vectors])
    # On MR's 7,500 training sentences the embeddings memorise fastest, so they get the most
    # dropout: whole words hidden (no single word can decide alone), then whole dimensions.
    if cfg.word_dropout > 0:
        x = keras.layers.Dropout(cfg.word_dropout, noise_shape=(None, cfg.max_len, 1), name="word_dropout")(x)
    if cfg.arch.dropout > 0:
        x = keras.layers.SpatialDropout1D(cfg.arch.dropout, name="embedding_dropout")(x)
    if polarity is not None:
        lean = keras.layers.Embedding(vocab_size, 1, mask_zero=True, trainable=False, name="polarity")
        x = keras.layers.Concatenate(name="with_polarity")([x, lean(ids)])  # (batch, time, embed_dim + 1)
        lean.set_weights([polarity])
    if cfg.attention:
        outputs = recurrent_stack(x, cfg.arch, return_sequences=True)  # (batch, time, units)
        h, _ = attention_layer()(name="attention")(outputs)  # (batch, units)
    elif cfg.pooling == "max_mean":
        outputs = recurrent_stack(x, cfg.arch, return_sequences=True)  # (batch, time, units)
        h = pool_layer()(name="pool")(outputs)  # (batch, 2 * units)
    else:
        h = recurrent_stack(x, cfg.arch)  # (batch, units): the state after the last word
    if cfg.arch.dropout > 0:
        h = keras.layers.Dropout(cfg.arch.dropout, name="head_dropout")(h)
    out = keras.layers.Dense(1, activation="sigmoid", name="positive")(h)  # (batch, 1)
    return keras.Model(ids, out, name="classifier")


def end_to_end(vectorizer, classifier):
    """The saved model: raw strings in, probabilities out."""
    keras = keras_module()
    text = keras.Input(shape=(1,), dtype="string", name="text")
    return keras.Model(text, classifier(vectorizer(text)), name="sentiment")


def predict_texts(model, texts: list[str]) -> np.ndarray:
    """P(positive) for each string, from the saved (string-input) model, in one call."""
    if not texts:
        return np.zeros(0)
    x = keras_module().ops.convert_to_tensor(np.array(texts, dtype=object)[:, None])
    return np.asarray(model(x, training=False))[:, 0].astype(float)


def _keep_best(record: dict, x_val: np.ndarray, y_val: np.ndarray, last: int = 4):
    """Keep the weights that score best on the validation split: the best epoch's, or the
    average of the last `last` epochs' weights. Averaging nearby points of one run (as in
    stochastic weight averaging) scored higher than any single epoch in most runs on MR."""
    keras = keras_module()

    class KeepBest(keras.callbacks.Callback):
        def __init__(self):
            super().__init__()
            self.best, self.weights, self.recent = -1.0, None, []

        def on_epoch_end(self, epoch, logs=None):
            weights = self.model.get_weights()
            self.recent = [*self.recent, weights][-last:]
            acc = (logs or {}).get("val_accuracy")
            if acc is not None and acc > self.best:
                self.best, self.weights = acc, weights
                record.update(epoch=epoch + 1, val_accuracy=acc)

        def on_train_end(self, logs=None):
            if self.weights is None:
                return
            if len(self.recent) == last:
                self.model.set_weights([np.mean(ws, axis=0) for ws in zip(*self.recent, strict=True)])
                prob = self.model.predict(x_val, batch_size=1024, verbose=0)[:, 0]
                acc = float(((prob > 0.5) == (y_val > 0.5)).mean())
                if acc > self.best:
                    record.update(averaged=last, val_accuracy=acc)
                    return
            self.model.set_weights(self.weights)

    return KeepBest()


def kept_sentence(kept: dict, epochs_run: int) -> str:
    """Which weights the RNN kept, in words."""
    if kept.get("averaged"):
        first = epochs_run - kept["averaged"] + 1
        return (
            f"The RNN kept the average of its weights over epochs {first}-{epochs_run}, which scored"
            f" best on the validation split ({kept['val_accuracy']:.1%})."
        )
    if kept.get("by") == "loss":
        return f"The RNN kept its weights from epoch {kept['epoch']}, the lowest validation loss (early stopping)."
    if kept.get("epoch"):
        return (
            f"The RNN kept its weights from epoch {kept['epoch']}, the best on the validation split"
            f" ({kept['val_accuracy']:.1%})."
        )
    return "The RNN kept its weights as they were when training stopped."


def train(cfg: SentimentConfig, ctx) -> dict:
    """Fit the RNN and the baseline on the same split; save the string-input model."""
    from core.training import make_optimizer

    start = time.time()
    ctx.status("Reading the reviews...")
    p = prepare(cfg)
    ctx.set_fingerprint(p.corpus.fingerprint)
    texts, labels = p.corpus.texts, p.corpus.labels
    tr, va, te = p.splits
    ctx.status("Fitting the baseline (TF-IDF + logistic regression)...")
    base_pred, base_c = baseline(texts, labels, p.splits)
    ctx.status("Building the vocabulary from the training split...")
    vectorizer = make_vectorizer(cfg, [texts[i] for i in tr])
    ids = np.asarray(vectorizer(np.array(texts, dtype=object))).astype("int64")  # (n, max_len)
    y = labels.astype("float32")
    vectors = None
    if cfg.word_vectors:
        ctx.status("Learning word vectors from the training split (which words appear together)...")
        vectors = word_vectors(ids[tr], vectorizer.vocabulary_size(), cfg.embed_dim)
    polarity = None
    if cfg.word_polarity:
        ctx.status("Counting how much each word leans positive or negative in the training split...")
        polarity = word_polarity(ids[tr], labels[tr], vectorizer.vocabulary_size())
    classifier = build_classifier(cfg, vectorizer.vocabulary_size(), vectors, polarity)
    classifier.compile(optimizer=make_optimizer(cfg.train), loss="binary_crossentropy", metrics=["accuracy"])
    kept: dict = {}
    # With early stopping on, Keras restores the weights of the lowest validation loss instead.
    extra = [] if cfg.train.patience > 0 else [_keep_best(kept, ids[va], y[va])]
    ctx.status("Training...")
    history = ctx.fit(classifier, ids[tr], y[tr], (ids[va], y[va]), cfg.train, extra_callbacks=extra)
    if cfg.train.patience > 0 and history:
        kept = {"epoch": min(history, key=lambda h: h.get("val_loss", np.inf))["epoch"], "by": "loss"}
    prob = classifier.predict(ids[te], batch_size=1024, verbose=0)[:, 0]  # (test,)
    rnn, base = scores(labels[te], prob > 0.5), scores(labels[te], base_pred)
    model = end_to_end(vectorizer, classifier)
    # Scored by the model in memory: the page shows them, and a reloaded model must match them.
    examples = dict(zip(EXAMPLES, predict_texts(model, list(EXAMPLES.values())).tolist(), strict=True))
    train_seconds = time.time() - start
    final = {
        "task": "sentiment",
        "test": {"accuracy": rnn["accuracy"], "f1": rnn["f1"]},
        "baseline": {"name": "tfidf-logreg", "accuracy": base["accuracy"], "f1": base["f1"]},
        "train_seconds": round(train_seconds, 2),
    }
    display = {
        "data": cfg.data,
        "label_names": p.corpus.label_names,
        "notes": p.corpus.notes,
        "sizes": p.sizes,
        "vocab_size": int(vectorizer.vocabulary_size()),
        "confusion": {"rnn": rnn["confusion"], "baseline": base["confusion"]},
        "baseline_c": base_c,
        "kept": kept_sentence(kept, len(history)),
        "epochs_run": len(history),
        "attention": cfg.attention,
        "max_len": cfg.max_len,
        "verdict": verdict(rnn, base),
        "examples": examples,
    }
    save(ctx.run_dir, model, cfg, final, display)
    return {"final": final, "display": display, "history": history}


def save(run_dir: Path, model, cfg: SentimentConfig, final: dict, display: dict) -> None:
    save_run(run_dir, model, cfg, final, display)


def load(run_dir: Path):
    """(model, config) of a saved sentiment run; the model takes raw strings."""
    attention_layer(), pool_layer()  # registered before loading, so such models deserialise
    return load_run(run_dir, SentimentConfig)


# --- Try it ----------------------------------------------------------------
def words_of(text: str) -> list[str]:
    """The words the model reads: TextVectorization's lower-casing (ASCII), punctuation stripped."""
    return _STRIP.sub("", text.translate(_ASCII_LOWER)).split()


def analyse(model, text: str) -> dict:
    """Probability, the running score after each word, each word's influence, attention weights
    and each word's lean in the training split (the last two where the model has them).

    Influence is measured by occlusion: the probability with the whole text minus the
    probability with that one word removed (positive: the word pushed towards positive).
    """
    classifier, vectorizer = model.get_layer("classifier"), model.get_layer("vectorizer")
    max_len = classifier.input.shape[1]
    words = words_of(text)
    out = {"text": text, "words": [], "message": ""}
    if not words:
        return out | {"message": "There are no words to read: type a review (letters, not only punctuation)."}
    vocab = set(vectorizer.get_vocabulary()[2:])  # 0 is padding, 1 stands for every unknown word
    truncated = len(words) > max_len
    words = words[:max_len]
    known = [w in vocab for w in words]
    if not any(known):
        return out | {
            "words": words,
            "message": "None of these words are in the model's vocabulary (learned from the training"
            " split), so it cannot judge this text: try a review with more common words.",
        }
    n = len(words)
    batch = [" ".join(words)]
    batch += [" ".join(words[: k + 1]) for k in range(n)]  # prefixes: the score after each word
    batch += [" ".join(words[:k] + words[k + 1 :]) for k in range(n)]  # each word left out
    probs = predict_texts(model, batch)
    p = float(probs[0])
    result = out | {
        "words": words,
        "known": known,
        "positive": p,
        "running": probs[1 : n + 1].tolist(),
        "influence": (p - probs[n + 1 :]).tolist(),
        "attention": None,
        "lean": None,
        "truncated": truncated,
    }
    layers = {layer.name for layer in classifier.layers}
    if layers & {"attention", "polarity"}:
        keras = keras_module()
        ids = vectorizer(keras.ops.convert_to_tensor(np.array([batch[0]], dtype=object)))  # (1, max_len)
        if "attention" in layers:
            explainer = keras.Model(classifier.input, classifier.get_layer("attention").output[1])
            result["attention"] = np.asarray(explainer(ids))[0, :n].astype(float).tolist()
        if "polarity" in layers:  # the fixed number read beside each word: its lean in the training split
            table = classifier.get_layer("polarity").get_weights()[0][:, 0]
            result["lean"] = table[np.asarray(ids)[0, :n]].astype(float).tolist()
    return result


def per_word(analysis: dict) -> list[dict]:
    """The analysis as one record per word (the command line's --predict output)."""
    rows = []
    for i, word in enumerate(analysis.get("words", [])):
        row = {"word": word, "known": analysis["known"][i] if "known" in analysis else False}
        if "running" in analysis:
            row |= {"score_after": analysis["running"][i], "influence": analysis["influence"][i]}
        for extra in ("attention", "lean"):
            if analysis.get(extra):
                row[extra] = analysis[extra][i]
        rows.append(row)
    return rows
