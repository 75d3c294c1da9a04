"""Shakespeare page settings: where the text comes from, what it holds, and the text-only controls."""

from __future__ import annotations

from dataclasses import replace

import streamlit as st

from core import textgen as tg
from core import upload_names
from core.datasets import save_upload

P = "tx"
NO_BI = (
    "Not for text: the network writes one character at a time, so there is nothing after the"
    " current character to read backwards from. Generation needs a one-way (causal) network."
)


@st.cache_data(show_spinner="Reading the text...", max_entries=10)
def corpus_info(data: str, val_fraction: float) -> dict:
    corpus = tg.prepare(
        tg.TextConfig(data=data, train=replace(tg.TextConfig().train, val_fraction=val_fraction))
    )
    return {**corpus.stats(), "preview": corpus.text[:600]}


def data_source() -> str:
    sources = {"shakespeare": "Tiny Shakespeare", "upload": "Upload a .txt file", "paste": "Paste text"}
    source = st.radio(
        "Text",
        list(sources),
        format_func=sources.get,
        horizontal=True,
        key=f"{P}_source",
        help="Tiny Shakespeare: 1.1 million characters of plays. Or your own text: at least"
        " 10,000 characters (about four printed pages).",
    )
    if source == "shakespeare":
        return "shakespeare"
    if source == "upload":
        up = st.file_uploader(
            "Text file",
            type=["txt"],
            key=f"{P}_upload",
            help="Plain text. Read as UTF-8; if that fails, as Latin-1 (we say which).",
        )
        if up is None:
            st.info("Upload a .txt file to continue (at least 10,000 characters).")
            st.stop()
        text, encoding, name = *tg.decode_bytes(up.getvalue()), up.name
        st.caption(f"Read as {encoding}.")
    else:
        text = st.text_area(
            "Your text",
            key=f"{P}_paste",
            height=150,
            help="Paste at least 10,000 characters: a story, poems, song lyrics, code.",
        )
        if not text:
            st.info("Paste some text to continue (at least 10,000 characters).")
            st.stop()
        text, name = text.replace("\r\n", "\n"), "pasted text"
    tg.check_length(text)
    return upload_names.remember(save_upload(text.encode("utf-8"), "txt"), name)  # listed by this name


def show_corpus(info: dict) -> None:
    share = info["val_chars"] / info["chars"]
    st.markdown(
        f"**{info['chars']:,} characters**, **{info['vocab_size']} different ones** (the vocabulary, taken"
        f" from the training split). Training: the first {info['train_chars']:,}; held out: the last"
        f" {info['val_chars']:,} ({share:.0%}), never trained on."
    )
    if info["unseen_held_out"]:
        st.warning(
            f"{info['unseen_held_out']:,} held-out characters never appear in the training split:"
            " both models count them as one 'unknown' character and pay for them in their score."
        )
    with st.expander("Vocabulary and preview"):
        st.code(info["vocab"].replace("\n", "↵"), language=None)
        st.text(info["preview"])


def preset_choice() -> tuple[str, tuple[str, str, tg.TextConfig]]:
    """The preset radio: its key and (label, what to expect, config)."""
    presets = tg.presets()
    choice = st.radio(
        "Preset",
        list(presets),
        format_func=lambda k: presets[k][0],
        horizontal=True,
        key=f"{P}_preset",
        help="Starting settings; change any of them below.",
    )
    return choice, presets[choice]


def text_controls(preset: tg.TextConfig, key: str) -> dict:
    c1, c2, c3, c4 = st.columns(4)
    return {
        "seq_len": c1.slider(
            "Sequence length",
            10,
            300,
            preset.seq_len,
            10,
            key=f"{key}_seq",
            help="Characters per training example: the longest stretch the network learns"
            " to carry memory over. Longer is slower per step.",
        ),
        "embed_dim": c2.select_slider(
            "Embedding size",
            [8, 16, 32, 64, 128],
            preset.embed_dim,
            key=f"{key}_emb",
            help="How many numbers describe each character before the RNN reads it.",
        ),
        "sample_temperature": c3.slider(
            "Live-sample temperature",
            0.1,
            2.0,
            preset.sample_temperature,
            0.1,
            key=f"{key}_stemp",
            help="Temperature of the samples written while it"
            " trains: low is safe and repetitive, high is bold and misspelt.",
        ),
        "lr_decay": c4.toggle(
            "Slow down at the end",
            preset.lr_decay,
            key=f"{key}_decay",
            help="Near the end of training, lower the learning rate steadily to a tenth: big"
            " steps learn fast, small steps settle lower. It starts after 80% of the time budget"
            " or epochs, and after 48 s at most in a longer run.",
        ),
    }
