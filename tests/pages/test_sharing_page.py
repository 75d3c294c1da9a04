"""What a person sees when their request is shared: a live job they joined (no Stop: it is not
theirs), and a finished run with the same settings, shown at once, with "train again anyway"."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

import ui.panel
from core.tasks import TASKS

ROOT = Path(__file__).resolve().parents[2]
FORECAST = str(ROOT / TASKS["forecast"].page)


def test_a_joined_job_is_watched_but_not_stopped(fake_jobs):
    at = AppTest.from_file(FORECAST, default_timeout=60)
    at.session_state["fc__job"] = fake_jobs.put("r1", "forecast", TASKS["forecast"].config(), "running")
    fake_jobs.snaps["r1"]["session"] = "f" * 32  # another browser's job
    at.run()
    assert not at.exception
    assert any("you joined run r1" in c.value for c in at.caption)
    assert any("Run r1." in c.value for c in at.caption)  # the same live chart
    assert not [b for b in at.button if b.label == "Stop training"]


def test_a_request_that_cannot_be_shared_says_why(fake_jobs, monkeypatch):
    why = "it has a time budget: where it stops depends on how busy the machine is"
    monkeypatch.setattr(fake_jobs, "same_finished", lambda task, config: (None, why))
    at = AppTest.from_file(FORECAST, default_timeout=60).run()
    at.get("form_submit_button")[0].click().run()
    assert not at.exception and len(fake_jobs.submitted) == 1
    assert any(c.value == f"Not shared with anyone asking for the same settings: {why}." for c in at.caption)


@pytest.mark.slow
def test_the_same_settings_again_give_the_finished_result_at_once(fresh_app):
    at = AppTest.from_file(FORECAST, default_timeout=120)
    at.query_params.update({"fc_source": "synthetic", "fc_len": "300", "fc_epochs": "1", "fc_units": "8"})
    at.run()
    at.get("form_submit_button")[0].click().run()
    first = at.session_state["fc__job"]
    deadline = time.time() + 180
    while time.time() < deadline and not any("Results on the test split" in s.value for s in at.subheader):
        time.sleep(0.5)
        at.run()
    assert not at.exception
    store = ui.panel.manager().store
    assert store.get(first)["status"] == "done"
    at.get("form_submit_button")[0].click().run()  # the same settings again
    assert not at.exception
    assert any(f"The same settings as run {first}, trained at" in i.value for i in at.info)
    assert any("Results on the test split" in s.value for s in at.subheader)  # its result, at once
    assert store.count() == 1  # nothing trained
    next(b for b in at.button if b.label == "Train again anyway").click().run()
    assert at.session_state["fc__job"] != first and store.count() == 2
