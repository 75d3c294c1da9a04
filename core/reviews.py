"""Review data for the sentiment task: MR, IMDB or a CSV, labels mapped to 0/1, and the split.

Nothing here imports TensorFlow except the IMDB loader (Keras's), so the page can
preview a data set and the command line can check it before TensorFlow loads.
Everything a user can get wrong raises `DataError` with what to do next; every
change made on the way (rows skipped, labels mapped, encoding) becomes a note.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from core.config import SentimentConfig
from core.datasets import ENCODING_NAMES, DataError, fetch, read_csv_with_encoding, sha256_bytes
from core.tf import keras_module

MIN_ROWS, MIN_PER_CLASS = 20, 5
# Pairs of label values whose positive member is known; any other two values are sorted.
KNOWN_PAIRS = {
    frozenset({"0", "1"}): "1",
    frozenset({"-1", "1"}): "1",
    frozenset({"0", "4"}): "4",  # Sentiment140's convention
    frozenset({"neg", "pos"}): "pos",
    frozenset({"negative", "positive"}): "positive",
    frozenset({"bad", "good"}): "good",
    frozenset({"false", "true"}): "true",
    frozenset({"no", "yes"}): "yes",
}
# The Try it panel's examples: one of each kind a person should see the model handle (or not).
EXAMPLES = {
    "Positive": "a gorgeous , witty and deeply moving film with a wonderful cast",
    "Negative": "a dull , lifeless mess that wastes its actors and our time",
    "Negated": "this is not a good movie , and the jokes are not funny either",
    "Sarcastic": "oh great , another two hours of my life i will never get back . what a treat",
}
TEXT_NAMES = ("text", "review", "sentence", "content", "comment", "body", "tweet")
LABEL_NAMES = ("label", "sentiment", "polarity", "class", "target", "labels")


@dataclass
class Corpus:
    texts: list[str]
    labels: np.ndarray  # (n,) 0 negative, 1 positive
    label_names: list[str]  # the values read as 0 and as 1
    notes: list[str] = field(default_factory=list)
    fingerprint: str = ""


# --- data ------------------------------------------------------------------
def _load_mr() -> Corpus:
    folder = fetch("mr")
    pos = (folder / "rt-polarity.pos").read_text(encoding="utf-8").splitlines()
    neg = (folder / "rt-polarity.neg").read_text(encoding="utf-8").splitlines()
    texts = [t.strip() for t in neg + pos]
    labels = np.array([0] * len(neg) + [1] * len(pos))
    return Corpus(
        texts, labels, ["negative", "positive"], fingerprint=sha256_bytes("\n".join(texts).encode())
    )


def _load_imdb() -> Corpus:
    imdb = keras_module().datasets.imdb
    try:
        (xa, ya), (xb, yb) = imdb.load_data()
        index = imdb.get_word_index()
    except Exception as exc:  # Keras wraps URLError/HTTPError in a plain Exception
        cache = Path.home() / ".keras" / "datasets"
        raise DataError(
            "IMDB is not on this computer and could not be downloaded (about 17 MB; no internet"
            f" connection?): put imdb.npz and imdb_word_index.json in {cache}, or use MR or upload a CSV instead."
        ) from exc
    words = {i + 3: w for w, i in index.items()}  # load_data shifts ids by 3 (pad, start, unknown)
    texts = [" ".join(words.get(i, "") for i in seq if i >= 3) for seq in [*xa, *xb]]
    labels = np.concatenate([ya, yb]).astype(int)
    return Corpus(
        texts, labels, ["negative", "positive"], fingerprint=sha256_bytes("\n".join(texts).encode())
    )


def guess_columns(df: pd.DataFrame) -> tuple[str, str]:
    """(text column, label column): by name, else the longest text and a two-valued column."""
    cols = [str(c) for c in df.columns]
    lower = {c.strip().lower(): c for c in cols}
    text = next((lower[n] for n in TEXT_NAMES if n in lower), "")
    if not text:
        lengths = {c: df[c].astype(str).str.len().mean() for c in cols if df[c].dtype == object}
        text = max(lengths, key=lengths.get) if lengths else cols[0]
    label = next((lower[n] for n in LABEL_NAMES if n in lower and lower[n] != text), "")
    if not label:
        two = [c for c in cols if c != text and df[c].dropna().nunique() == 2]
        label = two[0] if two else next((c for c in cols if c != text), text)
    return text, label


def _label_key(value) -> str:
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip()


def corpus_from_frame(df: pd.DataFrame, text_col: str, label_col: str, encoding: str = "utf-8-sig") -> Corpus:
    """Texts and 0/1 labels from a table, with a note for everything changed on the way."""
    df = df.rename(columns=str)
    guess_text, guess_label = guess_columns(df)
    text_col, label_col = text_col or guess_text, label_col or guess_label
    for col in (text_col, label_col):
        if col not in df.columns:
            raise DataError(f"There is no column {col!r}; the columns are {', '.join(df.columns)}.")
    if text_col == label_col:
        raise DataError("The text and the label must be two different columns.")
    notes = []
    if encoding != "utf-8-sig":
        notes.append(f"The file is not UTF-8: it was read as {ENCODING_NAMES[encoding]}.")
    texts = df[text_col].fillna("").astype(str).str.strip()
    empty = texts == ""
    if empty.all():
        raise DataError(
            f"Every text in the column {text_col!r} is empty: choose the column that holds the reviews."
        )
    keys = df[label_col].map(lambda v: "" if pd.isna(v) else _label_key(v))
    unlabelled = (keys == "") & ~empty
    if empty.any():
        notes.append(f"Skipped {int(empty.sum())} rows with an empty text.")
    if unlabelled.any():
        notes.append(f"Skipped {int(unlabelled.sum())} rows with no label.")
    keep = ~empty & (keys != "")
    texts, keys = texts[keep], keys[keep]
    values = sorted(keys.unique(), key=str.lower)
    if len(values) > 2:
        shown = ", ".join(repr(v) for v in values[:6]) + (", ..." if len(values) > 6 else "")
        raise DataError(
            f"The label column {label_col!r} has {len(values)} different values ({shown}); sentiment needs"
            " exactly two, like 0/1 or pos/neg. Choose another column or merge the values."
        )
    if len(values) < 2:
        only = repr(values[0]) if values else "none"
        raise DataError(
            f"The label column {label_col!r} has only one value ({only}): the model needs examples of"
            " both a positive and a negative label."
        )
    positive = KNOWN_PAIRS.get(frozenset(v.lower() for v in values))
    pos_value = next((v for v in values if v.lower() == positive), values[1])
    neg_value = values[0] if pos_value == values[1] else values[1]
    if positive is None:
        notes.append(
            f"The labels {neg_value!r} and {pos_value!r} are not a known pair, so {neg_value!r} is read"
            f" as negative (0) and {pos_value!r} as positive (1)."
        )
    labels = (keys == pos_value).to_numpy().astype(int)
    counts = np.bincount(labels, minlength=2)
    if len(labels) < MIN_ROWS or counts.min() < MIN_PER_CLASS:
        raise DataError(
            f"Only {len(labels)} usable rows ({counts[0]} {neg_value!r}, {counts[1]} {pos_value!r}): the"
            f" split into training, validation and test needs at least {MIN_ROWS} rows with at least"
            f" {MIN_PER_CLASS} of each label."
        )
    frame = pd.DataFrame({"text": texts, "label": labels})
    return Corpus(
        texts.tolist(), labels, [neg_value, pos_value], notes, sha256_bytes(frame.to_csv().encode())
    )


def load_corpus(cfg: SentimentConfig) -> Corpus:
    if cfg.data == "mr":
        return _load_mr()
    if cfg.data == "imdb":
        return _load_imdb()
    path = Path(cfg.data)
    if path.suffix.lower() != ".csv":
        raise DataError(f"Unknown data {cfg.data!r}: use mr, imdb or a .csv file.")
    if not path.is_file():
        raise DataError(f"The file {cfg.data} does not exist.")
    df, encoding = read_csv_with_encoding(path.read_bytes())
    return corpus_from_frame(df, cfg.text_column, cfg.label_column, encoding)


def split_indices(labels: np.ndarray, val_fraction: float, test_fraction: float, seed: int):
    """Stratified train, validation and test indices: each split keeps the label balance."""
    from sklearn.model_selection import train_test_split

    idx = np.arange(len(labels))
    rest, test = train_test_split(idx, test_size=test_fraction, stratify=labels, random_state=seed)
    val_share = val_fraction / (1 - test_fraction)
    train, val = train_test_split(rest, test_size=val_share, stratify=labels[rest], random_state=seed)
    return np.sort(train), np.sort(val), np.sort(test)


@dataclass
class Prepared:
    corpus: Corpus
    splits: tuple[np.ndarray, np.ndarray, np.ndarray]

    @property
    def sizes(self) -> dict:
        return dict(zip(("train", "validation", "test"), (len(s) for s in self.splits), strict=True))


def prepare(cfg: SentimentConfig, corpus: Corpus | None = None) -> Prepared:
    """Everything before TensorFlow: the page previews it, the CLI checks the data with it."""
    corpus = corpus or load_corpus(cfg)
    return Prepared(
        corpus, split_indices(corpus.labels, cfg.train.val_fraction, cfg.test_fraction, cfg.split_seed)
    )
