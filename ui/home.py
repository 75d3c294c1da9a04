"""The Home page (the sidebar's first entry): what an RNN is, a card per page, and the system status.

It must not import TensorFlow (seconds of start-up): versions come from package
metadata and the run count from the run store.
"""

from __future__ import annotations

import os
from importlib import metadata
from pathlib import Path

import streamlit as st

from core.datasets import data_dir
from ui.lessons import lessons_list
from ui.pages import PAGES
from ui.panel import manager, run_store


def _version(name: str) -> str:
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return "not installed"


def home() -> None:
    st.title("🔁 RNN Studio")
    st.markdown(
        """
    A **recurrent neural network** (RNN) reads a sequence one step at a time: a day's temperature,
    a letter, a note, a word. After each step it updates a small list of numbers called its
    **hidden state**, its memory of what it has read so far. The next prediction depends on
    both the new input and that memory, which is what lets an RNN use context.

    Pick a page below, press **Train** with the default settings, and watch it learn.
    Every number is measured on data the model never trained on, and shown beside a simple
    baseline, so you can see whether the network is really any better.
    """
    )

    jobs = (
        manager()
    )  # start the training process now: it loads TensorFlow (in its own process) while you read

    cols = st.columns(3)
    for i, page in enumerate(PAGES):
        with cols[i % len(cols)].container(border=True):
            st.page_link(page.path, label=f"{page.icon} {page.title}")
            st.caption(page.blurb)
    lessons_list()  # guided lessons, each opening its page with ?lesson=ID

    store = run_store()
    if store.warning:
        st.warning(store.warning)
    with st.expander("System status", expanded=False):
        gpu = any(Path("/dev").glob("nvidia[0-9]*"))
        runs = store.count()
        where = "this computer" if jobs.executor == "local" else "a cluster of computers"
        # Plain words first for a teacher; the settings and their names are folded below for whoever set it up.
        st.markdown(
            f"Models train on **{where}** ({os.cpu_count()} processor cores,"
            f" {'with a graphics card' if gpu else 'no graphics card'}), one at a time in the background;"
            f" **{runs}** finished or running trainings are saved and listed on the Runs page."
        )
        if st.toggle(
            "Show the technical details", key="home__details", help="Settings for whoever runs the app."
        ):
            st.markdown(
                f"""
    - TensorFlow: **{_version("tensorflow")}** (Keras {_version("keras")}), loaded only when you train
    - Hardware: **{"a GPU is visible" if gpu else "CPU only"}**, {os.cpu_count()} cores
    - Data directory: `{data_dir()}` (set `RNN_STUDIO_DATA` to change it)
    - Runs stored: **{runs}** ({store.describe()}; set `RNN_STUDIO_DB` to a postgresql:// URL to share it)
    - Training runs on: **{jobs.describe_executor()}**
    """
            )
            if jobs.executor == "local":
                st.caption(
                    "To train on a Ray cluster instead, run `pip install -r requirements-scale.txt` and start the"
                    " app with `RNN_STUDIO_EXECUTOR=ray://HEAD:10001` (or `auto` on a cluster node): see the README."
                )
