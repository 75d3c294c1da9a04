"""Sentiment: read the mood of a movie review word by word, beside a TF-IDF baseline."""

from __future__ import annotations

import json

import streamlit as st

from core.config import SentimentConfig, to_dict
from core.datasets import DataError
from ui.data_notice import missing_data, train_button
from ui.lessons import lesson_box
from ui.panel import live_panel, submit
from ui.sentiment_controls import P, data_controls, preset_choice, preview, show_preview, text_controls
from ui.sentiment_views import live_accuracy, show_result
from ui.state import shared_settings
from ui.widgets import architecture_controls, training_controls

st.set_page_config(page_title="Sentiment · RNN Studio", page_icon="💬", layout="wide")
st.title("💬 Sentiment")
st.caption("The RNN reads a movie review word by word and says how positive it is, beside a TF-IDF baseline.")
lesson = lesson_box(P)  # a guided lesson (?lesson=ID) sets the controls below

try:
    with shared_settings(P):
        with st.container(border=True):
            data = data_controls()
            missing = missing_data("mr", P) if data["data"] == "mr" else ""
        d, kp = preset_choice()
        with st.form(f"{P}__form"):
            c1, c2 = st.columns(2)
            with c1:
                words = text_controls(d, kp)
                arch = architecture_controls(kp, d.arch)
            with c2:
                train = training_controls(kp, d.train)
            clicked = train_button(missing)
    config = SentimentConfig(**data, **words, arch=arch, train=train)
    info = preview(json.dumps(to_dict(config))) if config.data != "imdb" and not missing else None
except (DataError, ValueError) as exc:
    st.error(f"{exc}")
    st.stop()

if info:
    show_preview(info)

if clicked:
    submit(P, "sentiment", config)
live_panel(P, show_result, y_title="binary cross-entropy", draw_live=live_accuracy)
lesson.finish()  # the step's check, over what this run of the page computed
