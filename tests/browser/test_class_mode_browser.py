"""Class mode in a browser: one lesson end to end, then the class board and its projector view.

The lesson ("Why 'same as yesterday' is hard to beat") is run as a student would: open its
link, press Train, read the check, press Next; each check must report the expected effect
with the run's numbers. Then runs from two other browsers are added to the store and the
board must rank all three sessions' runs, and the projector view must show a new run and
a new time without anyone clicking.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

from core import board
from core.runs import RunStore
from tests.helpers.browser import chromium_page, require_browser, streamlit_server, wait_idle

pytestmark = pytest.mark.browser
SHOTS = os.environ.get("RNN_STUDIO_SHOTS", "")


def _shot(page, name: str) -> None:
    if SHOTS:
        Path(SHOTS).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(SHOTS) / f"{name}.png"), full_page=False)


def _finished(store: RunStore, owner: str, mae: float, data: str = "stocks:IBM") -> str:
    rid = store.create("forecast", {"data": data, "train": {"seed": 7}}, data, owner)
    store.start(rid)
    store.finish(rid, "done", final={"test": {"rnn": {"mae": mae}}})
    return rid


def test_a_lesson_end_to_end_then_the_class_board(data_dir):
    require_browser()
    from playwright.sync_api import expect

    with streamlit_server(data_dir) as url, chromium_page(1440, 900) as page:
        page.goto(url)  # Home's list of lessons opens the lesson's page with ?lesson=ID
        wait_idle(page, timeout=120_000)
        page.get_by_role("link", name="Why 'same as yesterday' is hard to beat").click()
        wait_idle(page, timeout=120_000)
        page.wait_for_url(re.compile("lesson=forecast_persistence"), timeout=60_000)  # the link to share
        box = page.locator(".st-key-lesson__box")
        expect(box).to_contain_text("step 1 of 3")
        expect(page.get_by_text("Stock prices", exact=True)).to_be_visible()
        _shot(page, "lesson-step1")
        seen = []
        for step in (1, 2, 3):
            expect(box).to_contain_text(f"step {step} of 3")
            if step != 2:  # step 2 reads the same run again
                wait_idle(page, timeout=60_000)
                page.get_by_role("button", name="Train", exact=True).click()
            verdict = box.get_by_text(re.compile("Expected effect seen|Not this time"))
            expect(verdict).to_be_visible(timeout=240_000)
            text = verdict.inner_text()
            assert text.startswith("Expected effect seen"), text
            assert re.search(r"\d+\.\d\d", text), text  # it says the numbers
            seen.append(text)
            page.locator(".st-key-lesson__box").scroll_into_view_if_needed()
            _shot(page, f"lesson-step{step}-checked")
            if step < 3:
                box.get_by_role("button", name="Next step ▶").click()
        assert "dollars" in seen[0] and "week ago" in seen[1] and "US jobs" in seen[2]

        # Two more browsers' runs (their own owners), named; this browser names itself.
        store = RunStore(data_dir)
        mine = [r for r in store.list() if r["status"] == "done" and r["lesson"] == "forecast_persistence"]
        assert len(mine) == 2  # the lesson's two trainings were tagged with the lesson
        stock = next(r for r in mine if r["data_name"].startswith("stocks"))
        mae = stock["final"]["test"]["rnn"]["mae"]
        better, worse = _finished(store, "b" * 32, mae * 0.5), _finished(store, "c" * 32, mae * 2)
        board.set_display_name(store, "b" * 32, "Bea <script>")
        board.set_display_name(store, "c" * 32, "Cem")
        page.goto(f"{url}/Class_board")
        wait_idle(page)
        page.locator(".st-key-class__name_box input").fill("Ana")
        page.locator(".st-key-class__name_box input").press("Enter")
        wait_idle(page)
        expect(page.get_by_text("You appear as: Ana")).to_be_visible()
        order = [
            r["display_name"] for r in RunStore(data_dir).list() if r["id"] in (better, worse, stock["id"])
        ]
        assert sorted(order) == ["Ana", "Bea <script>", "Cem"]
        _shot(page, "board")

        page.goto(f"{url}/Forecasting?run={stock['id']}")  # the board's "open run" link
        expect(page.get_by_text(f"Showing saved run {stock['id']}")).to_be_visible(timeout=60_000)
        expect(page.get_by_text("Results on the test split")).to_be_visible()

        page.goto(f"{url}/Class_board?board_projector=true&board_data={stock['data_name']}")
        updated = page.get_by_text(re.compile(r"Updated \d\d:\d\d:\d\d"))
        expect(updated).to_be_visible(timeout=60_000)
        wall = page.locator("div[style*='font-size:2.1rem']")
        expect(wall).to_contain_text("Bea <script>")
        names = re.findall(r"\d+\. (Bea <script>|Ana|Cem)", wall.inner_text())
        assert names == ["Bea <script>", "Ana", "Cem"], wall.inner_text()
        _shot(page, "projector")
        first = updated.inner_text()
        late = _finished(store, "d" * 32, mae * 0.1)  # a fourth browser's run, best of all
        board.set_display_name(store, "d" * 32, "Dov")
        expect(updated).not_to_have_text(first, timeout=30_000)  # no click: its timer redrew it
        expect(wall).to_contain_text("1. Dov", timeout=30_000)
        assert late
