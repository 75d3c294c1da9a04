"""A newcomer without internet or data: the page says what is missing and where it goes, Train waits."""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def offline_empty(tmp_path, monkeypatch) -> Path:
    path = tmp_path / "empty"
    monkeypatch.setenv("RNN_STUDIO_DATA", str(path))
    # A proxy on a closed local port makes every download fail at once, online or not.
    monkeypatch.setenv("https_proxy", "http://127.0.0.1:9")
    monkeypatch.setenv("HTTPS_PROXY", "http://127.0.0.1:9")
    return path


@pytest.mark.parametrize(
    ("page", "file"),
    [("2_Shakespeare.py", "shakespeare.txt"), ("4_Sentiment.py", "rt-polaritydata/rt-polarity.pos")],
)
def test_missing_data_says_where_to_put_it_and_train_waits(offline_empty, fresh_app, page, file):
    at = AppTest.from_file(str(ROOT / "app_pages" / page), default_timeout=60).run()
    assert not at.exception and not at.error
    sentence = at.warning[0].value
    assert "not on this computer" in sentence and "upload your own file" in sentence
    assert "URLError" not in sentence and sentence.count(". ") == 0  # one sentence
    assert str(offline_empty / file) in at.code[0].value  # the exact, copyable path
    train = next(b for b in at.get("form_submit_button") if b.label == "Train")
    assert train.disabled and "Train is off until the data" in train.help
    assert any("Train is off until the data" in c.value for c in at.caption)
    download = next(b for b in at.button if b.label == "Download it now")
    at = download.click().run()
    assert at.error and "could not be downloaded" in at.error[0].value and "URLError" not in at.error[0].value
    assert next(b for b in at.get("form_submit_button") if b.label == "Train").disabled
