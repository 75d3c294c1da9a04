"""The "Inside the RNN" page with AppTest: no TensorFlow at load, stepping, stored runs, three-job trainings."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from tests.pages.test_pages import in_fresh_process, run_until

ROOT = Path(__file__).resolve().parents[2]
PAGE = str(ROOT / "app_pages" / "5_Inside_the_RNN.py")


def submit(at: AppTest, label_start: str) -> AppTest:
    button = next(b for b in at.get("form_submit_button") if b.label.startswith(label_start))
    return button.click().run()


def specs(at: AppTest) -> list[dict]:
    return [json.loads(c.proto.spec) for c in at.get("plotly_chart")]


def titles(at: AppTest) -> list[str]:
    return [s["layout"]["title"]["text"] for s in specs(at)]


def test_page_loads_without_tensorflow_and_explains_every_control(fresh_app):
    at = AppTest.from_file(PAGE, default_timeout=60).run()
    assert not at.exception and not at.error
    assert [h.value for h in at.header][:4] == [
        "1. The hidden state, step by step",
        "2. The hidden state of a trained model",
        "3. Vanishing and exploding gradients",
        "4. SimpleRNN, LSTM and GRU side by side",
    ]
    widgets = [*at.slider, *at.select_slider, *at.selectbox, *at.text_input, *at.number_input, *at.button]
    widgets += at.get("form_submit_button")
    assert len(widgets) >= 12
    for widget in widgets:
        assert widget.help, f"{widget.label} has no help tooltip"
    exceptions, _, tf = in_fresh_process(PAGE, app_timeout=60, timeout=180)
    assert exceptions == 0 and tf is False


def test_step_through_a_keras_layer_with_next_and_back(fresh_app):
    at = AppTest.from_file(PAGE, default_timeout=120).run()
    at = submit(at, "Build the layer")
    assert not at.exception
    step = lambda: next(m.value for m in at.markdown if m.value.startswith("Step **"))  # noqa: E731
    assert step().startswith("Step **1 of 5**") and at.button(key="in__back").disabled
    at.button(key="in__next").click().run()
    at.button(key="in__next").click().run()
    assert step().startswith("Step **3 of 5**") and "'l'" in step()
    at.button(key="in__back").click().run()
    assert step().startswith("Step **2 of 5**")
    spec = specs(at)[0]
    assert spec["layout"]["title"]["text"].startswith("SimpleRNN, step 2: reading 'e'")
    assert [len(trace["z"][0]) for trace in spec["data"]] == [4] + [4] * 6  # 4 letters, then 4 units per row
    same = next(m.value for m in at.markdown if "largest difference" in m.value)
    assert float(re.search(r"Keras is \*\*([0-9.e+-]+)\*\*", same).group(1)) < 1e-5

    at.selectbox(key="in_step_cell").set_value("lstm")
    at = submit(at, "Build the layer")
    assert step().startswith("Step **1 of 5**")  # a new layer starts at the first step
    assert (
        len(specs(at)[0]["data"]) == 11
    )  # input, two states, four gate rows, products, new memory and state


def _stored_forecast_model() -> str:
    """A run in the store with a (not trained: the page only reads it) forecasting model."""
    from core.config import ArchitectureConfig, ForecastConfig, to_dict
    from core.models import build_regressor
    from core.runs import RunStore

    store = RunStore()
    cfg = ForecastConfig(
        data="synthetic", synthetic_length=300, lookback=12, arch=ArchitectureConfig(cell="lstm", units=6)
    )
    from core.forecasting import prepare

    run_id = store.create("forecast", to_dict(cfg))
    features = prepare(cfg).x.shape[2]  # the series and its calendar inputs
    model = build_regressor(cfg.arch, cfg.lookback, features, cfg.horizon, change=True)
    model.save(store.run_dir(run_id) / "model.keras")
    store.finish(run_id, "done")
    return run_id


def test_hidden_state_of_a_stored_run(fresh_app):
    run_id = _stored_forecast_model()
    at = AppTest.from_file(PAGE, default_timeout=120).run()
    assert at.selectbox(key="in_run").value == run_id
    at = submit(at, "Show the hidden state")
    assert not at.exception and not at.error
    heat = next(s for s in specs(at) if s["layout"]["title"]["text"].startswith("Hidden state of rnn_1"))
    assert heat["data"][0]["z"]["shape"] == "6, 12"  # units x time steps
    assert any(t.startswith("Forget gate") for t in titles(at))
    at.selectbox(key="in_feature").set_value("position in the window").run()
    assert not at.exception
    assert any("position in the window" in c.value for c in at.caption)
    # "Open in its page" on the Runs page selects a run here.
    newer = _stored_forecast_model()
    at.session_state["in__open"] = run_id
    at.run()
    assert (
        at.selectbox(key="in_run").options[0].startswith(newer) and at.selectbox(key="in_run").value == run_id
    )
    assert any(run_id in i.value for i in at.info)


@pytest.mark.slow
def test_cell_comparison_trains_three_jobs_and_gradients_show_before_and_after(fresh_app, monkeypatch):
    from core import inspect
    from core.config import MemoryConfig
    from core.runs import RunStore

    # A tiny long-memory task, so that the three jobs take seconds.
    monkeypatch.setattr(inspect, "_compare_presets", lambda: {"memory": MemoryConfig(length=10, samples=300)})
    at = AppTest.from_file(PAGE, default_timeout=120).run()
    at.slider(key="in_length").set_value(10)
    at = submit(at, "Measure the untrained")
    assert any(t.startswith("Untrained networks: gradient by distance (T = 10") for t in titles(at))
    bars = [p.proto.text for p in at.get("progress")]  # not a bare spinner any more
    assert any(t.startswith("Measured the 3 untrained networks in") for t in bars)
    assert at.selectbox(key="in_cmp_task").value == "memory"
    at.select_slider(key="in_cmp_units").set_value(8)
    at.slider(key="in_cmp_epochs").set_value(2)
    at = submit(at, "Train SimpleRNN, LSTM and GRU")
    at = run_until(at, lambda a: any("Parameters:" in c.value for c in a.caption), 300)
    runs = RunStore().list()
    assert sorted(r["config"]["arch"]["cell"] for r in runs) == ["gru", "lstm", "simple"]
    assert all(r["status"] == "done" and r["task"] == "memory" for r in runs)
    assert {r["config"]["arch"]["units"] for r in runs} == {8} and {
        r["config"]["train"]["seed"] for r in runs
    } == {0}
    table = at.dataframe[-1].value
    assert (
        table.loc["LSTM", "parameters"]
        > table.loc["GRU", "parameters"]
        > table.loc["SimpleRNN", "parameters"]
        > 0
    )
    assert (table["seconds per epoch"] > 0).all() and (table["epochs"] == 2).all()
    assert table["on held-out data"].str.contains(r"accuracy [01]\.\d\d \(chance 0\.\d\d\)").all()
    curves = next(
        s for s in specs(at) if s["layout"]["title"]["text"].startswith("Validation loss per epoch")
    )
    assert [t["name"] for t in curves["data"]] == ["SimpleRNN", "LSTM", "GRU"]

    # Section 3 draws the same kind of jobs (its button submits them with the sliders' settings):
    # before-and-after gradients and the accuracy table.
    by_cell = {r["config"]["arch"]["cell"]: r["id"] for r in runs}
    at.session_state["in__mem_jobs"] = {cell: by_cell[cell] for cell in ("simple", "lstm", "gru")}
    at.run()
    assert any(t.startswith("Before (dotted) and after (solid) a short training, T = 10") for t in titles(at))
    mem = at.dataframe[0].value
    assert list(mem.index) == ["SimpleRNN", "LSTM", "GRU"] and mem["accuracy trained"].between(0, 1).all()


def test_a_comparison_without_three_free_slots_submits_nothing(fresh_app):
    from ui.panel import manager

    at = AppTest.from_file(PAGE, default_timeout=60).run()
    manager().max_per_session = 2  # as if this visitor already had one training going
    at.selectbox(key="in_cmp_task").set_value("forecast")
    at = submit(at, "Train SimpleRNN, LSTM and GRU")
    assert any("needs 3 training slots" in e.value for e in at.error)
    assert manager().jobs() == []
