"""Sentiment: movie reviews in, positive or negative out, read word by word (data: core.reviews).

Raw strings go into the saved model: a TextVectorization layer, whose vocabulary
is fitted on the training split only, turns them into word ids; an Embedding that
masks padding feeds the shared recurrent stack, then dropout and a sigmoid. The
network trains on word ids computed once (no string work per batch); the saved
model wraps the same layers behind a string input. Beside it, TF-IDF (1-2 grams)
with logistic regression is fitted on the same training split. The custom layers
live in `core.sentiment_layers`, the words' starting numbers in `core.sentiment_words`
(both also imported from here).
"""

from __future__ import annotations

import re
import time
from pathlib import Path

import numpy as np

from core.config import SentimentConfig
from core.reviews import EXAMPLES, prepare
from core.saving import load_run, save_run
from core.sentiment_layers import attention_layer, pool_layer  # also imported from here
from core.sentiment_words import word_polarity, word_vectors  # also imported from here
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
    from core.training import predict

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
                prob = predict(self.model, x_val, 1024)[:, 0]
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
    from core.training import make_optimizer, predict

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
    prob = predict(classifier, ids[te], 1024)[:, 0]  # (test,)
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
