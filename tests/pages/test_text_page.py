"""Shakespeare page with AppTest: the quick preset on a small text, live samples, two temperatures."""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from tests.core.test_text import needs_shakespeare, small_text
from tests.pages.test_pages import run_until

ROOT = Path(__file__).resolve().parents[2]
PAGE = str(ROOT / "app_pages" / "2_Shakespeare.py")


def button(at: AppTest, label: str):
    return next(b for b in [*at.get("form_submit_button"), *at.button] if b.label == label)


@needs_shakespeare
def test_defaults_render_with_shakespeare_and_no_bidirectional(fresh_app):
    at = AppTest.from_file(PAGE, default_timeout=60).run()
    assert not at.exception and not at.error
    assert any("1,115,394 characters" in m.value and "65 different" in m.value for m in at.markdown)
    bi = at.toggle(key="tx_quick_bi")
    assert bi.disabled and not bi.value and "one character at a time" in bi.help
    for widget in [*at.slider, *at.selectbox, *at.radio, *at.toggle, *at.number_input, *at.select_slider]:
        assert widget.help, f"{widget.label} has no help tooltip"
    # The quick preset's 50 epochs end on its time budget: the budget shows beside the epochs.
    assert any(c.value.startswith("Time budget 35 s: training stops after 50 epochs") for c in at.caption)


def test_short_or_empty_text_gets_a_clear_message(fresh_app):
    at = AppTest.from_file(PAGE, default_timeout=60).run()
    at.radio(key="tx_source").set_value("paste").run()
    assert at.info and "Paste some text" in at.info[0].value
    at.text_area(key="tx_paste").set_value("To be, or not").run()
    assert not at.exception
    assert at.error and "only 13 characters" in at.error[0].value


def test_bad_uploads_get_clear_messages(fresh_app):
    at = AppTest.from_file(PAGE, default_timeout=60).run()
    at.radio(key="tx_source").set_value("upload").run()
    cases = [
        (b"", "empty"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" * 50, "binary data"),
        (b"0123456789", "only 10 characters"),
    ]
    for payload, message in cases:
        at.file_uploader(key="tx_upload").set_value(("t.txt", payload, "text/plain")).run()
        assert not at.exception
        assert at.error and message in at.error[0].value


def test_latin1_upload_is_read_and_says_so(fresh_app):
    at = AppTest.from_file(PAGE, default_timeout=60).run()
    at.radio(key="tx_source").set_value("upload").run()
    text = small_text().replace("e", "\xe9")  # é, which Latin-1 writes as one byte that is not UTF-8
    at.file_uploader(key="tx_upload").set_value(("t.txt", text.encode("latin-1"), "text/plain")).run()
    assert not at.exception and not at.error
    assert any("Read as Latin-1" in c.value for c in at.caption)
    assert any("12,000 characters" in m.value for m in at.markdown)


@pytest.mark.slow
def test_quick_preset_trains_shows_samples_live_and_generates(fresh_app):
    at = AppTest.from_file(PAGE, default_timeout=60).run()
    at.radio(key="tx_source").set_value("paste").run()
    at.text_area(key="tx_paste").set_value(small_text()).run()
    assert any("12,000 characters" in m.value for m in at.markdown)
    assert at.radio(key="tx_preset").value == "quick"
    button(at, "Train").click()

    # A sample appears while the job still runs (the Stop button is there), then we stop it.
    def sample_while_running(a: AppTest) -> bool:
        live = any("Live samples" in m.value for m in a.markdown) and len(a.code) > 0
        return live and any(b.label == "Stop training" for b in a.button)

    at = run_until(at, sample_while_running)
    assert any("Baseline to beat" in m.value for m in at.markdown)
    at.button(key="tx__stop").click()
    at = run_until(at, lambda a: any("Results on the held-out text" in s.value for s in a.subheader))
    assert any("nats per character" in m.value and "baseline" in m.value for m in at.markdown)
    titles = [c.proto.spec for c in at.get("plotly_chart")]
    assert any("Held-out loss" in t for t in titles)

    texts = []
    for temperature in (0.3, 1.5):
        at.slider(key="tx_temp").set_value(temperature)
        at.text_area(key="tx_prompt").set_value("ROMEO ☃:")
        at.number_input(key="tx_len").set_value(300)
        button(at, "Generate").click()
        at.run()
        assert not at.exception and not at.error
        gen = at.session_state["tx__gen"]
        assert len(gen["text"]) == 300 and gen["temperature"] == temperature
        assert any("'☃'" in w.value and "left out" in w.value for w in at.warning)
        assert any(f"temperature {temperature:.1f}" in m.value for m in at.markdown)
        titles = [c.proto.spec for c in at.get("plotly_chart")]
        assert any("five likeliest characters" in t for t in titles)
        texts.append(gen)
    cold, hot = texts
    assert cold["text"] != hot["text"]
    assert sum(cold["probs"]) > sum(hot["probs"])  # low temperature picks likelier characters

    at.number_input(key="tx_len").set_value(0)
    button(at, "Generate").click()
    at.run()
    assert at.error and "between 1 and 5,000" in at.error[0].value
