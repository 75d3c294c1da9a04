"""Who is using the app: a random id kept in a cookie, so a new tab or a reload is the same person.

The id keys the per-person job limit and says whose runs a person may delete. It is
a convenience for a classroom, not a login: clearing cookies, a private window or a
second browser gives a new id (the README says so). A teacher unlocks deleting
anyone's finished run with the password in RNN_STUDIO_ADMIN_PASSWORD.
"""

from __future__ import annotations

import hmac
import os
import re
import uuid

import streamlit as st

COOKIE = "rnn_studio_owner"
_ID = re.compile(r"^[0-9a-f]{32}$")
ONE_YEAR_S = 365 * 24 * 3600


def _cookie() -> str:
    try:
        value = st.context.cookies.get(COOKIE, "")
    except Exception:  # no browser behind this session (a bare script run)
        return ""
    return value if isinstance(value, str) else ""  # AppTest's context is a stand-in object


def owner_id() -> str:
    """This browser's id: from its cookie, or a new one that the browser is asked to keep."""
    known = st.session_state.get("owner_id")
    if not known:
        cookie = _cookie()
        known = cookie if _ID.match(cookie) else uuid.uuid4().hex
        st.session_state["owner_id"] = known
    if _cookie() != known:
        # The id is ours (32 hex digits), never text from the user, so the script is safe to run.
        st.html(
            f"<script>document.cookie = '{COOKIE}={known}; path=/; max-age={ONE_YEAR_S}; SameSite=Strict';"
            "</script>",
            unsafe_allow_javascript=True,
        )
    return known


def teacher_password() -> str:
    return os.environ.get("RNN_STUDIO_ADMIN_PASSWORD", "")


def is_teacher() -> bool:
    return bool(st.session_state.get("owner__teacher")) and bool(teacher_password())


def _check_password() -> None:
    typed = st.session_state.get("owner__password", "")
    ok = bool(teacher_password()) and hmac.compare_digest(typed.encode(), teacher_password().encode())
    st.session_state["owner__teacher"] = ok
    st.session_state["owner__wrong"] = bool(typed) and not ok


def teacher_box() -> None:
    """The teacher's unlock, drawn only where a password is set (without one nobody deletes
    other people's runs)."""
    if not teacher_password():
        return
    with st.expander("Teacher: delete anyone's finished run"):
        st.text_input(
            "Teacher password",
            type="password",
            key="owner__password",
            on_change=_check_password,
            help="Set by RNN_STUDIO_ADMIN_PASSWORD where the server runs.",
        )
        if is_teacher():
            st.success("Teacher mode: you can delete any finished run.")
        elif st.session_state.get("owner__wrong"):
            st.error("That is not the teacher password.")
