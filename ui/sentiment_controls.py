"""Sentiment page settings: which reviews, the preset, the word controls, and what the data holds."""

from __future__ import annotations

import json

import streamlit as st

from core import reviews, upload_names
from core.config import POOLINGS, SENTIMENT_QUICK, SentimentConfig, from_dict
from core.datasets import REGISTRY, read_csv_with_encoding, save_upload

P = "se"


@st.cache_data(show_spinner="Reading the reviews...", max_entries=10)
def preview(config_json: str) -> dict:
    p = reviews.prepare(from_dict(SentimentConfig, json.loads(config_json)))
    return {"sizes": p.sizes, "notes": p.corpus.notes, "labels": p.corpus.label_names}


def data_controls() -> dict:
    sources = {"mr": "Movie-review sentences (MR)", "imdb": "IMDB reviews", "csv": "Your CSV"}
    source = st.radio(
        "Data",
        list(sources),
        format_func=sources.get,
        horizontal=True,
        key=f"{P}_source",
        help="MR: 10,662 short review snippets, downloaded once (about 0.5 MB). IMDB: 50,000 long"
        " reviews, downloaded once through Keras. Your CSV: a column of texts and a column with two label values.",
    )
    if source != "csv":
        st.caption(f"{REGISTRY[source].description} Source: {REGISTRY[source].source}.")
        if source == "imdb":
            st.info(
                "IMDB is downloaded once through Keras (about 17 MB; needs internet). Its reviews are"
                " long: expect minutes per epoch on a CPU, and raise the words read per review."
            )
        return {"data": source}
    up = st.file_uploader(
        "CSV file",
        type=["csv"],
        key=f"{P}_upload",
        help="A header row, a column of texts and a column of labels: 0/1, pos/neg or any"
        " two values. Up to 50 MB; UTF-8, Windows-1252 or Latin-1.",
    )
    if up is None:
        st.info("Upload a CSV file to continue: a header row, a text column and a label column.")
        st.stop()
    raw = up.getvalue()
    df, _ = read_csv_with_encoding(raw)
    cols = [str(c) for c in df.columns]
    text_guess, label_guess = reviews.guess_columns(df.rename(columns=str))
    c1, c2 = st.columns(2)
    text = c1.selectbox(
        "Text column",
        cols,
        index=cols.index(text_guess),
        key=f"{P}_textcol",
        help="The column that holds the reviews.",
    )
    label = c2.selectbox(
        "Label column",
        cols,
        index=cols.index(label_guess),
        key=f"{P}_labelcol",
        help="The column with exactly two values, e.g. 0/1 or pos/neg.",
    )
    path = str(save_upload(raw, "csv"))
    upload_names.remember(path, up.name)  # the Runs page lists it by this name
    return {"data": path, "text_column": text, "label_column": label}


def preset_choice() -> tuple[SentimentConfig, str]:
    """The Settings radio: the preset's config and the prefix of its widget keys."""
    quick = (
        st.radio(
            "Settings",
            ["full", "quick"],
            horizontal=True,
            key=f"{P}_preset",
            format_func={"full": "Full (about a minute)", "quick": "⚡ Quick preset (about 20 s)"}.get,
            help="Quick trains a tiny model in seconds for a demo; Full is the tuned default.",
        )
        == "quick"
    )
    # Each preset has its own widget keys, so switching shows that preset's values.
    return (SENTIMENT_QUICK, f"{P}q") if quick else (SentimentConfig(), P)


def text_controls(d: SentimentConfig, prefix: str) -> dict:
    st.markdown("**Words**")
    c1, c2 = st.columns(2)
    return {
        "vocab": c1.select_slider(
            "Vocabulary size",
            [1000, 2000, 5000, 10000, 20000, 40000],
            d.vocab,
            key=f"{prefix}_vocab",
            help="The most frequent words of the training split"
            " get their own number; every other word counts as 'unknown'.",
        ),
        "max_len": c2.slider(
            "Words read per review",
            10,
            300,
            d.max_len,
            5,
            key=f"{prefix}_maxlen",
            help="Longer reviews are cut after this many words; shorter ones are padded.",
        ),
        "embed_dim": c1.select_slider(
            "Word vector size",
            [8, 16, 32, 64, 128],
            d.embed_dim,
            key=f"{prefix}_embed",
            help="Each word becomes this many numbers, learned while training.",
        ),
        "word_dropout": c2.slider(
            "Word dropout",
            0.0,
            0.5,
            d.word_dropout,
            0.05,
            key=f"{prefix}_wdrop",
            help="While training, hide this share of the words of each review, so the"
            " model cannot lean on a few words; 0 turns it off.",
        ),
        "attention": c1.toggle(
            "Attention",
            d.attention,
            key=f"{prefix}_att",
            help="Instead of the memory after the last word, let the model weigh every"
            " word's output; the weights are shown in Try it.",
        ),
        "pooling": c2.selectbox(
            "Read out",
            POOLINGS,
            POOLINGS.index(d.pooling),
            key=f"{prefix}_pool",
            format_func={
                "last": "Memory after the last word",
                "max_mean": "Strongest and average signal over all words",
            }.get,
            help="What the classifier looks at"
            " when Attention is off: the memory after the last word, or each feature's"
            " largest and average value over every word (a strong word anywhere counts).",
        ),
        "word_vectors": c1.toggle(
            "Pre-set word vectors",
            d.word_vectors,
            key=f"{prefix}_wv",
            help="Start each word's numbers from which words it appears next to in the"
            " training reviews, so related words start out related; off: random start.",
        ),
        "word_polarity": c2.toggle(
            "Add word leanings",
            d.word_polarity,
            key=f"{prefix}_pol",
            help="Beside its numbers, the RNN reads one fixed number per word: how much"
            " more often it appears in positive than in negative training reviews."
            " Off: it must learn that from scratch.",
        ),
    }


def show_preview(info: dict) -> None:
    """What the chosen data holds: its notes, and how it is split."""
    for note in info["notes"]:
        st.warning(note)
    s, (neg, pos) = info["sizes"], info["labels"]
    st.markdown(
        f"**{sum(s.values())} reviews**, split at random but keeping the label balance: {s['train']}"
        f" train, {s['validation']} validate and {s['test']} test both the RNN and the baseline."
        f" Labels: {neg!r} is read as negative (0), {pos!r} as positive (1)."
    )
