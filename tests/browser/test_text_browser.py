"""Browser test: the Shakespeare page in Chromium, from pasting a small text to writing with it."""

from __future__ import annotations

import re

import pytest

from tests.browser.test_browser import set_slider
from tests.core.test_text import needs_shakespeare, small_text
from tests.helpers.browser import chromium_page, require_browser, streamlit_server, wait_idle

pytestmark = pytest.mark.browser


@needs_shakespeare  # the page opens on it, and the pasted text is a piece of it
def test_quick_preset_on_a_small_text_samples_live_and_writes_at_two_temperatures(data_dir):
    require_browser()
    from playwright.sync_api import expect

    with streamlit_server(data_dir) as url, chromium_page() as page:
        page.goto(url + "/Shakespeare")
        wait_idle(page)
        expect(page.get_by_text("1,115,394 characters")).to_be_visible(timeout=30_000)
        page.locator(".st-key-tx_source").get_by_text("Paste text").click()
        box = page.locator(".st-key-tx_paste textarea")
        box.fill(small_text())
        box.press("Control+Enter")  # commit the text area
        expect(page.get_by_text("12,000 characters")).to_be_visible(timeout=30_000)
        expect(page.get_by_text("Quick demo (under a minute)").first).to_be_visible()

        page.get_by_role("button", name="Train", exact=True).click()
        # Samples appear while it trains: the Stop button is still there when they do.
        expect(page.get_by_text("Live samples")).to_be_visible(timeout=90_000)
        stop = page.get_by_role("button", name="Stop training")
        expect(stop).to_be_visible()
        expect(page.get_by_text("Baseline to beat")).to_be_visible()
        stop.click()
        expect(page.get_by_text("Results on the held-out text")).to_be_visible(timeout=90_000)

        written = []
        for presses, label in ((2, "0.3"), (14, "1.5")):  # the slider starts at 0.1, steps of 0.1
            set_slider(page, "tx_temp", presses)
            page.get_by_role("button", name="Generate").click()
            expect(page.get_by_text(f"Written at temperature {label}")).to_be_visible(timeout=30_000)
            first = page.locator('span[title^="position 1:"]')
            expect(first).to_be_visible()
            written.append(page.locator('span[title^="position "]').all_inner_texts())
            expect(page.get_by_text(re.compile("five likeliest characters")).first).to_be_attached()
        assert len(written[0]) == len(written[1]) == 500
        assert written[0] != written[1]
