"""Shakespeare: a character-level RNN learns to spell, then writes, beside an n-gram baseline."""

from __future__ import annotations

import math
from dataclasses import replace

import streamlit as st

from core import textgen as tg
from core import upload_names
from core.charts import text_baseline_chart
from core.config import ConfigError
from core.datasets import DataError, save_upload
from ui.data_notice import missing_data, train_button, warn_small
from ui.panel import live_panel, manager, submit
from ui.state import shared_settings
from ui.text_views import generation_panel, live_samples
from ui.widgets import architecture_controls, training_controls

P = "tx"
BITS = ("bits per character", 1 / math.log(2))
NO_BI = (
    "Not for text: the network writes one character at a time, so there is nothing after the"
    " current character to read backwards from. Generation needs a one-way (causal) network."
)
st.set_page_config(page_title="Shakespeare · RNN Studio", page_icon="🎭", layout="wide")
st.title("🎭 Shakespeare")
st.caption(
    "The RNN reads text one character at a time and learns to guess the next one. Watch it learn"
    " to spell, then let it write. An n-gram model (counts of short letter sequences) is the baseline."
)


@st.cache_data(show_spinner="Reading the text...", max_entries=10)
def corpus_info(data: str, val_fraction: float) -> dict:
    corpus = tg.prepare(
        tg.TextConfig(data=data, train=replace(tg.TextConfig().train, val_fraction=val_fraction))
    )
    return {**corpus.stats(), "preview": corpus.text[:600]}


def data_source() -> str:
    sources = {"shakespeare": "Tiny Shakespeare", "upload": "Upload a .txt file", "paste": "Paste text"}
    source = st.radio("Text", list(sources), format_func=sources.get, horizontal=True, key=f"{P}_source",
                      help="Tiny Shakespeare: 1.1 million characters of plays. Or your own text: at least"
                      " 10,000 characters (about four printed pages).")  # fmt: skip
    if source == "shakespeare":
        return "shakespeare"
    if source == "upload":
        up = st.file_uploader("Text file", type=["txt"], key=f"{P}_upload",
                              help="Plain text. Read as UTF-8; if that fails, as Latin-1 (we say which).")  # fmt: skip
        if up is None:
            st.info("Upload a .txt file to continue (at least 10,000 characters).")
            st.stop()
        text, encoding, name = *tg.decode_bytes(up.getvalue()), up.name
        st.caption(f"Read as {encoding}.")
    else:
        text = st.text_area("Your text", key=f"{P}_paste", height=150,
                            help="Paste at least 10,000 characters: a story, poems, song lyrics, code.")  # fmt: skip
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
        st.warning(f"{info['unseen_held_out']:,} held-out characters never appear in the training split:"
                   " both models count them as one 'unknown' character and pay for them in their score.")  # fmt: skip
    with st.expander("Vocabulary and preview"):
        st.code(info["vocab"].replace("\n", "↵"), language=None)
        st.text(info["preview"])


def text_controls(preset: tg.TextConfig, key: str) -> dict:
    c1, c2, c3, c4 = st.columns(4)
    return {
        "seq_len": c1.slider("Sequence length", 10, 300, preset.seq_len, 10, key=f"{key}_seq",
                             help="Characters per training example: the longest stretch the network learns"
                             " to carry memory over. Longer is slower per step."),
        "embed_dim": c2.select_slider("Embedding size", [8, 16, 32, 64, 128], preset.embed_dim, key=f"{key}_emb",
                                      help="How many numbers describe each character before the RNN reads it."),
        "sample_temperature": c3.slider("Live-sample temperature", 0.1, 2.0, preset.sample_temperature, 0.1,
                                        key=f"{key}_stemp", help="Temperature of the samples written while it"
                                        " trains: low is safe and repetitive, high is bold and misspelt."),
        "lr_decay": c4.toggle("Slow down at the end", preset.lr_decay, key=f"{key}_decay",
                              help="In the last fifth of training (by time budget or epochs), lower the learning"
                              " rate steadily to a tenth: big steps learn fast, small steps settle lower."),
    }  # fmt: skip


def show_result(snap: dict) -> None:
    final, disp = snap["result"]["final"], snap["result"]["display"]
    st.subheader("Results on the held-out text (the last part, never trained on)")
    st.markdown(
        f"**{tg.verdict(final['val_loss'], final['baseline'], final, snap['result'].get('stop_reason', ''))}**"
    )
    warn_small(disp["corpus"]["val_chars"], "characters")
    fig, summary = text_baseline_chart(
        final["val_loss"], disp["baseline"]["by_order"], disp["baseline"]["order"]
    )
    st.plotly_chart(fig, width="stretch", key=f"{P}__baseline_chart")
    st.caption(summary)
    st.caption(
        f"Both models score the held-out text ({disp['corpus']['val_chars']:,} characters) by how surprised"
        f" they are by each next character: nats per character, lower is better. The RNN reads it in passages"
        f" of up to {tg.VAL_PASSAGE:,} characters, its memory carried within each; the n-gram's order was"
        f" chosen on the training text. {final['epochs']} epoch(s) in {final['train_seconds']:.0f} s;"
        f" writing speed {final['generate_chars_per_s']:,} characters per second."
    )
    generation_panel(P, manager().store.run_dir(snap["id"]), snap["id"], disp["corpus"]["vocab_size"])


try:
    with shared_settings(P):
        data = data_source()
        presets = tg.presets()
        choice = st.radio("Preset", list(presets), format_func=lambda k: presets[k][0], horizontal=True,
                          key=f"{P}_preset", help="Starting settings; change any of them below.")  # fmt: skip
        label, expect, preset = presets[choice]
        key = f"{P}_{choice}"  # each preset keeps its own widgets, so switching restores its defaults
        missing = missing_data(data, P) if data == "shakespeare" else ""
        if not missing:
            show_corpus(corpus_info(data, st.session_state.get(f"{key}_val", preset.train.val_fraction)))
        st.caption(f"**{label}**: {expect}")
        with st.form(f"{P}__form"):
            c1, c2 = st.columns(2)
            with c1:
                arch = architecture_controls(key, preset.arch, no_bidirectional=NO_BI)
            with c2:
                train = training_controls(key, preset.train)
            extra = text_controls(preset, key)
            clicked = train_button(missing)
    config = tg.TextConfig(data=data, arch=arch, train=train, sample_every_s=preset.sample_every_s, **extra)
except (DataError, ConfigError) as exc:
    st.error(str(exc))
    st.stop()

if clicked:
    submit(P, "text", config)
live_panel(P, show_result, y_title="loss (nats per character)", draw_live=live_samples, hover_unit=BITS)
