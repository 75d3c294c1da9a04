"""What a run is labelled with for the class board: the student's display name and the open lesson.

Kept apart from the lesson runner (`ui.lessons`), which reads the pages' results: the live panel
and the cell comparison tag what they submit without importing it.
"""

from __future__ import annotations

import streamlit as st

from core import board
from ui.owner import owner_id

LESSON_STATE = "lesson__state"  # the open lesson's state in the session (ui.lessons keeps it)


def tag_runs(store, run_ids) -> None:
    """Put this student's display name and the open lesson (if any) on runs just submitted."""
    name = st.session_state.get("class__name")
    if name is None:
        name = st.session_state["class__name"] = board.display_name_of(store, owner_id())
    state = st.session_state.get(LESSON_STATE) or {}
    for rid in run_ids:
        board.tag_run(store, rid, display_name=name, lesson=state.get("id", ""))
