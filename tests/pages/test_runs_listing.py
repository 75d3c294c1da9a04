"""Runs page: plain column names, uploads by their own name, compare only like with like."""

from __future__ import annotations

from pathlib import Path

from streamlit.testing.v1 import AppTest

from core import upload_names
from core.datasets import save_upload
from core.runs import RunStore
from core.runs_view import plain_number, result

RUNS = str(Path(__file__).resolve().parents[2] / "app_pages" / "6_Runs.py")


def _run(store: RunStore, data: str, loss: float, label: str = "") -> str:
    cfg = {"data": data, "arch": {"cell": "lstm", "units": 8, "layers": 1}, "train": {"seed": 0}}
    rid = store.create("forecast", cfg, data_name=label or data)
    store.start(rid, executor="local")
    for epoch in (1, 2):
        store.add_epoch(rid, epoch, {"epoch": epoch, "loss": loss * 2, "val_loss": loss / epoch})
    test = {"rnn": {"mae": 0.0000123, "rmse": 2.0, "mase": 0.9}}
    final = {"task": "forecast", "column": "temperature", "val_loss": loss / 2, "test": test}
    store.finish(rid, "done", final=final)
    return rid


def test_plain_numbers_never_use_scientific_notation():
    assert [plain_number(x) for x in (0.0000123, 0.01234, 1.5, 12345.6)] == [
        "0.0000123",
        "0.0123",
        "1.50",
        "12,346",
    ]
    row = {"task": "text", "final": {"bits_per_char": 1.98765}}
    assert result(row) == "1.99 bits per character"


def test_table_speaks_plainly_and_compare_keeps_to_one_data_set(fresh_app):
    store = RunStore()
    path = save_upload(b"date,temperature\n2020-01-01,1\n", "csv")
    upload_names.remember(path, "my weather.csv")
    a, b = _run(store, "synthetic", 0.02), _run(store, "synthetic", 0.03)
    c = _run(store, str(path), 0.5, label=upload_names.label(str(path)))
    at = AppTest.from_file(RUNS, default_timeout=60).run()
    assert not at.exception
    table = at.dataframe[0].value
    assert list(table.columns)[:6] == ["Run", "Task", "Data", "Network", "Status", "Result on held-out data"]
    assert "Training time (s)" in table.columns and "val_loss" not in table.columns
    assert table.set_index("Run").loc[c, "Data"] == "my weather.csv (uploaded)"
    assert not any(path.name in str(v) for v in table["Data"])  # no sha256 file name
    assert not table.astype(str).apply(lambda col: col.str.contains(r"\de-\d")).any().any()
    at.multiselect(key="ru__picked").set_value([a, b, c]).run()
    charts = [ch.proto.spec for ch in at.get("plotly_chart")]
    assert len(charts) == 2 and any("Forecasting on synthetic" in s for s in charts)
    assert any("my weather.csv" in s for s in charts)
    assert any("separate charts" in i.value for i in at.info)


def test_a_run_trained_on_ray_says_which_cluster():
    from core.runs_view import table_row

    where = {"executor": "ray 10.0.0.5:6379", "node": "worker-2"}
    row = {"id": "r", "task": "text", "config": {}, "status": "done", "created": 0, "final": {}, **where}
    assert table_row(row)["Trained on"] == "Ray cluster 10.0.0.5:6379 (worker-2)"
