"""Each training page's default or quick preset as a newcomer meets it, on a quiet and on a busy machine.

In Chromium against `streamlit run`: open the page, pick the preset, press Train, and time the
first live loss point and the results. The RNN's metric and its best baseline come from the run
store afterwards (the numbers the page shows). The round is run twice: on the machine as it is,
and beside four busy Python loops at normal priority (a teacher's laptop with a video call and a
browser open: a load of about 5 on 2 cores). Server and training-process CPU seconds are
reported, so the cost of watching a run can be set against the cost of training it.
Target (issue 14): the Shakespeare quick preset beats the trigram within 150 s in both rounds.
Run: `flock /tmp/rnn-cpu.lock python -m benchmarks demos`.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

BUSY = 4
LIVE = re.compile(r"After \d+ epochs? the training loss|Epoch 1 in progress; current training loss")


def _cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of one process (Linux /proc)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _children(pid: int) -> list[int]:
    try:
        return [int(c) for c in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except OSError:
        return []


def _pick(page, label: str) -> None:
    page.get_by_text(label, exact=True).first.click()
    time.sleep(0.5)
    from tests.helpers.browser import wait_idle

    wait_idle(page)


# page path, what to click before Train (radio labels), task, name
DEMOS = [
    ("Forecasting", [], "forecast", "forecast_default"),
    (
        "Forecasting",
        ["Lesson: why 'same as yesterday' is hard to beat (stock prices)"],
        "forecast",
        "forecast_lesson_persistence",
    ),
    ("Shakespeare", [], "text", "text_quick"),
    ("Sentiment", ["⚡ Quick preset (about 20 s)"], "sentiment", "sentiment_quick"),
    ("Music", [], "music", "music_default"),
]


def _scores(task: str, final: dict) -> dict:
    if task == "forecast":
        test = final["test"]
        base = min((k for k in test if k != "rnn"), key=lambda k: test[k]["mae"])
        return {
            "metric": "test MAE (lower is better)",
            "rnn": test["rnn"]["mae"],
            "best_baseline": base,
            "baseline": test[base]["mae"],
            "rnn_wins": test["rnn"]["mae"] <= test[base]["mae"],
        }
    if task == "text":
        trigram = final["baseline"].get("trigram")
        return {
            "metric": "held-out nats per character (lower is better)",
            "rnn": final["val_loss"],
            "best_baseline": final["baseline"]["name"],
            "baseline": final["baseline"]["val_loss"],
            "trigram": trigram,
            "steps": final.get("steps"),
            "rnn_wins": final["val_loss"]
            < (trigram if trigram is not None else final["baseline"]["val_loss"]),
        }
    if task == "music":
        return {
            "metric": "held-out nats per note (lower is better)",
            "rnn": final["val_nll"],
            "best_baseline": "markov1",
            "baseline": final["baseline"]["val_nll"],
            "rnn_wins": final["val_nll"] < final["baseline"]["val_nll"],
        }
    return {
        "metric": "test accuracy (higher is better)",
        "rnn": final["test"]["accuracy"],
        "best_baseline": "tfidf-logreg",
        "baseline": final["baseline"]["accuracy"],
        "rnn_wins": final["test"]["accuracy"] >= final["baseline"]["accuracy"],
    }


def _round(label: str, only: set[str] | None = None) -> list[dict]:
    from playwright.sync_api import expect

    from core.runs import RunStore
    from tests.helpers.browser import chromium_page, streamlit_server, wait_idle

    records = []
    source = os.environ.get("RNN_STUDIO_DATA", "")
    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp) / "data"
        data.mkdir()
        if source and Path(source).is_dir():
            for item in Path(source).iterdir():
                if not item.name.startswith("runs"):
                    (data / item.name).symlink_to(item.resolve())
        info: dict = {}
        with streamlit_server(data, info=info) as url, chromium_page(1440, 900) as page:
            page.goto(url)
            wait_idle(page)
            time.sleep(15)  # the landing page starts the training engine: a teacher opens it first
            for path, clicks, task, name in DEMOS:
                if only and name not in only:
                    continue
                page.goto(f"{url}/{path}")
                wait_idle(page)
                for text in clicks:
                    _pick(page, text)
                server0 = _cpu_seconds(info["pid"])
                kids0 = sum(_cpu_seconds(c) for c in _children(info["pid"]))
                load0 = os.getloadavg()[0]
                t0 = time.perf_counter()
                page.get_by_role("button", name="Train", exact=True).click()
                expect(page.get_by_text(LIVE).first).to_be_visible(timeout=600_000)
                first = time.perf_counter() - t0
                expect(page.get_by_text(re.compile(r"^Results on the"))).to_be_visible(timeout=900_000)
                done = time.perf_counter() - t0
                server = _cpu_seconds(info["pid"]) - server0
                kids = sum(_cpu_seconds(c) for c in _children(info["pid"])) - kids0
                final = RunStore(data).list(task=task)[0].get("final") or {}
                records.append(
                    {
                        "benchmark": f"demos_{name}",
                        "machine": label,
                        "first_live_point_s": round(first, 1),
                        "result_s": round(done, 1),
                        **_scores(task, final),
                        "server_cpu_s": round(server, 1),
                        "training_cpu_s": round(kids, 1),
                        "load_before": round(load0, 2),
                        "load_after": round(os.getloadavg()[0], 2),
                    }
                )
    return records


def run(only: set[str] | None = None) -> list[dict]:
    from tests.helpers.browser import CHROMIUM

    if not Path(CHROMIUM).exists():
        return [{"benchmark": "demos", "skipped": "Chromium is not installed at /usr/bin/chromium"}]
    records = _round("as it is", only)
    loops = [subprocess.Popen([sys.executable, "-c", "while True: pass"]) for _ in range(BUSY)]
    try:
        time.sleep(5)
        records += _round(f"beside {BUSY} busy processes", only)
    finally:
        for proc in loops:
            proc.kill()
    return records


if __name__ == "__main__":
    import json

    for record in run(set(sys.argv[1:]) or None):
        print(json.dumps(record), flush=True)
