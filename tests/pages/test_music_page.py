"""Music page with Streamlit's AppTest: first visit, a tiny training, composing, a bad upload."""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from tests.helpers.music import notes_track, scale_notes, smf
from tests.pages.test_pages import run_until

PAGE = str(Path(__file__).resolve().parents[2] / "app_pages" / "3_Music.py")


def test_first_visit_explains_the_parse_and_every_control(fresh_app):
    at = AppTest.from_file(PAGE, default_timeout=60).run()
    assert not at.exception and not at.error
    assert any("have not been read yet" in i.value for i in at.info)  # no cache: the first training parses
    for widget in [*at.slider, *at.selectbox, *at.radio, *at.toggle, *at.number_input, *at.select_slider]:
        assert widget.help, f"{widget.label} has no help tooltip"
    bi = at.toggle(key="mu_bi")
    assert bi.disabled and not bi.value and "left to right" in bi.help


@pytest.mark.slow
def test_tiny_training_then_compose_and_listen(fresh_app, bach_cache):
    at = AppTest.from_file(PAGE, default_timeout=60).run()
    assert not at.exception
    assert any("pieces**" in m.value for m in at.markdown)  # the cached corpus is summarised
    at.slider(key="mu_epochs").set_value(1)
    at.select_slider(key="mu_units").set_value(8)
    at.select_slider(key="mu_seq").set_value(16)
    at.slider(key="mu_val").set_value(0.2)
    at.get("form_submit_button")[0].click()
    at = run_until(at, lambda a: any("Results on the" in s.value for s in a.subheader))
    assert any("Markov chain" in m.value for m in at.markdown)
    assert any("too few to judge the model by" in w.value for w in at.warning)  # 2 held-out pieces
    assert any(c.value.startswith("After 1 epoch the training loss") for c in at.caption)
    assert at.get("audio"), "the melody composed at the end of training can be played at once"

    at.slider(key="mu_g_len").set_value(32)
    at.slider(key="mu_g_temp").set_value(0.5)
    at.get("form_submit_button")[1].click()
    at.run()
    assert not at.exception and not at.error
    audio = at.get("audio")[0].proto
    assert audio.url.endswith(".wav")
    table = at.dataframe[0].value
    assert (
        list(table.index)[:2] == ["RNN melody", "Markov melody"]
        and (table["Notes and rests"][:2] == 32).all()
    )
    assert any(m.value.startswith(("Compared with the Bach", "The melody behaves")) for m in at.markdown)
    titles = [c.proto.spec for c in at.get("plotly_chart")]
    assert any("The composed melody" in t for t in titles)
    assert any("Composed after epoch 1" in t for t in titles)  # the live snippet


def test_a_drum_only_upload_gets_a_clear_error(fresh_app):
    at = AppTest.from_file(PAGE, default_timeout=60).run()
    at.radio(key="mu_source").set_value("midi").run()
    at.file_uploader(key="mu_up").set_value(
        ("drums.mid", smf(notes_track(scale_notes(50, 36), channel=9)), "audio/midi")
    )
    at.run()
    assert not at.exception
    assert at.error and "only drum notes (channel 10)" in at.error[0].value


def test_a_parse_under_way_hides_the_not_read_yet_note(fresh_app):
    """The note stayed up, stale, while the first training read the corpus below it."""
    at = AppTest.from_file(PAGE, default_timeout=60).run()
    assert any("have not been read yet" in i.value for i in at.info)
    at.radio(key="mu_source").set_value("folk").run()
    at.get("form_submit_button")[0].click().run()
    assert not at.exception
    assert not any("have not been read yet" in i.value for i in at.info)
    stop = [b for b in at.button if b.key in ("mu__stop", "mu__cancel")]
    assert stop, "the job is queued or running"
    stop[0].click().run()  # ends the parse at once; nothing is cached
