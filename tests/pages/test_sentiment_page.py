"""Sentiment page with AppTest: defaults render, bad CSVs say what is wrong, a quick training runs."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from tests.helpers.reviews import needs_mr
from tests.pages.test_pages import run_until

PAGE = str(Path(__file__).resolve().parents[2] / "app_pages" / "4_Sentiment.py")


@needs_mr
def test_sentiment_defaults_render(fresh_app):
    at = AppTest.from_file(PAGE, default_timeout=60).run()
    assert not at.exception and not at.error
    assert any("10662 reviews" in m.value and "1600 test" in m.value for m in at.markdown)
    assert at.radio(key="se_source").value == "mr" and at.toggle(key="se_bi").value
    for widget in [*at.slider, *at.selectbox, *at.radio, *at.toggle, *at.number_input, *at.select_slider]:
        assert widget.help, f"{widget.label} has no help tooltip"
    # A toggle in a quarter of a 1440 px page shows about 26 characters before it cuts the label off.
    words = [at.toggle(key=f"se_{k}").label for k in ("wv", "pol", "att")]  # the "Words" quarter columns
    assert all(len(label) <= 26 for label in words), words


def upload(at: AppTest, content: bytes) -> AppTest:
    at.radio(key="se_source").set_value("csv").run()
    at.file_uploader(key="se_upload").set_value(("reviews.csv", content, "text/csv"))
    return at.run()


def test_sentiment_csv_problems_are_explained(fresh_app):
    at = AppTest.from_file(PAGE, default_timeout=60).run()
    one_class = "text,label\n" + "a fine film,1\n" * 30
    at = upload(at, one_class.encode())
    assert not at.exception and at.error and "only one value" in at.error[0].value
    # Windows-1252 with a few empty texts: read, and both facts are said.
    rows = "".join(f'"caf\u00e9 \u2019{i}",{"pos" if i % 2 else "neg"}\n' for i in range(40))
    at = upload(at, ("review,sentiment\n" + rows + '"",pos\n').encode("cp1252"))
    assert not at.exception and not at.error
    warnings = " ".join(w.value for w in at.warning)
    assert "read as Windows-1252" in warnings and "Skipped 1 rows with an empty text" in warnings
    assert any("40 reviews" in m.value and "'neg' is read as negative" in m.value for m in at.markdown)


@pytest.mark.slow
@needs_mr
def test_sentiment_quick_training_then_try_it(fresh_app):
    at = AppTest.from_file(PAGE, default_timeout=120).run()
    at.radio(key="se_preset").set_value("quick").run()
    assert at.slider(key="seq_epochs").value == 2
    at.get("form_submit_button")[0].click()
    at = run_until(
        at, lambda a: any("Results on the test split" in s.value for s in a.subheader), timeout=300
    )
    assert any("baseline on test accuracy" in m.value for m in at.markdown)
    table = at.dataframe[0].value
    assert (
        list(table.index) == ["RNN", "TF-IDF + logistic regression"]
        and (table["Accuracy (share of reviews right)"] > 0).all()
    )
    titles = [json.loads(c.proto.spec)["layout"]["title"]["text"] for c in at.get("plotly_chart")]
    assert any("accuracy" in t for t in titles) and any("confusion" in t for t in titles)

    at.button(key="se__ex_Negated").click().run()
    assert at.text_area(key="se_try").value.startswith("this is not a good movie")
    titles = [json.loads(c.proto.spec)["layout"]["title"]["text"] for c in at.get("plotly_chart")]
    assert any("Running score" in t for t in titles) and any("influence" in t for t in titles)
    assert any("% positive" in m.value for m in at.markdown)
    at.text_area(key="se_try").set_value("qqzx wwvy").run()
    assert any("None of these words" in i.value for i in at.info)
