"""The "Inside the RNN" page with AppTest: no TensorFlow at load, stepping, stored runs, three-job trainings."""

from __future__ import annotations

import functools
import json
import re
import subprocess
import sys
from pathlib import Path

from streamlit.testing.v1 import AppTest

from tests.test_pages import run_until

ROOT = Path(__file__).resolve().parents[1]
PAGE = str(ROOT / "pages" / "5_Inside_the_RNN.py")


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
    code = (
        "import sys; from streamlit.testing.v1 import AppTest;"
        f"at = AppTest.from_file({PAGE!r}, default_timeout=60).run(); assert not at.exception;"
        "print('tensorflow' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=180, cwd=ROOT)
    assert out.stdout.strip().splitlines()[-1] == "False", out.stderr[-2000:]


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


def _tiny_forecast_run() -> str:
    import threading

    from core.config import ArchitectureConfig, ForecastConfig, TrainingConfig, to_dict
    from core.jobs import execute
    from core.runs import RunStore

    store = RunStore()
    cfg = ForecastConfig(data="synthetic", synthetic_length=300, lookback=12,
                         arch=ArchitectureConfig(cell="lstm", units=6), train=TrainingConfig(epochs=1))  # fmt: skip
    run_id = store.create("forecast", to_dict(cfg))
    execute("forecast", cfg, store, run_id, lambda k, p: None, threading.Event())
    return run_id


def test_hidden_state_of_a_stored_run(fresh_app):
    run_id = _tiny_forecast_run()
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


def test_gradients_and_cell_comparison_train_as_three_jobs_each(fresh_app, monkeypatch):
    from core import inspect, memory
    from core.config import ForecastConfig
    from core.runs import RunStore

    # Tiny versions of the page's settings, so that six jobs take seconds.
    monkeypatch.setattr(
        inspect,
        "_compare_presets",
        lambda: {"forecast": ForecastConfig(data="synthetic", synthetic_length=300, lookback=10)},
    )
    monkeypatch.setattr(memory, "config_for", functools.partial(memory.config_for, units=8, samples=300))
    at = AppTest.from_file(PAGE, default_timeout=120).run()
    at.slider(key="in_length").set_value(10)
    at.slider(key="in_mem_epochs").set_value(1)
    at = submit(at, "Measure the untrained")
    assert any(t.startswith("Untrained networks: gradient by distance (T = 10") for t in titles(at))
    at = submit(at, "Train all three briefly")
    at.selectbox(key="in_cmp_task").set_value("forecast")
    at.select_slider(key="in_cmp_units").set_value(8)
    at.slider(key="in_cmp_epochs").set_value(2)
    at = submit(at, "Train SimpleRNN, LSTM and GRU")
    at = run_until(
        at, lambda a: any("Parameters:" in c.value for c in a.caption) and len(a.dataframe) >= 2, 400
    )
    store = RunStore()
    runs = store.list()
    assert sorted(r["task"] for r in runs) == ["forecast"] * 3 + ["memory"] * 3
    assert all(r["status"] == "done" for r in runs)
    assert sorted(r["config"]["arch"]["cell"] for r in runs if r["task"] == "forecast") == [
        "gru",
        "lstm",
        "simple",
    ]
    cmp = at.dataframe[-1].value
    assert (
        cmp.loc["LSTM", "parameters"] > cmp.loc["GRU", "parameters"] > cmp.loc["SimpleRNN", "parameters"] > 0
    )
    assert (cmp["seconds per epoch"] > 0).all() and (cmp["epochs"] == 2).all()
    curves = next(
        s for s in specs(at) if s["layout"]["title"]["text"].startswith("Validation loss per epoch")
    )
    assert [t["name"] for t in curves["data"]] == ["SimpleRNN", "LSTM", "GRU"]
    mem = at.dataframe[0].value
    assert (
        list(mem.index) == ["SimpleRNN", "LSTM", "GRU"] and mem["accuracy after training"].between(0, 1).all()
    )
    assert any(t.startswith("Before (dotted) and after (solid)") for t in titles(at))
