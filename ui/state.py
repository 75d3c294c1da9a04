"""Shareable settings: a page's controls mirrored in the URL query string.

Convention: widgets that hold a setting are keyed `<prefix>_<name>`; everything
else (buttons, job ids, internal flags) is keyed `<prefix>__<name>`. Wrap a
page's controls in `with shared_settings(prefix):` and a link to the page opens
it with the same settings. A link with values the page cannot take (an epoch
count past the slider, a word where a number goes) falls back to the defaults
with a warning instead of an error. Leaving a page and coming back keeps its settings.
"""

from __future__ import annotations

import json
from contextlib import contextmanager

import streamlit as st
from streamlit.errors import StreamlitAPIException

SHAREABLE = (bool, int, float, str)
KEEP = ("lesson",)  # query parameters that are not settings but stay in the link (ui.lessons)


def _setting_keys(prefix: str) -> list[str]:
    return [
        k
        for k, v in st.session_state.items()
        if k.startswith(prefix + "_") and not k.startswith(prefix + "__") and isinstance(v, SHAREABLE)
    ]


def _parse(raw: str):
    try:
        value = json.loads(raw)
    except ValueError:
        return raw
    return value if isinstance(value, SHAREABLE) else raw


def _encode(value) -> str:
    """Strings stay readable in the URL unless they would read back as another type."""
    if isinstance(value, str) and _parse(value) == value:
        return value
    return json.dumps(value)


@contextmanager
def shared_settings(prefix: str):
    restored_flag, saved_key = f"{prefix}__url_restored", f"{prefix}__saved"
    restored: list[str] = []
    revived: list[str] = []
    saved: dict = st.session_state.setdefault(saved_key, {})
    if not st.session_state.get(restored_flag):
        st.session_state[restored_flag] = True
        for key, raw in st.query_params.items():
            if key.startswith(prefix + "_") and not key.startswith(prefix + "__"):
                st.session_state[key] = _parse(raw)
                restored.append(key)
    else:
        # Streamlit forgets a page's widget values when the visitor goes to another page:
        # coming back, the controls show what they were left at (a running job's settings).
        for key, value in saved.items():
            if key not in st.session_state:
                st.session_state[key] = value
                revived.append(key)
    try:
        yield
    except (StreamlitAPIException, TypeError, ValueError):
        if not (restored or revived):
            raise
        for key in restored + revived:
            del st.session_state[key]
        if restored:
            st.session_state[f"{prefix}__url_warning"] = True
            st.query_params.clear()
        saved.clear()
        st.rerun()
    if st.session_state.pop(f"{prefix}__url_warning", False):
        st.warning("The link had settings this page cannot use, so it opened with the defaults.")
    keys = _setting_keys(prefix)
    saved.update({k: st.session_state[k] for k in keys})  # merged: a hidden control keeps its value too
    values = {k: _encode(st.session_state[k]) for k in keys}
    if values != {k: st.query_params.get(k) for k in values}:
        st.query_params.from_dict({**{k: st.query_params[k] for k in KEEP if k in st.query_params}, **values})
