"""Start-up: `streamlit run app.py` until the landing page has rendered in Chromium.

Reference in the same run: a one-line Streamlit app started and opened the same
way, so the figure separates our own import and rendering cost from Streamlit's.
Also checks that the landing page did not load TensorFlow into the server.
Target (issue 8): under 3 s. Run: `python -m benchmarks startup`.
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

from tests.helpers.browser import CHROMIUM, chromium_page, free_port

ROOT = Path(__file__).resolve().parents[1]


def time_to_render(script: Path, text: str, data_dir: Path) -> tuple[float, float, bool]:
    """(seconds until the page shows `text`, seconds until the server answered, TF in the server).

    The browser is already open when the clock starts, as a visitor's would be: the figure
    is the app's start-up, not Chromium's.
    """
    port = free_port()
    with chromium_page() as page:
        page.goto("about:blank")
        t0 = time.perf_counter()
        proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "streamlit",
                "run",
                str(script),
                "--server.headless",
                "true",
                "--server.address",
                "127.0.0.1",
                "--server.port",
                str(port),
                "--server.fileWatcherType",
                "none",
                "--browser.gatherUsageStats",
                "false",
            ],
            cwd=ROOT,
            env={**__import__("os").environ, "RNN_STUDIO_DATA": str(data_dir)},
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            while True:
                try:
                    urllib.request.urlopen(f"http://127.0.0.1:{port}/_stcore/health", timeout=1)
                    break
                except OSError:
                    time.sleep(0.05)
            ready = time.perf_counter() - t0
            page.goto(f"http://127.0.0.1:{port}")
            page.get_by_text(text).first.wait_for(timeout=60_000)
            elapsed = time.perf_counter() - t0
            maps = Path(f"/proc/{proc.pid}/maps").read_text()
            return elapsed, ready, "tensorflow" in maps
        finally:
            proc.terminate()
            proc.wait(10)


def run() -> list[dict]:
    if not Path(CHROMIUM).exists():
        return [{"benchmark": "startup", "skipped": "Chromium is not installed at /usr/bin/chromium"}]
    with tempfile.TemporaryDirectory() as tmp:
        hello = Path(tmp) / "hello.py"
        hello.write_text("import streamlit as st\nst.write('hello from a bare app')\n")
        reference, reference_ready, _ = time_to_render(hello, "hello from a bare app", Path(tmp))
        ours, ready, tf_loaded = time_to_render(ROOT / "app.py", "hidden state", Path(tmp))
    return [
        {
            "benchmark": "startup_landing_page",
            "seconds": round(ours, 2),
            "server_answering_s": round(ready, 2),
            "reference": "one-line Streamlit app, started and opened the same way",
            "reference_seconds": round(reference, 2),
            "reference_server_answering_s": round(reference_ready, 2),
            "ratio_to_reference": round(ours / reference, 2),
            "tensorflow_in_server": tf_loaded,
            "target_s": 3,
            "met": ours < 3 and not tf_loaded,
        }
    ]
