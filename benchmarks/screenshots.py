"""Screenshots of every page at 1440x900, before and after a training with the defaults.

    python -m benchmarks.screenshots OUT_DIR [--pages Forecasting,Music] [--offline]

Starts `streamlit run app.py` on a private copy of the data directory (RNN_STUDIO_DATA, else
../shared/data), drives Debian's Chromium with Playwright, and writes OUT_DIR/<page>-before.png
and OUT_DIR/<page>-after.png (the whole page, not only the first screen). `--offline` starts
from an empty data directory with downloads failing at once: what a newcomer without
internet sees. Look at the pictures: the script only takes them.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.helpers.browser import CHROMIUM, CHROMIUM_ARGS, streamlit_server, wait_idle  # noqa: E402

VIEWPORT = {"width": 1440, "height": 900}
# page path -> [(what to click, text that appears once it is done), ...]: the page's trainings
PAGES = {
    "Home": [],
    "Forecasting": [("Train", "Results on the test split")],
    "Shakespeare": [
        ("Train", "Results on the held-out text"),
        ("Generate", "Each character is shaded by the probability"),
    ],
    "Music": [("Train", "Results on the")],
    "Sentiment": [("Train", "Results on the test split")],
    "Inside_the_RNN": [
        ("Build the layer in Keras and step through it", "Same as Keras?"),
        ("Measure the untrained networks", "Measured the 3 untrained networks"),
        ("Train SimpleRNN, LSTM and GRU (3 jobs)", "Parameters: numbers the network learns"),
    ],
    "Runs": [],
}


def shoot(page, path: Path) -> None:
    """The whole page: Streamlit scrolls inside its main section, so the window grows to fit it."""
    wait_idle(page, 120_000)
    time.sleep(2.0)  # plotly draws charts after the script ends
    height = page.evaluate("document.querySelector('[data-testid=\"stMain\"]').scrollHeight")
    page.set_viewport_size({"width": VIEWPORT["width"], "height": max(VIEWPORT["height"], int(height))})
    time.sleep(1.0)  # charts re-layout to the new size
    page.screenshot(path=str(path))
    page.set_viewport_size(VIEWPORT)
    print(path, file=sys.stderr, flush=True)


def train(page, button: str, done_text: str, timeout_s: float) -> bool:
    page.get_by_role("button", name=button, exact=True).first.click()
    deadline = time.time() + timeout_s
    while time.time() < deadline:
        if page.get_by_text(done_text).count():
            return True
        time.sleep(2.0)
    return False


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("out", type=Path)
    p.add_argument("--pages", default=",".join(PAGES), help="comma-separated page names")
    p.add_argument("--offline", action="store_true", help="empty data directory, no downloads")
    p.add_argument("--train-timeout", type=float, default=600.0, help="seconds to wait for one training")
    a = p.parse_args(argv)
    a.out.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix="rnn-shots-"))
    data = work / "data"
    env = {}
    if a.offline:
        data.mkdir()
        env = {"https_proxy": "http://127.0.0.1:9", "HTTPS_PROXY": "http://127.0.0.1:9"}
    else:
        source = Path(os.environ.get("RNN_STUDIO_DATA") or ROOT.parent / "shared" / "data")
        shutil.copytree(source, data, ignore=shutil.ignore_patterns("runs", "runs.db*", "uploads"))
    from playwright.sync_api import sync_playwright

    suffix = "-offline" if a.offline else ""
    try:
        with streamlit_server(data, extra_env=env) as url, sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
            page = browser.new_page(viewport=VIEWPORT)
            for name in a.pages.split(","):
                page.goto(url if name == "Home" else f"{url}/{name}")
                shoot(page, a.out / f"{name}{suffix}-before.png")
                if a.offline:
                    continue
                for button, done_text in PAGES[name]:
                    started = time.time()
                    ok = train(page, button, done_text, a.train_timeout)
                    print(
                        f"{name}: {button}: done={ok} in {time.time() - started:.0f} s",
                        file=sys.stderr,
                        flush=True,
                    )
                if name == "Runs":  # compare runs of several tasks: one chart per task and data
                    picker = page.locator(".st-key-ru__picked input").first
                    for label in ("Inside the RNN", "Inside the RNN", "Forecasting", "Music"):
                        picker.click()
                        picker.fill(label)
                        picker.press("Enter")  # the first matching run not picked yet
                        picker.press("Escape")
                        page.locator("h1").first.click()
                        wait_idle(page)
                if PAGES[name] or name == "Runs":
                    shoot(page, a.out / f"{name}{suffix}-after.png")
            browser.close()
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
