"""A classroom at once: N people open Forecasting and press Train within seconds.

One `streamlit run` server; N Playwright browser contexts (separate sessions) in
one Chromium. Each session opens a link with its own settings (its seed is its
number), presses Train, and, while the jobs queue and train, keeps moving the
look-back slider and times how long the page takes to show the new tensor shape.
Each session then reads the run id its results name and the benchmark checks, in
the run store, that the run exists, finished, and carries that session's seed
(otherwise it counts as lost or crossed). Memory is the peak resident size of
the server plus its training process, sampled every 0.5 s.

Run: `python -m benchmarks classroom` (N=10 by default; CLASSROOM_N overrides).
Targets (issue 9), N = 10: no run lost or crossed, p95 interaction under 2 s.
"""

from __future__ import annotations

import contextlib
import os
import re
import tempfile
import threading
import time
from pathlib import Path

QUICK = "fc_source=synthetic&fc_len=400&fc_lookback=10&fc_epochs=3&fc_units=8"
DEADLINE_S = 420


def _rss_mb(pid: int) -> float:
    total = 0.0
    pids = [pid]
    for task in Path(f"/proc/{pid}/task").glob("*"):  # children of every thread
        with contextlib.suppress(OSError):
            pids += [int(c) for c in (task / "children").read_text().split()]
    for p in pids:
        try:
            for line in Path(f"/proc/{p}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1]) / 1024
        except OSError:
            pass
    return total


def run_classroom(n: int) -> dict:
    from playwright.sync_api import sync_playwright

    from core.runs import RunStore
    from tests.helpers.browser import CHROMIUM, CHROMIUM_ARGS, streamlit_server, wait_idle

    info: dict = {}
    with tempfile.TemporaryDirectory() as tmp, streamlit_server(Path(tmp), info=info) as url:
        server_pid = info["pid"]
        peak = [0.0]
        sampling = threading.Event()

        def sample() -> None:
            while not sampling.is_set():
                peak[0] = max(peak[0], _rss_mb(server_pid))
                time.sleep(0.5)

        threading.Thread(target=sample, daemon=True).start()
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
            pages = []
            for i in range(n):
                page = browser.new_context(viewport={"width": 1200, "height": 900}).new_page()
                page.goto(f"{url}/Forecasting?{QUICK}&fc_seed={i}")
                pages.append(page)
            for page in pages:
                wait_idle(page, timeout=120_000)
            for page in pages:
                page.get_by_role("button", name="Train", exact=True).click()
            latencies: list[float] = []
            done: dict[int, str] = {}
            lookback = {i: 10 for i in range(n)}
            start = time.time()
            while len(done) < n and time.time() - start < DEADLINE_S:
                for i, page in enumerate(pages):
                    if i in done:
                        continue
                    caption = page.get_by_text(re.compile(r"Run \d{8}-\d{6}-[0-9a-f]{6}\.")).first
                    if page.get_by_text("Results on the test split").count() and caption.count():
                        done[i] = re.search(r"Run (\S+)\.", caption.inner_text()).group(1)
                        continue
                    # One interaction: move the look-back slider and wait for the new shape.
                    thumb = page.locator(".st-key-fc_lookback input[type=range]").first
                    step = 1 if lookback[i] < 40 else -1
                    lookback[i] += step
                    t0 = time.perf_counter()
                    thumb.press("ArrowRight" if step > 0 else "ArrowLeft")
                    shape = re.compile(rf"\(\d+, {lookback[i]}, \d+\)")
                    page.get_by_text(shape).first.wait_for(timeout=60_000)
                    latencies.append(time.perf_counter() - t0)
            browser.close()
        sampling.set()
        store = RunStore(Path(tmp))
        crossed = lost = 0
        for i in range(n):
            row = store.get(done[i]) if i in done else None
            if row is None or row["status"] != "done":
                lost += 1
            elif row["config"]["train"]["seed"] != i:
                crossed += 1
    latencies.sort()
    p95 = latencies[int(0.95 * (len(latencies) - 1))] if latencies else None
    return {
        "benchmark": "classroom",
        "sessions": n,
        "runs_finished": len(done),
        "runs_lost": lost,
        "runs_crossed": crossed,
        "interactions": len(latencies),
        "p95_interaction_s": round(p95, 2) if p95 is not None else None,
        "median_interaction_s": round(latencies[len(latencies) // 2], 2) if latencies else None,
        "peak_memory_mb": round(peak[0]),
        "wall_s": round(time.time() - start, 1),
        "targets": {"runs_lost": 0, "runs_crossed": 0, "p95_interaction_s": 2.0},
        "met": lost == 0 and crossed == 0 and p95 is not None and p95 < 2.0,
    }


def run() -> list[dict]:
    from tests.helpers.browser import CHROMIUM

    if not Path(CHROMIUM).exists():
        return [{"benchmark": "classroom", "skipped": "Chromium is not installed at /usr/bin/chromium"}]
    return [run_classroom(int(os.environ.get("CLASSROOM_N", "10")))]
