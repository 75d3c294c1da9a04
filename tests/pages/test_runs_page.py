"""The Runs page with hostile or broken runs, and whose runs a person may delete (AppTest)."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from core.config import ForecastConfig, to_dict
from core.datasets import DataError
from core.runs import RunStore
from tests.core.test_import_limits import good_row, run_zip

ROOT = Path(__file__).resolve().parents[2]
RUNS = str(ROOT / "app_pages" / "6_Runs.py")
FORECAST = str(ROOT / "app_pages" / "1_Forecasting.py")
ME, OTHER = "a" * 32, "b" * 32


def finished_run(owner: str, status: str = "done") -> str:
    store = RunStore()
    rid = store.create("forecast", to_dict(ForecastConfig(data="synthetic")), owner=owner)
    store.add_epoch(rid, 0, {"epoch": 0, "loss": 1.0})
    if status == "running":
        store.start(rid)
    else:
        store.finish(rid, status)
    return rid


def runs_page(owner: str = ME) -> AppTest:
    at = AppTest.from_file(RUNS, default_timeout=60)
    at.session_state["owner_id"] = owner  # what the browser's cookie would give
    return at.run()


def test_a_damaged_row_shows_as_damaged_and_can_be_deleted(fresh_app):
    good, bad = finished_run(ME), finished_run(ME)
    con = sqlite3.connect(RunStore().db_path)
    con.execute("UPDATE runs SET config='\"not an object\"' WHERE id=?", (bad,))
    con.commit()
    con.close()
    at = runs_page()
    assert not at.exception
    assert set(at.dataframe[0].value["Run"]) == {good, bad}
    at.multiselect(key="ru__picked").set_value([bad]).run()
    assert not at.exception
    assert any("damaged" in w.value for w in at.warning)
    at.checkbox(key="ru__sure").check().run()
    at.button(key="ru__delete").click().run()
    assert not at.exception and set(at.dataframe[0].value["Run"]) == {good}


def test_imported_text_is_plain_text_not_markdown(fresh_app):
    link = "[click me](http://evil.example/) ![x](http://evil.example/x.png)"
    at = runs_page()
    data = run_zip(good_row(error=link, data_name=link, versions={"keras": link}))
    at.file_uploader(key="ru__import").set_value(("run.zip", data, "application/zip")).run()
    at.button(key="ru__do_import").click().run()
    assert not at.exception and at.success, [e.value for e in at.error]
    rid = at.success[0].value.split()[-1].rstrip(".")
    at.run()  # the table is drawn above the import box: it shows the new run on the next run
    at.multiselect(key="ru__picked").set_value([rid]).run()
    assert not at.exception
    markdown = [m.value for m in at.markdown] + [w.value for w in at.warning] + [c.value for c in at.caption]
    assert not any("](http" in m for m in markdown), "imported text reached Markdown"
    assert any(link in t.value for t in at.text)


@pytest.mark.parametrize(
    ("data", "fragment"),
    [
        (run_zip(good_row(config="a string")), "config is not a JSON object"),
        (b"PK\x03\x04 not really a zip", "not a run exported"),
        (run_zip(extra={f"files/f{i}": b"x" for i in range(70)}), "at most 64"),
    ],
)
def test_a_refused_import_is_one_sentence_in_the_page(fresh_app, data, fragment):
    at = runs_page()
    at.file_uploader(key="ru__import").set_value(("run.zip", data, "application/zip")).run()
    at.button(key="ru__do_import").click().run()
    assert not at.exception
    assert len(at.error) == 1 and fragment in at.error[0].value and "\n" not in at.error[0].value
    assert RunStore().count() == 0


def test_only_the_owner_or_the_teacher_deletes_and_nobody_deletes_a_running_run(fresh_app, monkeypatch):
    mine, theirs, running = finished_run(ME), finished_run(OTHER), finished_run(ME, "running")
    at = runs_page()
    for rid, allowed in [(mine, True), (theirs, False), (running, False)]:
        at.multiselect(key="ru__picked").set_value([rid]).run()
        assert at.checkbox(key="ru__sure").disabled is (not allowed), rid
    assert not at.get("text_input"), "no teacher box without a teacher password"
    store = RunStore()
    with pytest.raises(DataError, match="another browser"):
        store.delete(theirs, owner=ME)
    with pytest.raises(DataError, match="stop it first"):
        store.delete(running, owner=ME, teacher=True)
    with pytest.raises(DataError, match="stop it first"):
        store.delete(running)  # the command line neither

    monkeypatch.setenv("RNN_STUDIO_ADMIN_PASSWORD", "s3cret")
    at = runs_page()
    at.text_input(key="owner__password").input("wrong").run()
    assert any("not the teacher password" in e.value for e in at.error)
    at.text_input(key="owner__password").input("s3cret").run()
    at.multiselect(key="ru__picked").set_value([running]).run()
    assert at.checkbox(key="ru__sure").disabled
    at.multiselect(key="ru__picked").set_value([theirs]).run()
    at.checkbox(key="ru__sure").check().run()
    at.button(key="ru__delete").click().run()
    assert not at.exception and store.get(theirs) is None and store.get(running) is not None


class _NeverRuns:
    """A job manager whose jobs stay queued (nothing trains): only the limits are under test."""

    def __init__(self, *args, **kwargs):
        from core.jobs import JobManager

        class Manager(JobManager):
            def _run(self, job):
                return None

        self.inner = Manager(isolate=False)

    def __getattr__(self, name):
        return getattr(self.inner, name)


@pytest.mark.slow
def test_train_twice_on_one_page_and_the_limit_is_per_person_not_per_tab(fresh_app, monkeypatch):
    import streamlit as st

    import ui.panel

    made = _NeverRuns()
    monkeypatch.setattr(ui.panel, "_manager", st.cache_resource(lambda: made))

    seeds = iter(range(100))

    def tab(owner: str) -> AppTest:
        at = AppTest.from_file(FORECAST, default_timeout=60)
        at.session_state["owner_id"] = owner
        at.run()
        at.radio(key="fc_source").set_value("synthetic").run()
        # Each tab its own seed: identical settings would join the running job instead of queueing.
        at.number_input(key="fc_seed").set_value(next(seeds))  # sent with the form's Train
        return at

    first = tab(ME)
    first.get("form_submit_button")[0].click().run()
    first.get("form_submit_button")[0].click().run()
    assert any("already has a training queued or running" in e.value for e in first.error)
    assert len(made.jobs(session=ME)) == 1
    for _ in range(2):  # two more tabs of the same browser: the third job fills this person's share
        tab(ME).get("form_submit_button")[0].click().run()
    fourth = tab(ME)
    fourth.get("form_submit_button")[0].click().run()
    assert any("the limit is 3" in e.value for e in fourth.error), [e.value for e in fourth.error]
    other = tab(OTHER)
    other.get("form_submit_button")[0].click().run()
    assert not other.error and len(made.jobs(session=OTHER)) == 1
    assert {r["owner"] for r in RunStore().list()} == {ME, OTHER}
    made.inner.shutdown(timeout=5)


def test_a_new_browser_gets_an_id_that_the_page_asks_it_to_keep(fresh_app):
    at = AppTest.from_file(RUNS, default_timeout=60).run()
    owner = at.session_state["owner_id"]
    assert len(owner) == 32 and set(owner) <= set("0123456789abcdef")
    scripts = [h.proto.body for h in at.get("html")]
    assert any(f"rnn_studio_owner={owner};" in b for b in scripts), scripts
