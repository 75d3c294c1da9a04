"""The class board: runs from three browsers, ranked by each task's held-out number the right way."""

from __future__ import annotations

import sqlite3
import time

from core import board
from core.runs import RunStore


def _forecast(store: RunStore, owner: str, mae: float, seed: int, status: str = "done") -> str:
    rid = store.create(
        "forecast", {"data": "seattle", "lookback": 14 + seed, "train": {"seed": seed}}, "seattle", owner
    )
    store.start(rid)
    if status != "running":
        store.finish(rid, status, final={"test": {"rnn": {"mae": mae}, "persistence": {"mae": 2.0}}})
    return rid


def _memory(store: RunStore, owner: str, accuracy: float) -> str:
    rid = store.create("memory", {"length": 50, "train": {"seed": 0}}, "", owner)
    store.start(rid)
    store.finish(rid, "done", final={"test": {"accuracy": accuracy, "chance": 0.5}})
    return rid


def test_runs_of_three_sessions_ranked_per_task(tmp_path):
    store = RunStore(tmp_path)
    a, b, c = "a" * 32, "b" * 32, "c" * 32
    fa, fb, fc = _forecast(store, a, 1.5, 1), _forecast(store, b, 0.9, 2), _forecast(store, c, 1.2, 3)
    live = _forecast(store, c, 0.0, 4, status="running")
    store.add_epoch(live, 1, {"loss": 0.3, "val_loss": 0.25})
    failed = _forecast(store, a, 0.1, 5, status="failed")
    ma, mb, mc = _memory(store, a, 0.55), _memory(store, b, 0.97), _memory(store, c, 0.80)
    assert board.set_display_name(store, a, "  Ada\n<b>Lovelace</b>  **bold** and a very long tail") == (
        "Ada <b>Lovelace</b> **bo"
    )
    board.set_display_name(store, b, "Bob")
    board.set_display_name(store, c, "Cy")
    assert board.display_name_of(store, b) == "Bob"

    groups = {g.task: g for g in board.board(store, board.since("hour"))}
    forecast, memory = groups["forecast"], groups["memory"]
    # lower MAE is better: Bob 0.9, Cy 1.2, Ada 1.5; the live run comes after, with its loss
    assert [e.run_id for e in forecast.ranked] == [fb, fc, fa]
    assert [e.rank for e in forecast.ranked] == [1, 2, 3]
    assert [e.name for e in forecast.ranked] == ["Bob", "Cy", "Ada <b>Lovelace</b> **bo"]
    assert [(e.run_id, e.live_loss) for e in forecast.live] == [(live, 0.25)]
    assert failed not in {e.run_id for e in forecast.entries}
    # higher accuracy is better: Bob 0.97, Cy 0.80, Ada 0.55
    assert [e.run_id for e in memory.ranked] == [mb, mc, ma]
    assert "seed 2" in forecast.ranked[0].settings and "lookback 16" in forecast.ranked[0].settings

    board.hide(store, fb)
    forecast = {g.task: g for g in board.board(store, board.since("hour"))}["forecast"]
    assert [e.run_id for e in forecast.ranked] == [fc, fa]
    assert fb in {e.run_id for e in board.board(store, 0, task="forecast", show_hidden=True)[0].entries}
    assert board.board(store, time.time() + 10) == []
    assert [g.task for g in board.board(store, 0, task="memory")] == ["memory"]


def test_an_old_store_gains_the_class_fields(tmp_path):
    """A store made before class mode (schema 4) opens, keeps its runs and gets the new columns."""
    from core.rundb import MIGRATIONS, _migrate

    con = sqlite3.connect(tmp_path / "runs.db", isolation_level=None)
    con.execute("CREATE TABLE schema_version (version INTEGER NOT NULL)")
    for number, statements in enumerate(MIGRATIONS[:4], start=1):
        for sql in statements:
            con.execute(sql.format(real="REAL", blob="BLOB"))
        con.execute("INSERT INTO schema_version (version) VALUES (?)", (number,))
    con.execute(
        "INSERT INTO runs (id, task, status, config, created, final) VALUES"
        " ('old', 'memory', 'done', '{}', ?, '{\"test\": {\"accuracy\": 0.9}}')",
        (time.time(),),
    )
    con.close()
    assert callable(_migrate)
    store = RunStore(tmp_path)
    row = store.get("old")
    assert row["display_name"] == "" and row["hidden"] == 0 and row["lesson"] == ""
    assert [e.run_id for e in board.board(store, 0)[0].ranked] == ["old"]
