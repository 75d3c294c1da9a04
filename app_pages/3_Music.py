"""Music: learn melodies from Bach chorales, folk songs or your MIDI files, then compose and listen."""

from __future__ import annotations

import streamlit as st

from core.config import MusicConfig
from core.datasets import DataError
from ui.lessons import lesson_box
from ui.music_views import CAUSAL, P, data_controls, draw_live, prepared, preview, show_result, window_control
from ui.panel import live_panel, manager, submit
from ui.state import shared_settings
from ui.widgets import architecture_controls, training_controls

st.set_page_config(page_title="Music · RNN Studio", page_icon="🎵", layout="wide")
st.title("🎵 Music")
st.caption(
    "The RNN reads melodies note by note and learns to predict the next note; then it composes new ones."
)
lesson = lesson_box(P)  # a guided lesson (?lesson=ID) sets the controls below

try:
    with shared_settings(P):
        with st.container(border=True):
            data = data_controls()
        with st.form(f"{P}__form"):
            c1, c2 = st.columns(2)
            with c1:
                arch = architecture_controls(P, MusicConfig().arch, no_bidirectional=CAUSAL)
                seq = window_control()
            with c2:
                train = training_controls(P, MusicConfig().train)
            clicked = st.form_submit_button("Train", type="primary", help="Start training in the background.")
    config = MusicConfig(**data, seq_len=seq, arch=arch, train=train)
    prep = prepared(config)
except (DataError, ValueError) as exc:
    st.error(f"{exc}")
    st.stop()

if clicked:  # before the note below, so a parse just started hides it
    submit(P, "music", config)
job = manager().snapshot(st.session_state.get(f"{P}__job", "")) or {}
preview(config, prep, job)
live_panel(P, show_result, y_title="loss (nats per note)", draw_live=draw_live)
lesson.finish()  # the step's check, over what this run of the page computed
