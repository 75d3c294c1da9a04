"""A classroom at once: browser sessions open Forecasting and press Train within seconds.

One `streamlit run` server; one Playwright browser context (its own session and owner
cookie) per person in one Chromium. Each session opens a link with its settings and
presses Train; while the jobs queue and train, every session still waiting keeps moving
the look-back slider and times how long the page takes to show the new tensor shape (the
"click"). Each session then reads the run id its page names and the benchmark checks, in
the run store, that the run finished with exactly the settings that session asked for
(otherwise it counts as lost or crossed).

`python -m benchmarks classroom` runs the issue-19 case twice on fresh servers: 30
sessions, 20 pressing Train with the Forecasting defaults and 10 with their own settings
(a small network on a synthetic series, each with its own seed), once with identical
requests trained once (core.sharing) and once without (RNN_STUDIO_SHARING=0, as before).
It reports the time from the first click until the last person has a result for both, and
their ratio (target: at most 1/3), with the load average beside every figure. Run it
under the CPU lock: `flock /tmp/rnn-cpu.lock python -m benchmarks classroom`.
CLASSROOM_DEFAULT and CLASSROOM_OWN change the head counts; CLASSROOM_N=10 runs the older
10-session case (every session its own seed).
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


MIXED_DEADLINE_S = 1500  # 30 trainings one after another on a busy 2-core machine
DEFAULTS = "fc_preset=default"  # the page's defaults (US jobs, 20 epochs)


def own_settings(i: int) -> str:
    """Person i's own settings: a small network on a synthetic series, with their own seed."""
    return f"{QUICK}&fc_seed={100 + i}"


def _expected(query: str) -> dict:
    """The settings a link asks for (the page's defaults where it names none), as the store keeps them."""
    from core.config import ForecastConfig

    d = ForecastConfig()
    pairs = dict(kv.split("=") for kv in query.split("&"))
    return {
        "seed": int(pairs.get("fc_seed", d.train.seed)),
        "data": pairs.get("fc_source", d.data),
        "epochs": int(pairs.get("fc_epochs", d.train.epochs)),
        "units": int(pairs.get("fc_units", d.arch.units)),
    }


RUN_ID = re.compile(r"(?:Run|run) (\d{8}-\d{6}-[0-9a-f]{6})[.:,]")


def _last(finished_at: dict[int, float], who) -> float | None:
    times = [finished_at[i] for i in who if i in finished_at]
    return round(max(times), 1) if times else None


def run_mixed(n_default: int, n_own: int, share: bool) -> dict:
    """n_default people press Train with the defaults, n_own with their own settings, at once."""
    from playwright.sync_api import sync_playwright

    from core.runs import RunStore
    from tests.helpers.browser import CHROMIUM, CHROMIUM_ARGS, streamlit_server, wait_idle

    queries = [DEFAULTS] * n_default + [own_settings(i) for i in range(n_own)]
    n = len(queries)
    info: dict = {}
    env = {"RNN_STUDIO_SHARING": "1" if share else "0"}
    load_start = os.getloadavg()[0]
    with tempfile.TemporaryDirectory() as tmp, streamlit_server(Path(tmp), extra_env=env, info=info) as url:
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
            for q in queries:
                page = browser.new_context(viewport={"width": 1200, "height": 900}).new_page()
                page.goto(f"{url}/Forecasting?{q}")
                pages.append(page)
            for page in pages:
                wait_idle(page, timeout=180_000)
            lookback = {
                i: int(dict(kv.split("=") for kv in q.split("&")).get("fc_lookback", 14))
                for i, q in enumerate(queries)
            }
            load_clicks = os.getloadavg()[0]
            start = time.time()
            for page in pages:
                page.get_by_role("button", name="Train", exact=True).click()
            latencies: list[float] = []
            done: dict[int, str] = {}
            finished_at: dict[int, float] = {}
            while len(done) < n and time.time() - start < MIXED_DEADLINE_S:
                for i, page in enumerate(pages):
                    if i in done:
                        continue
                    if page.get_by_text("Results on the test split").count():
                        words = page.get_by_text(RUN_ID).first
                        if words.count():
                            done[i] = RUN_ID.search(words.inner_text()).group(1)
                            finished_at[i] = time.time() - start
                            continue
                    thumb = page.locator(".st-key-fc_lookback input[type=range]").first
                    step = 1 if lookback[i] < 40 else -1
                    lookback[i] += step
                    t0 = time.perf_counter()
                    thumb.press("ArrowRight" if step > 0 else "ArrowLeft")
                    shape = re.compile(rf"\(\d+, {lookback[i]}, \d+\)")
                    page.get_by_text(shape).first.wait_for(timeout=60_000)
                    latencies.append(time.perf_counter() - t0)
            last_result_s = max(finished_at.values()) if len(done) == n else None
            load_end = os.getloadavg()[0]
            browser.close()
        sampling.set()
        store = RunStore(Path(tmp))
        crossed = lost = 0
        for i, q in enumerate(queries):
            row = store.get(done[i]) if i in done else None
            if row is None or row["status"] != "done":
                lost += 1
                continue
            cfg, want = row["config"], _expected(q)
            got = {
                "seed": cfg["train"]["seed"],
                "data": cfg["data"],
                "epochs": cfg["train"]["epochs"],
                "units": cfg["arch"]["units"],
            }
            crossed += got != want
        trainings = store.count()
    latencies.sort()
    p95 = latencies[int(0.95 * (len(latencies) - 1))] if latencies else None
    return {
        "benchmark": "classroom",
        "case": "with sharing" if share else "without sharing (every request trains)",
        "sessions": n,
        "pressing_defaults": n_default,
        "own_settings": n_own,
        "trainings": trainings,
        "runs_finished": len(done),
        "runs_lost": lost,
        "runs_crossed": crossed,
        "last_result_s": round(last_result_s, 1) if last_result_s is not None else None,
        "median_result_s": round(sorted(finished_at.values())[len(finished_at) // 2], 1)
        if finished_at
        else None,
        "last_result_defaults_s": _last(finished_at, range(n_default)),
        "last_result_own_settings_s": _last(finished_at, range(n_default, n)),
        "interactions": len(latencies),
        "p95_interaction_s": round(p95, 2) if p95 is not None else None,
        "median_interaction_s": round(latencies[len(latencies) // 2], 2) if latencies else None,
        "peak_memory_mb": round(peak[0]),
        "load_average": {
            "start": round(load_start, 2),
            "at_clicks": round(load_clicks, 2),
            "end": round(load_end, 2),
        },
        "cpus": os.cpu_count(),
    }


def run() -> list[dict]:
    from tests.helpers.browser import CHROMIUM

    if not Path(CHROMIUM).exists():
        return [{"benchmark": "classroom", "skipped": "Chromium is not installed at /usr/bin/chromium"}]
    if os.environ.get("CLASSROOM_N"):
        return [run_classroom(int(os.environ["CLASSROOM_N"]))]
    n_default = int(os.environ.get("CLASSROOM_DEFAULT", "20"))
    n_own = int(os.environ.get("CLASSROOM_OWN", "10"))
    without = run_mixed(n_default, n_own, share=False)
    with_sharing = run_mixed(n_default, n_own, share=True)
    ratio = None
    if without["last_result_s"] and with_sharing["last_result_s"]:
        ratio = round(with_sharing["last_result_s"] / without["last_result_s"], 3)
    ok = all(r["runs_lost"] == 0 and r["runs_crossed"] == 0 for r in (without, with_sharing))
    p95_ok = all(
        r["p95_interaction_s"] is not None and r["p95_interaction_s"] < 2.0 for r in (without, with_sharing)
    )
    summary = {
        "benchmark": "classroom",
        "case": "summary",
        "last_result_s_without_sharing": without["last_result_s"],
        "last_result_s_with_sharing": with_sharing["last_result_s"],
        "ratio": ratio,
        "load_average_at_clicks": [
            without["load_average"]["at_clicks"],
            with_sharing["load_average"]["at_clicks"],
        ],
        "targets": {"ratio": "<= 0.333", "runs_lost": 0, "runs_crossed": 0, "p95_interaction_s": "< 2.0"},
        "met": ok and p95_ok and ratio is not None and ratio <= 1 / 3,
    }
    return [without, with_sharing, summary]
