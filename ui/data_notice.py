"""What a page shows when a downloadable data set is not on this computer yet.

Without it a newcomer offline saw a URLError and a hidden folder: now one sentence
says what is missing, the exact path to put it (copyable), the upload alternative,
and Train stays disabled with that reason until the file is there.
"""

from __future__ import annotations

import streamlit as st

from core.datasets import DataError, expected_paths, fetch, is_present, missing_sentence
from core.words import small_split


def missing_data(name: str, prefix: str) -> str:
    """'' when the set `name` is here; else draw the notice and return why Train is off."""
    if is_present(name):
        return ""
    st.warning(missing_sentence(name))
    st.code("\n".join(str(p) for p in expected_paths(name)), language=None)
    if st.button("Download it now", key=f"{prefix}__download", help="Needs an internet connection."):
        try:
            with st.spinner("Downloading..."):
                fetch(name)
            st.rerun()
        except DataError as exc:
            st.error(str(exc))
    return "Train is off until the data is on this computer: download it, put the file in place, or upload your own."


def train_button(missing: str = "") -> bool:
    """The form's Train button; disabled, with the reason as its tooltip, while data is missing."""
    help_text = missing or "Start training in the background."
    clicked = st.form_submit_button("Train", type="primary", disabled=bool(missing), help=help_text)
    if missing:
        st.caption(missing)  # a disabled button's tooltip is easy to miss
    return clicked


def warn_small(n: int, what: str) -> None:
    """A warning beside a verdict that rests on too few held-out items (core.words.ENOUGH)."""
    if warning := small_split(n, what):
        st.warning(warning)
