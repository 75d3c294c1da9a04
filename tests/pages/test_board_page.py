"""The class board page: runs from three browsers, ranked, names as plain text, the projector view."""

from __future__ import annotations

from pathlib import Path

from streamlit.testing.v1 import AppTest

from core import board
from core.runs import RunStore

ROOT = Path(__file__).resolve().parents[2]
BOARD = str(ROOT / "app_pages" / "7_Class_board.py")


def _run(store: RunStore, owner: str, mae: float) -> str:
    rid = store.create("forecast", {"data": "seattle", "train": {"seed": 0}}, "seattle", owner)
    store.start(rid)
    store.finish(rid, "done", final={"test": {"rnn": {"mae": mae}}})
    return rid


def test_board_ranks_three_sessions_and_shows_names_as_text(data_dir, fresh_app):
    store = RunStore(data_dir)
    ids = {who: _run(store, who * 32, mae) for who, mae in (("a", 2.0), ("b", 0.5), ("c", 1.0))}
    board.set_display_name(store, "a" * 32, "<img src=x onerror=f()>")
    board.set_display_name(store, "b" * 32, "**Bea**")
    board.set_display_name(store, "c" * 32, "Cem")
    at = AppTest.from_file(BOARD, default_timeout=60).run()
    assert not at.exception and not at.error
    table = at.dataframe[0].value
    assert list(table["Rank"]) == [1, 2, 3]
    assert list(table["Name"]) == ["**Bea**", "Cem", "<img src=x onerror=f()>"]
    assert list(table["Open"]) == [f"/Forecasting?run={ids[w]}" for w in "bca"]
    for widget in [*at.radio, *at.selectbox, *at.toggle, *at.text_input]:
        assert widget.help, widget.label

    at.toggle(key="board_projector").set_value(True).run()
    shown = next(h.proto.body for h in at.get("html") if "font-size" in h.proto.body)
    assert "&lt;img src=x onerror=f()&gt;" in shown and "<img" not in shown
    assert shown.index("**Bea**") < shown.index("Cem") < shown.index("&lt;img")


def test_a_name_typed_once_goes_on_the_runs(data_dir, fresh_app):
    store = RunStore(data_dir)
    at = AppTest.from_file(BOARD, default_timeout=60).run()
    owner = at.session_state["owner_id"]
    rid = _run(store, owner, 1.0)
    at.text_input(key="class__name_box").input("  Dana\t ").run()
    assert store.get(rid)["display_name"] == "Dana"
    assert at.session_state["class__name"] == "Dana"


def test_the_board_loads_no_tensorflow():
    from tests.pages.test_pages import in_fresh_process

    exceptions, errors, tensorflow = in_fresh_process(BOARD, app_timeout=60, timeout=120)
    assert (exceptions, errors, tensorflow) == (0, 0, False)
