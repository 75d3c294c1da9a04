"""Browser tests: Debian's Chromium, driven by Playwright, against `streamlit run` on 127.0.0.1."""

from __future__ import annotations

import re

import pytest

from tests.helpers.browser import chromium_page, require_browser, streamlit_server, wait_idle

pytestmark = pytest.mark.browser


def set_slider(page, key: str, presses_from_start: int) -> None:
    """Move a slider to its minimum, then right by n steps, with the keyboard as a person could."""
    thumb = page.locator(f".st-key-{key} input[type=range]").first
    thumb.focus()
    thumb.press("Home")
    for _ in range(presses_from_start):
        thumb.press("ArrowRight")


def epochs_shown(caption) -> int:
    return int(re.search(r"After (\d+) epoch", caption.inner_text()).group(1))


def test_forecasting_trains_live_and_survives_navigation(data_dir):
    require_browser()
    from playwright.sync_api import expect

    with streamlit_server(data_dir) as url, chromium_page() as page:
        page.goto(url)
        wait_idle(page)
        expect(page.get_by_text("hidden state").first).to_be_visible()
        nav = page.locator('[data-testid="stSidebarNav"]')
        assert nav.get_by_role("link").first.inner_text().strip().endswith("Home")  # not "app"
        page.get_by_role("link", name=re.compile("Forecasting")).first.click()
        wait_idle(page)
        expect(page.get_by_text("Training tensor shape")).to_be_visible()

        page.get_by_text("Seattle weather", exact=True).click()  # 1,461 days: long enough to watch
        wait_idle(page)
        set_slider(page, "fc_epochs", 59)  # 60 epochs
        set_slider(page, "fc_units", 2)  # 16 units
        page.get_by_text("More training settings").click()
        set_slider(page, "fc_patience", 0)  # no early stopping: all 60 epochs
        page.get_by_role("button", name="Train", exact=True).click()

        # The live loss chart grows: its caption counts epochs as they finish.
        caption = page.get_by_text(re.compile(r"After \d+ epochs? the training loss"))
        expect(caption).to_be_visible(timeout=90_000)
        first = epochs_shown(caption)
        expect(caption).not_to_contain_text(f"After {first} epoch", timeout=60_000)
        assert epochs_shown(caption) > first

        # Leave for the landing page mid-training, then come back: the run is still there.
        page.locator('[data-testid="stSidebarNav"] a').first.click()
        expect(page.get_by_text("hidden state").first).to_be_visible(timeout=30_000)
        page.locator('[data-testid="stSidebarNav"] a', has_text="Forecasting").click()
        expect(page.get_by_text(re.compile(r"After \d+ epochs? the training loss"))).to_be_visible(
            timeout=60_000
        )

        # It finishes and the metrics table with the baselines appears (60 epochs: minutes on a
        # busy 2-core machine).
        expect(page.get_by_text("Results on the test split")).to_be_visible(timeout=360_000)
        expect(page.get_by_text(re.compile(r"\(test MAE [\d.,]+ deg C"))).to_be_visible()
        table = page.locator('[data-testid="stDataFrame"]').first
        expect(table).to_be_visible()
        expect(page.get_by_text("Forecast past the last date").first).to_be_attached()
        expect(page.get_by_role("button", name="Download the forecast (CSV)")).to_be_visible()


def test_runs_page_compares_and_downloads_and_links_open_with_settings(data_dir, tmp_path):
    require_browser()
    import zipfile

    from playwright.sync_api import expect

    from tests.pages.test_pages import _two_tiny_runs

    lstm, gru = _two_tiny_runs()
    with streamlit_server(data_dir) as url, chromium_page() as page:
        page.goto(url + "/Runs")
        wait_idle(page)
        expect(page.get_by_text("Select runs to compare or use")).to_be_visible()
        picker = page.locator(".st-key-ru__picked input").first

        def pick(run_id: str) -> None:
            picker.click()
            picker.fill(run_id)
            picker.press("Enter")
            picker.press("Escape")  # close the list so the choice is sent
            page.locator("h1").first.click()

        pick(lstm)  # one run: its card, recipe and downloads
        download_button = page.get_by_role("button", name="Download model and companions (zip)")
        expect(download_button).to_be_visible(timeout=30_000)
        expect(page.get_by_text("python -m core forecast").first).to_be_visible()
        with page.expect_download() as info:
            download_button.click()
        path = tmp_path / "run.zip"
        info.value.save_as(path)
        names = zipfile.ZipFile(path).namelist()
        assert "files/model.keras" in names and "recipe.sh" in names

        pick(gru)  # two runs: curves overlaid and settings compared
        expect(page.get_by_text("2 runs compared")).to_be_visible(timeout=30_000)
        expect(page.get_by_text("Settings side by side")).to_be_visible()

        # A teacher's link opens the Forecasting page with the same settings.
        page.goto(url + "/Forecasting?fc_source=synthetic&fc_epochs=7&fc_cell=gru")
        wait_idle(page)
        expect(page.locator(".st-key-fc_epochs input[type=range]")).to_have_value("7")
        expect(page.locator(".st-key-fc_cell input").first).to_have_value("GRU")
        expect(page.get_by_role("radio", name="Synthetic")).to_be_checked()


def test_a_page_opened_directly_on_a_fresh_server_has_the_app_navigation(data_dir):
    """A lesson or class-board link is often the first address a fresh server serves: the
    sidebar is still the app's (Home first, with icons), not Streamlit's folder listing."""
    require_browser()
    with streamlit_server(data_dir) as url, chromium_page() as page:
        page.goto(f"{url}/Runs")
        wait_idle(page)
        links = page.locator('[data-testid="stSidebarNav"]').get_by_role("link")
        names = [link.inner_text().strip() for link in links.all()]
        assert names[0].endswith("Home"), names  # not "app"
        assert any(name.endswith("Class board") for name in names)
        assert page.get_by_role("heading", name=re.compile("Runs")).count()
