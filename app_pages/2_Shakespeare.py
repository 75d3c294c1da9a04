"""Shakespeare: a character-level RNN learns to spell, then writes, beside an n-gram baseline."""

from __future__ import annotations

import streamlit as st

from core import textgen as tg
from core.config import ConfigError
from core.datasets import DataError
from ui.data_notice import missing_data, train_button
from ui.lessons import lesson_box
from ui.panel import live_panel, submit
from ui.state import shared_settings
from ui.text_controls import NO_BI, P, corpus_info, data_source, preset_choice, show_corpus, text_controls
from ui.text_views import BITS, live_samples, show_result
from ui.widgets import architecture_controls, training_controls

st.set_page_config(page_title="Shakespeare · RNN Studio", page_icon="🎭", layout="wide")
st.title("🎭 Shakespeare")
st.caption(
    "The RNN reads text one character at a time and learns to guess the next one. Watch it learn"
    " to spell, then let it write. An n-gram model (counts of short letter sequences) is the baseline."
)
lesson = lesson_box(P)  # a guided lesson (?lesson=ID) sets the controls below

try:
    with shared_settings(P):
        data = data_source()
        choice, (label, expect, preset) = preset_choice()
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
lesson.finish()  # the step's check, over what this run of the page computed
