"""The landing page speaks to a teacher first; the app hides Streamlit's developer tools."""

from __future__ import annotations

import tomllib
from pathlib import Path

from streamlit.testing.v1 import AppTest

ROOT = Path(__file__).resolve().parents[2]


def test_streamlit_toolbar_is_minimal_for_students():
    config = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text())
    assert config["client"]["toolbarMode"] == "minimal"


def test_system_status_in_plain_words_first_details_folded(fresh_app):
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60).run()
    assert not at.exception
    shown = " ".join(m.value for m in at.markdown)
    assert "Models train on **this computer**" in shown
    assert "RNN_STUDIO_DB" not in shown and "Ray" not in shown
    at.toggle(key="home__details").set_value(True).run()
    assert "RNN_STUDIO_DB" in " ".join(m.value for m in at.markdown)
