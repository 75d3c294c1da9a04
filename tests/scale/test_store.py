"""The run store on both databases: SQLite (the default) and PostgreSQL (RNN_STUDIO_DB).

Every test here takes the `store_db` fixture, so it runs once per database.
"""

from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path

import pytest

from core.rundb import VERSION
from core.runs import RunStore
from tests.helpers.scale import require_scale

ROOT = Path(__file__).resolve().parents[2]


def test_a_run_goes_through_its_life_and_is_read_back(store_db):
    store = RunStore()
    assert store.kind == store_db
    run_id = store.create("forecast", {"data": "synthetic", "train": {"seed": 3}}, data_name="synthetic")
    assert store.get(run_id)["status"] == "queued"
    store.start(run_id, versions={"keras": "3"}, executor="ray://head:10001", node="10.0.0.7/ab12cd34")
    store.set_fingerprint(run_id, "f" * 64)
    store.add_epoch(run_id, 1, {"loss": 1.0})
    store.add_epoch(run_id, 2, {"loss": 0.5})
    store.add_epoch(run_id, 2, {"loss": 0.25})  # an epoch reported again replaces the first report
    (store.run_dir(run_id) / "model.keras").write_bytes(b"\x00model bytes\xff")
    store.finish(run_id, "done", final={"val_loss": 0.25})
    row = store.get(run_id)
    assert (
        row["status"] == "done" and row["final"] == {"val_loss": 0.25} and row["versions"] == {"keras": "3"}
    )
    assert row["executor"] == "ray://head:10001" and row["node"] == "10.0.0.7/ab12cd34"
    assert row["fingerprint"] == "f" * 64 and row["config"]["train"]["seed"] == 3
    assert row["started"] >= row["created"] and row["finished"] >= row["started"]
    assert store.epochs(run_id) == [{"epoch": 1, "loss": 1.0}, {"epoch": 2, "loss": 0.25}]
    other = store.create("text", {})
    store.finish(other, "failed", error="bad input")
    assert store.count() == 2
    assert [r["id"] for r in store.list(task="forecast")] == [run_id]
    assert [r["id"] for r in store.list(status="failed")] == [other] and store.get(other)[
        "error"
    ] == "bad input"
    store.delete(run_id)
    assert store.get(run_id) is None and store.epochs(run_id) == [] and store.count() == 1
    assert not (store.files / run_id).exists()


def test_model_files_reach_a_second_app_server(store_db, tmp_path):
    """On PostgreSQL a server with an empty data directory reads the files from the database;
    on SQLite (one server) they stay in the data directory's runs/ folder."""
    store = RunStore()
    run_id = store.create("forecast", {})
    store.start(run_id)
    store.put_files(run_id, {"model.keras": b"weights", "result.json": b'{"display": {"a": 1}}'})
    store.finish(run_id, "done")
    second = RunStore(tmp_path / "other-server")
    if store_db == "postgresql":
        assert second.result(run_id) == {"display": {"a": 1}}
        assert (second.run_dir(run_id) / "model.keras").read_bytes() == b"weights"
        shutil.rmtree(store.files / run_id)  # a lost local copy comes back from the database
        assert (store.run_dir(run_id) / "model.keras").read_bytes() == b"weights"
    else:
        assert second.get(run_id) is None and second.result(run_id) is None
    assert store.result(run_id) == {"display": {"a": 1}}
    with pytest.raises(ValueError, match="unsafe"):
        store.put_files(run_id, {"../evil.py": b""})


def test_schema_is_versioned_and_migrated_once(store_db):
    first = RunStore()
    RunStore()  # a second server starting later applies nothing again
    with first._connect() as con:
        versions = [r["version"] for r in con.execute("SELECT version FROM schema_version ORDER BY version")]
    assert versions == list(range(1, VERSION + 1))


def test_runs_of_a_dead_process_are_marked_interrupted(store_db):
    store = RunStore()
    run_id = store.create("forecast", {})
    store.start(run_id)
    with store._connect() as con:
        con.execute("UPDATE runs SET pid=? WHERE id=?", (2**22 + 12345, run_id))  # no such process
    RunStore()  # the next server start notices
    row = store.get(run_id)
    assert row["status"] == "interrupted" and "stopped before it finished" in row["error"]


def test_a_store_from_before_versioning_is_upgraded_in_place(data_dir):
    con = sqlite3.connect(data_dir / "runs.db")
    con.executescript(
        """CREATE TABLE runs (id TEXT PRIMARY KEY, task TEXT NOT NULL, status TEXT NOT NULL,
        config TEXT NOT NULL, data_name TEXT NOT NULL DEFAULT '', fingerprint TEXT NOT NULL DEFAULT '',
        versions TEXT NOT NULL DEFAULT '{}', final TEXT NOT NULL DEFAULT '{}', error TEXT NOT NULL DEFAULT '',
        created REAL NOT NULL, started REAL, finished REAL, host TEXT NOT NULL DEFAULT '',
        pid INTEGER NOT NULL DEFAULT 0);
        CREATE TABLE epochs (run_id TEXT NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
        epoch INTEGER NOT NULL, metrics TEXT NOT NULL, PRIMARY KEY (run_id, epoch));
        INSERT INTO runs (id, task, status, config, created) VALUES ('old-run', 'forecast', 'done', '{}', 1.0);"""
    )
    con.close()
    store = RunStore()
    assert not store.warning and store.db_path == data_dir / "runs.db"
    old = store.get("old-run")
    assert old["status"] == "done" and old["executor"] == "" and old["node"] == ""
    new = store.create("forecast", {})
    store.start(new)
    assert store.get(new)["executor"] == "local"


def test_pages_say_when_the_database_is_unreachable(monkeypatch, fresh_app):
    """A shared database that is down: one clear sentence on every page, no traceback."""
    from streamlit.testing.v1 import AppTest

    try:
        import psycopg  # noqa: F401
    except ImportError:
        require_scale("psycopg is not installed (pip install -r requirements-scale.txt)")
    monkeypatch.setenv("RNN_STUDIO_DB", "postgresql://nobody:wrong@127.0.0.1:1/none")
    for script in ("app.py", "app_pages/6_Runs.py", "app_pages/1_Forecasting.py"):
        at = AppTest.from_file(str(ROOT / script), default_timeout=60).run()
        assert not at.exception, script
        assert any("cannot start its run store" in e.value for e in at.error), script
