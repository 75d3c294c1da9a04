"""Browser test of the "Inside the RNN" page: build a Keras layer, step through it with Next and Back."""

from __future__ import annotations

import re

import pytest

from tests.helpers.browser import chromium_page, require_browser, streamlit_server, wait_idle

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def title(page, chart, text: str) -> None:
    """Wait until the chart shows one title, containing `text` (plotly swaps titles while redrawing)."""
    from playwright.sync_api import expect

    wait_idle(page)
    chart.scroll_into_view_if_needed()  # plotly draws a chart once it is on screen
    expect(chart.locator(".gtitle").filter(has_text=text)).to_have_count(1, timeout=30_000)
    expect(chart.locator(".gtitle")).to_have_count(1, timeout=30_000)


def test_step_through_the_hidden_state_in_chromium(data_dir):
    require_browser()
    from playwright.sync_api import expect

    with streamlit_server(data_dir) as url, chromium_page() as page:
        page.goto(url + "/Inside_the_RNN")
        wait_idle(page)
        expect(page.get_by_text("1. The hidden state, step by step")).to_be_visible()
        page.get_by_role("button", name="Build the layer in Keras and step through it").click()

        where = page.get_by_text(re.compile(r"^Step \d of 5"))
        expect(where).to_contain_text("Step 1 of 5", timeout=120_000)  # TensorFlow loads on this click
        chart = page.locator(".st-key-in__step_chart")
        title(page, chart, "reading 'h'")
        expect(chart.locator("g.hm image")).to_have_count(7)  # one small heatmap per row of the step
        ticks = chart.locator("g.xtick text")
        assert {"'e'", "'h'", "'l'", "'o'"} <= set(ticks.all_text_contents())  # the letters, not "letter 2"
        boxes = [t.bounding_box() for t in ticks.all()]
        for note in chart.locator("g.annotation").all():  # each row's title clears the row above's labels
            a = note.bounding_box()
            for b in boxes:
                apart = a["y"] + a["height"] <= b["y"] or b["y"] + b["height"] <= a["y"]
                assert apart or a["x"] + a["width"] <= b["x"] or b["x"] + b["width"] <= a["x"]
        expect(
            page.get_by_text(re.compile(r"largest difference between this step-by-step copy and Keras"))
        ).to_be_visible()

        page.get_by_role("button", name="Next ▶").click()
        expect(where).to_contain_text("Step 2 of 5")
        title(page, chart, "reading 'e'")
        page.get_by_role("button", name="Next ▶").click()
        expect(where).to_contain_text("Step 3 of 5")
        page.get_by_role("button", name="◀ Back").click()
        expect(where).to_contain_text("Step 2 of 5")
        title(page, chart, "reading 'e'")
        expect(chart.locator("g.hm image")).to_have_count(7)
