"""Browser test of the Sentiment page: quick preset on MR, live charts, then a typed review word by word."""

from __future__ import annotations

import re

import pytest

from tests.helpers.browser import chromium_page, require_browser, streamlit_server, wait_idle
from tests.helpers.reviews import needs_mr

pytestmark = pytest.mark.browser


@needs_mr
def test_sentiment_quick_training_then_a_typed_review(data_dir):
    require_browser()
    from playwright.sync_api import expect

    with streamlit_server(data_dir) as url, chromium_page() as page:
        page.goto(url + "/Sentiment")
        wait_idle(page)
        expect(page.get_by_text(re.compile(r"10662 reviews"))).to_be_visible(timeout=60_000)
        page.get_by_text("Quick preset").click()
        wait_idle(page)
        page.get_by_role("button", name="Train", exact=True).click()

        # Both live charts appear while it trains, then the results with the baseline.
        expect(page.get_by_text(re.compile(r"After \d+ epochs? the training accuracy"))).to_be_visible(
            timeout=120_000
        )
        expect(page.get_by_text("Results on the test split")).to_be_visible(timeout=120_000)
        expect(page.get_by_text(re.compile("baseline on test accuracy"))).to_be_visible()

        box = page.locator(".st-key-se_try textarea")
        box.fill("the acting is not bad at all , but the story is a boring mess")
        page.get_by_role("button", name="Read it").click()
        expect(page.get_by_text(re.compile(r"Reading 14 words, the score goes from"))).to_be_visible(
            timeout=60_000
        )
        expect(page.get_by_text(re.compile(r"The word pushing most towards positive is"))).to_be_visible()
        expect(page.get_by_text(re.compile(r"\d+% positive"))).to_be_visible()
        expect(page.get_by_text("Each word's influence").first).to_be_attached()
