"""Browser test: train a tiny melody model in Chromium, compose, and get a playable WAV."""

from __future__ import annotations

import re

import pytest

from tests.browser.test_browser import set_slider
from tests.helpers.browser import chromium_page, require_browser, streamlit_server, wait_idle

pytestmark = pytest.mark.browser


def test_music_composes_a_melody_the_browser_can_play(data_dir, bach_cache):
    require_browser()
    from playwright.sync_api import expect

    with streamlit_server(data_dir) as url, chromium_page() as page:
        page.goto(url + "/Music")
        wait_idle(page)
        expect(page.get_by_text(re.compile(r"\d+ pieces"))).to_be_visible()
        set_slider(page, "mu_epochs", 0)  # 1 epoch
        set_slider(page, "mu_units", 1)  # 8 units
        set_slider(page, "mu_seq", 0)  # windows of 16 notes
        page.get_by_role("button", name="Train", exact=True).click()
        expect(page.get_by_text("Results on the")).to_be_visible(timeout=120_000)

        page.get_by_role("button", name="Compose", exact=True).click()
        audio = page.locator("audio").first
        expect(audio).to_have_attribute("src", re.compile(r"\S+\.wav"), timeout=30_000)
        src = audio.get_attribute("src")
        wav = page.request.get(src if src.startswith("http") else url + src)
        assert wav.ok and wav.body()[:4] == b"RIFF" and len(wav.body()) > 10_000
        expect(page.get_by_role("button", name="Download as MIDI")).to_be_visible()
        expect(page.get_by_text("The composed melody").first).to_be_attached()
