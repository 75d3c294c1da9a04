"""Class board: the class's recent runs per task and data, ranked by their held-out numbers.

Loads no TensorFlow: it reads the run store only.
"""

from __future__ import annotations

import streamlit as st

from ui.board_views import P, class_board
from ui.owner import owner_id
from ui.state import shared_settings

st.set_page_config(page_title="Class board · RNN Studio", page_icon="🏆", layout="wide")
st.title("🏆 Class board")
st.caption(
    "Everyone's runs of the last hour or today, per task and data set, best first by the number each"
    " page reports on held-out data. Pick a name once; it is shown with your runs."
)
owner_id()  # the browser keeps its id from the first page it opens
with shared_settings(P):
    class_board()
