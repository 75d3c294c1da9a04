"""Every state of a training, drawn by each training page on a fake job manager (no TensorFlow,
no training process): what a person sees while queued, running, after a failure or a lost server."""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from core.tasks import TASKS

ROOT = Path(__file__).resolve().parents[2]


def page(task: str) -> tuple[AppTest, str]:
    record = TASKS[task]
    return AppTest.from_file(str(ROOT / record.page), default_timeout=60), record.prefix


def progress_texts(at: AppTest) -> list[str]:
    return [p.proto.text for p in at.get("progress")]


@pytest.mark.parametrize("task", ["forecast", "music"])
def test_train_submits_the_pages_config_and_shows_its_place_in_the_queue(fake_jobs, task):
    at, prefix = page(task)
    at.run()
    assert not at.exception
    at.get("form_submit_button")[0].click().run()
    assert not at.exception
    ((submitted_task, config, session),) = fake_jobs.submitted
    assert submitted_task == task and isinstance(config, TASKS[task].config) and session
    assert any("Waiting in the queue: 2 jobs ahead of yours, about 40 s" in t for t in progress_texts(at))
    next(b for b in at.button if b.label == "Cancel").click().run()
    assert fake_jobs.stopped == [at.session_state[f"{prefix}__job"]]


def test_a_running_job_shows_its_epoch_its_time_left_a_stop_button_and_its_loss_chart(fake_jobs):
    at, prefix = page("forecast")
    config = TASKS["forecast"].config()
    at.session_state[f"{prefix}__job"] = fake_jobs.put("r1", "forecast", config, "running")
    at.run()
    assert not at.exception
    (text,) = [t for t in progress_texts(at) if "epoch" in t]
    assert text.startswith(f"Training epoch 4 of {config.train.epochs}") and "elapsed 12 s" in text
    assert any(
        c.value.startswith("After 3 epochs the training loss") and "Run r1." in c.value for c in at.caption
    )
    next(b for b in at.button if b.label == "Stop training").click().run()
    assert fake_jobs.stopped == ["r1"]


def test_a_failed_job_says_why_in_its_sentence_and_a_lost_one_where_to_look(fake_jobs):
    at, prefix = page("forecast")
    at.session_state[f"{prefix}__job"] = fake_jobs.put("f1", "forecast", TASKS["forecast"].config(), "failed")
    at.run()
    assert not at.exception
    assert [e.value for e in at.error] == [
        "Training failed: The CSV file has no column of numbers to forecast."
    ]
    at.session_state[f"{prefix}__job"] = "from-an-earlier-server"
    at.run()
    assert not at.exception
    assert any("earlier server session" in i.value for i in at.info)


def test_a_job_cancelled_in_the_queue_says_so(fake_jobs):
    at, prefix = page("forecast")
    at.session_state[f"{prefix}__job"] = fake_jobs.put(
        "s1", "forecast", TASKS["forecast"].config(), "stopped"
    )
    at.run()
    assert not at.exception
    assert any(w.value == "Cancelled before it started." for w in at.warning)
