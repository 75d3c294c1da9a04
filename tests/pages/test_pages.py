"""Page tests with Streamlit's AppTest: defaults render, a tiny training completes, bad input errors."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from core.config import ForecastConfig

ROOT = Path(__file__).resolve().parents[2]
FORECAST = str(ROOT / "app_pages" / "1_Forecasting.py")


def run_until(at: AppTest, done, timeout: float = 180) -> AppTest:
    """`run_every` never ticks in AppTest: rerun until `done(at)` holds."""
    deadline = time.time() + timeout
    while time.time() < deadline:
        at.run()
        assert not at.exception, at.exception
        if done(at):
            return at
        time.sleep(0.3)
    raise AssertionError("the page never reached the expected state")


def in_fresh_process(script: str | Path, app_timeout: float, timeout: float) -> tuple[int, int, bool]:
    """Run a page once in a new Python: (exceptions, errors shown, whether TensorFlow got imported)."""
    code = (
        "import sys; from streamlit.testing.v1 import AppTest;"
        f"at = AppTest.from_file({str(script)!r}, default_timeout={app_timeout}).run();"
        "print(len(at.exception), len(at.error), 'tensorflow' in sys.modules)"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=timeout, cwd=ROOT
    )
    assert out.returncode == 0, out.stderr[-2000:]
    exceptions, errors, tf = out.stdout.strip().splitlines()[-1].split()
    return int(exceptions), int(errors), tf == "True"


def test_landing_page_renders_without_tensorflow():
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=30).run()
    assert not at.exception
    assert "hidden state" in at.markdown[0].value
    assert in_fresh_process(ROOT / "app.py", app_timeout=60, timeout=120)[2] is False


def test_forecasting_defaults_render(fresh_app):
    at = AppTest.from_file(FORECAST, default_timeout=60).run()
    assert not at.exception and not at.error
    assert any("Training tensor shape" in m.value for m in at.markdown)
    assert at.radio(key="fc_source").value == "employment"  # the config's default data set
    # Every control a user touches explains itself.
    for widget in [*at.slider, *at.selectbox, *at.radio, *at.toggle, *at.number_input]:
        assert widget.help, f"{widget.label} has no help tooltip"


@pytest.mark.slow
def test_forecasting_tiny_training_completes(fresh_app):
    at = AppTest.from_file(FORECAST, default_timeout=60).run()
    at.radio(key="fc_source").set_value("synthetic").run()
    at.slider(key="fc_len").set_value(400)
    at.slider(key="fc_lookback").set_value(10)
    at.slider(key="fc_epochs").set_value(2)
    at.select_slider(key="fc_units").set_value(8)
    at.run()
    at.get("form_submit_button")[0].click()
    at = run_until(at, lambda a: any("Results" in s.value for s in a.subheader))
    assert any("(test MAE " in m.value for m in at.markdown)
    table = at.dataframe[0].value
    assert list(table.index) == ["RNN", "Persistence", "Seasonal naive", "Linear (Ridge)"]
    mae = table["Mean absolute error (deg C)"]  # plain words with the unit, numbers without 1e+03
    assert (mae.str.replace(",", "").astype(float) > 0).all() and not mae.str.contains("e").any()
    assert "mae" not in table.columns
    charts = at.get("plotly_chart")
    titles = [c.proto.spec for c in charts]
    assert any("Test split" in t for t in titles) and any("Forecast past the last date" in t for t in titles)


def test_forecasting_bad_csv_shows_an_error(fresh_app):
    at = AppTest.from_file(FORECAST, default_timeout=60).run()
    at.radio(key="fc_source").set_value("csv").run()
    at.file_uploader(key="fc_upload").set_value(("bad.csv", b"name,colour\nx,red\ny,blue\n", "text/csv"))
    at.run()
    assert not at.exception
    assert at.error and "no numeric column" in at.error[0].value


def test_forecasting_csv_with_too_few_rows(fresh_app):
    at = AppTest.from_file(FORECAST, default_timeout=60).run()
    at.radio(key="fc_source").set_value("csv").run()
    csv = "date,value\n" + "".join(f"2020-01-{d:02d},{d}\n" for d in range(1, 21))
    at.file_uploader(key="fc_upload").set_value(("short.csv", csv.encode(), "text/csv"))
    at.run()
    assert not at.exception
    assert at.error and "too few" in at.error[0].value


@pytest.mark.parametrize("payload", [b"", b"\x00\x01\x02binary\x00"])
def test_forecasting_empty_or_binary_upload(fresh_app, payload):
    at = AppTest.from_file(FORECAST, default_timeout=60).run()
    at.radio(key="fc_source").set_value("csv").run()
    at.file_uploader(key="fc_upload").set_value(("x.csv", payload, "text/csv"))
    at.run()
    assert not at.exception
    assert at.error


def test_a_link_with_settings_opens_the_page_with_them(fresh_app):
    at = AppTest.from_file(FORECAST, default_timeout=60)
    at.query_params.update({"fc_source": "synthetic", "fc_epochs": "7", "fc_cell": "gru", "fc_bi": "true"})
    at.run()
    assert not at.exception
    assert at.radio(key="fc_source").value == "synthetic"
    assert at.slider(key="fc_epochs").value == 7
    assert at.selectbox(key="fc_cell").value == "gru" and at.toggle(key="fc_bi").value is True
    # Changing a control updates the link a teacher would copy.
    at.slider(key="fc_lookback").set_value(12).run()
    assert at.query_params["fc_lookback"] == "12" and at.query_params["fc_epochs"] == "7"


def test_a_link_with_impossible_settings_falls_back_to_defaults(fresh_app):
    at = AppTest.from_file(FORECAST, default_timeout=60)
    at.query_params.update({"fc_epochs": "99999", "fc_lookback": "many"})
    at.run()
    assert not at.exception
    assert at.slider(key="fc_epochs").value == ForecastConfig().train.epochs  # the default again
    assert at.warning and "cannot use" in at.warning[0].value


RUNS = str(ROOT / "app_pages" / "6_Runs.py")
OWNER = "c" * 32  # the browser id the tests' sessions have (a cookie would give it)


def _two_tiny_runs() -> list[str]:
    import threading

    from core.config import ArchitectureConfig, ForecastConfig, TrainingConfig
    from core.execute import execute
    from core.runs import RunStore

    store = RunStore()
    ids = []
    for cell in ("lstm", "gru"):
        cfg = ForecastConfig(
            data="synthetic",
            synthetic_length=300,
            lookback=5,
            arch=ArchitectureConfig(cell=cell, units=4),
            train=TrainingConfig(epochs=2),
        )
        run_id = store.create(
            "forecast", __import__("core.config").config.to_dict(cfg), data_name="synthetic", owner=OWNER
        )
        execute("forecast", cfg, store, run_id, lambda k, p: None, threading.Event())
        ids.append(run_id)
    return ids


@pytest.mark.slow
def test_runs_page_compares_downloads_and_deletes(fresh_app):
    lstm, gru = _two_tiny_runs()
    at = AppTest.from_file(RUNS, default_timeout=60)
    at.session_state["owner_id"] = OWNER
    at.run()
    assert not at.exception
    assert set(at.dataframe[0].value["Run"]) == {lstm, gru}
    at.multiselect(key="ru__picked").set_value([lstm, gru]).run()
    assert "2 runs compared" in at.caption[1].value or any("2 runs compared" in c.value for c in at.caption)
    configs = at.dataframe[1].value
    assert configs.loc["arch.cell"].tolist() == ["lstm", "gru"]
    assert any("differ" in m.value for m in at.markdown)

    at.multiselect(key="ru__picked").set_value([lstm]).run()
    assert any("python -m core forecast" in c.value for c in at.code)
    labels = [b.label for b in at.get("download_button")]
    assert "Download model and companions (zip)" in labels and "Download metrics per epoch (CSV)" in labels
    assert at.button(key="ru__delete").disabled
    at.checkbox(key="ru__sure").check().run()
    at.button(key="ru__delete").click().run()
    assert not at.exception
    assert set(at.dataframe[0].value["Run"]) == {gru}


@pytest.mark.slow
def test_runs_page_opens_a_run_in_its_page(fresh_app):
    lstm, _ = _two_tiny_runs()
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60).run()
    at.switch_page("app_pages/6_Runs.py").run()
    at.multiselect(key="ru__picked").set_value([lstm]).run()
    at.button(key="ru__open").click().run()
    assert not at.exception
    # The Forecasting page now shows the stored run's results, no training needed.
    assert any(f"Showing saved run {lstm}" in i.value for i in at.info)
    mae = at.dataframe[0].value.loc["RNN", "Mean absolute error (deg C)"]  # shown as text, e.g. "2.83"
    assert float(mae.replace(",", "")) > 0


def test_inside_page_renders_without_loading_tensorflow():
    assert in_fresh_process(ROOT / "app_pages" / "5_Inside_the_RNN.py", app_timeout=120, timeout=300) == (
        0,
        0,
        False,
    )


def test_leaving_a_page_and_coming_back_keeps_its_settings(fresh_app):
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60).run()
    at.switch_page("app_pages/1_Forecasting.py").run()
    at.slider(key="fc_lookback").set_value(12)
    at.radio(key="fc_source").set_value("synthetic").run()
    at.slider(key="fc_noise").set_value(3.5).run()
    at.switch_page("app_pages/6_Runs.py").run()  # another page
    assert "fc_lookback" not in at.session_state  # Streamlit dropped the page's widget values
    at.switch_page("app_pages/1_Forecasting.py").run()
    assert not at.exception
    assert at.slider(key="fc_lookback").value == 12 and at.slider(key="fc_noise").value == 3.5
    at.radio(key="fc_source").set_value("seattle").run()
    at.radio(key="fc_source").set_value("synthetic").run()
    assert at.slider(key="fc_noise").value == 3.5  # a control hidden for a while keeps its value too
