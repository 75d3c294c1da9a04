"""The one list of pages: every entry exists, every task's page is in it, and Home comes first."""

from __future__ import annotations

from pathlib import Path

from streamlit.testing.v1 import AppTest

from core.tasks import TASKS
from ui.pages import PAGES, url_path

ROOT = Path(__file__).resolve().parents[2]


def test_every_page_in_the_list_exists_and_every_task_page_is_listed():
    assert all((ROOT / p.path).is_file() for p in PAGES)
    assert {t.page for t in TASKS.values()} <= {p.path for p in PAGES}
    on_disk = {f"app_pages/{f.name}" for f in (ROOT / "app_pages").glob("*.py")}
    assert on_disk == {p.path for p in PAGES}  # a page script nobody can reach is a mistake


def test_addresses_stay_what_they_were_before_the_navigation():
    assert [url_path(p) for p in PAGES][:2] == ["Forecasting", "Shakespeare"]
    assert url_path(PAGES[4]) == "Inside_the_RNN"


def test_the_entry_point_opens_home_with_a_card_per_page(fresh_app):
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60).run()
    assert not at.exception
    assert at.title[0].value == "🔁 RNN Studio"
    shown = " ".join(c.value for c in at.caption)
    assert all(p.blurb in shown for p in PAGES)
