"""Time left from this run's own measured progress, "estimating" until two points."""

from __future__ import annotations

import time

from core.eta import ProgressClock, time_left_text
from core.job import Job


def test_estimating_until_two_points_then_from_the_measured_rate():
    clock = ProgressClock()
    assert clock.eta(now=100.0) is None
    clock.add(0.10, now=100.0)
    assert clock.eta(now=101.0) is None and time_left_text(None) == "time left: estimating"
    clock.add(0.20, now=110.0)  # 10% per 10 s: 80 s left at that moment
    assert clock.eta(now=110.0) == 80.0
    assert clock.eta(now=120.0) == 70.0  # time passes without a report: the estimate counts down
    assert time_left_text(80.0) == "about 80 s left"


def test_slow_start_up_does_not_inflate_the_estimate():
    """A run whose data took 10 minutes to prepare trains at its own pace: 3 min left, not 55."""
    job = Job(id="j", task="forecast", config=None, status="running", started=time.time() - 600)
    now = time.time()
    job.clock.add(0.05, now=now - 9)
    job.clock.add(0.10, now=now)  # 5% in 9 s
    job.progress = 0.10
    eta = job.snapshot(0)["eta"]
    assert 150 < eta < 170  # (0.9 / 0.05) * 9 = 162 s; elapsed * (1 - p) / p would say 5400 s


def test_a_machine_that_slows_down_shows_in_the_estimate():
    clock = ProgressClock()
    for i in range(10):  # fast for the first 90 s: 1% per 10 s ...
        clock.add(0.01 * (i + 1), now=10.0 * i)
    for j in range(1, 7):  # ... then 1% per 30 s for 3 minutes
        clock.add(0.10 + 0.01 * j, now=90.0 + 30.0 * j)
    eta = clock.eta(now=270.0)
    assert abs(eta - 0.84 / (0.01 / 30)) < 1  # the last minute's rate: 2520 s, not the average's


def test_the_live_panel_says_estimating_and_shows_the_time_budget(fresh_app):
    from streamlit.testing.v1 import AppTest

    def page():
        from core.config import TextConfig, TrainingConfig
        from ui.panel import _draw

        config = TextConfig(train=TrainingConfig(epochs=50, budget_s=35.0))
        snap = {"id": "r1", "status": "running", "config": config, "epochs": [], "batches": []}
        snap |= {"progress": 0.01, "elapsed": 4.0, "eta": None, "message": "Training...", "extras": {}}
        _draw(snap, "tx", "loss", None)

    at = AppTest.from_function(page, default_timeout=60).run()
    assert not at.exception
    text = at.get("progress")[0].proto.text
    assert "epoch 1 of 50 (or 35 s of training, whichever comes first)" in text
    assert text.endswith("time left: estimating") and "about estimating" not in text
