"""Identical requests train once: the fingerprint, joining a live job, a finished run's result,
and the cases where sharing is off (and why). The job manager trains tiny configs in a thread."""

from __future__ import annotations

import threading
from dataclasses import replace

import pytest

from core import sharing
from core.config import ForecastConfig, TextConfig
from core.jobs import JobManager
from core.runs import RunStore
from core.tasks import TASKS


def test_the_fingerprint_covers_task_config_data_and_seed(tmp_path):
    cfg = TASKS["forecast"].tiny(tmp_path)
    key, why = sharing.request_key("forecast", cfg)
    assert key and not why
    assert sharing.request_key("forecast", replace(cfg))[0] == key  # equal settings, equal key
    assert sharing.request_key("forecast", replace(cfg, train=replace(cfg.train, seed=1)))[0] != key
    assert sharing.request_key("forecast", replace(cfg, lookback=6))[0] != key
    assert sharing.request_key("memory", TASKS["memory"].tiny(tmp_path))[0] != key
    # a file's content, not its name: the same path with other bytes is another request
    text = TASKS["text"].tiny(tmp_path)
    before = sharing.request_key("text", text)[0]
    (tmp_path / "tiny.txt").write_text("other words " * 2000, encoding="utf-8")
    assert sharing.request_key("text", text)[0] != before


def test_sharing_is_off_where_it_cannot_be_guaranteed(tmp_path, monkeypatch):
    cfg = ForecastConfig()
    assert (
        "time budget"
        in sharing.request_key("forecast", replace(cfg, train=replace(cfg.train, budget_s=30)))[1]
    )
    assert "cluster" in sharing.request_key("forecast", cfg, executor="ray://head:10001")[1]
    assert "could not be read" in sharing.request_key("text", TextConfig(data=str(tmp_path / "gone.txt")))[1]
    monkeypatch.setenv("RNN_STUDIO_SHARING", "0")
    assert sharing.request_key("forecast", cfg) == (
        "",
        "sharing is turned off on this server (RNN_STUDIO_SHARING=0)",
    )


class Gate(JobManager):
    """Trains in a thread, after the test opens the gate: so a second request finds the first live."""

    gate = threading.Event()

    def _run(self, job):
        self.gate.wait(60)
        super()._run(job)


@pytest.fixture
def manager(tmp_path):
    Gate.gate = threading.Event()
    m = Gate(store=RunStore(tmp_path), isolate=False)
    yield m
    Gate.gate.set()
    m.shutdown()


@pytest.mark.slow
def test_an_identical_request_joins_the_live_job_and_then_gets_the_finished_run(tmp_path, manager):
    cfg = TASKS["forecast"].tiny(tmp_path)
    first = manager.submit("forecast", cfg, session="a")
    assert manager.submit("forecast", replace(cfg), session="b") == first  # joined: one training
    other = manager.submit("forecast", replace(cfg, train=replace(cfg.train, seed=3)), session="c")
    alone = manager.submit("forecast", replace(cfg), session="d", share=False)  # "train again anyway"
    assert len({first, other, alone}) == 3
    snap = manager.snapshot(first)
    assert snap["session"] == "a" and snap["joined"] == 1
    Gate.gate.set()
    for rid in (first, other, alone):
        assert manager.wait(rid, 120)["status"] == "done"
    same, why = manager.same_finished("forecast", replace(cfg))
    assert not why and same["id"] in (first, alone) and same["status"] == "done"
    assert manager.store.count() == 3  # the joined request made no run of its own
    # a finished request is not joined again: a new one trains (the page offers the result instead)
    assert manager.submit("forecast", replace(cfg), session="e") not in (first, other, alone)
