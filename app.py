"""RNN Studio's entry point: `streamlit run app.py`. It only sets up the navigation.

The pages are listed once, in ui/pages.py; the landing page is ui/home.py, called "Home" in the
sidebar. Nothing here imports TensorFlow (seconds of start-up).
"""

from __future__ import annotations

import sys
from pathlib import Path

import streamlit as st

ROOT = Path(__file__).resolve().parent
if str(ROOT) not in sys.path:  # `streamlit run` from another folder
    sys.path.insert(0, str(ROOT))

from ui.home import home  # noqa: E402
from ui.pages import PAGES, url_path  # noqa: E402

st.set_page_config(page_title="RNN Studio", page_icon="🔁", layout="wide")
pages = [st.Page(home, title="Home", icon="🔁", url_path="home", default=True)]
pages += [st.Page(p.path, title=p.title, icon=p.icon, url_path=url_path(p)) for p in PAGES]
st.navigation(pages).run()
