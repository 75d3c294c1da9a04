"""Lessons: every file loads, and every control a step sets exists on its page and takes the value.

Each lesson is walked step by step in AppTest the way a student would (the link, then
Next): a control the page draws at that step must show the step's value; a control
the page draws only after a run (the generation and compose forms) must at least be a
key the page's code draws. The checks' arithmetic is tested on real-shaped facts.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from core.errors import ConfigError
from core.lessons import all_lessons, evaluate, judge, parse
from core.lessons import facts as lf

ROOT = Path(__file__).resolve().parents[2]
LESSONS = all_lessons()
KINDS = (
    "slider",
    "select_slider",
    "radio",
    "selectbox",
    "number_input",
    "toggle",
    "checkbox",
    "text_input",
    "text_area",
)


def _drawn(at: AppTest) -> dict:
    out = {}
    for kind in KINDS:
        for w in getattr(at, kind):
            if w.key:
                out[w.key] = w.value
    return out


def _keys_in_code(prefix: str) -> set[str]:
    """Widget keys written literally in the UI code, `f"{P}_name"` / `f"{prefix}_name"` -> prefix_name."""
    keys = set()
    for path in [*(ROOT / "ui").glob("*.py"), *(ROOT / "app_pages").glob("*.py")]:
        for name in re.findall(r'key=f"\{(?:P|prefix)\}_([a-z][a-z0-9_]*)"', path.read_text()):
            keys.add(f"{prefix}_{name}")
    return keys


def test_the_lessons_the_issue_asks_for_exist():
    titles = {lesson.title for lesson in LESSONS.values()}
    for wanted in (
        "Why 'same as yesterday' is hard to beat",
        "Look-back: how much past does it need?",
        "Temperature: safe or bold",
        "Watch it learn to spell",
        "A melody that stays in key",
        "Not good: how order changes meaning",
        "Why LSTMs remember",
        "Exploding gradients and the clip",
    ):
        assert wanted in titles
    for lesson in LESSONS.values():
        assert 3 <= len(lesson.steps) <= 6
        assert any(step.check for step in lesson.steps), lesson.id


@pytest.mark.parametrize("lesson_id", sorted(LESSONS))
def test_every_step_sets_controls_that_exist(lesson_id, fresh_app, bach_cache):
    lesson = LESSONS[lesson_id]
    at = AppTest.from_file(str(ROOT / lesson.page_file), default_timeout=90)
    at.query_params["lesson"] = lesson_id
    at.run()
    in_code = _keys_in_code(lesson.prefix)
    for i, step in enumerate(lesson.steps):
        assert not at.exception, at.exception
        assert not at.error, [e.value for e in at.error]
        assert (
            f"step {i + 1} of {len(lesson.steps)}" in at.markdown[1 if lesson.page == "inside" else 0].value
        )
        drawn = _drawn(at)
        for key, value in step.set.items():
            if key in drawn:
                assert drawn[key] == value, (lesson_id, i + 1, key, drawn[key], value)
            else:  # drawn only under a finished run's results
                assert key in in_code, f"{lesson_id} step {i + 1}: no control {key}"
        if i < len(lesson.steps) - 1:
            at.button(key="lesson__next").click().run()


def test_a_lesson_naming_a_missing_control_or_value_is_refused():
    good = (ROOT / "core" / "lessons" / "forecast_lookback.toml").read_text()
    parse(good, "x")
    with pytest.raises(ConfigError, match="not settings of this page"):
        parse(good.replace("set = { fc_lookback = 30 }", "set = { tx_temp = 0.5 }"), "x")
    with pytest.raises(ConfigError, match="names a step that is not earlier"):
        parse(good.replace('short = "step1:rnn"', 'short = "step3:rnn"', 1), "x")
    with pytest.raises(ConfigError, match="without values"):
        parse(good.replace('expect = "rnn < short * 0.97"', 'expect = "rnn < longer"'), "x")
    with pytest.raises(ConfigError, match="may not use|may call only"):
        parse(good.replace('expect = "rnn < short * 0.97"', 'expect = "__import__(1) < short"'), "x")
    with pytest.raises(ConfigError, match="3 to 6"):
        parse(good.split("[[steps]]")[0] + "[[steps]]" + good.split("[[steps]]")[1], "x")


def test_checks_read_the_numbers_and_say_them():
    check = LESSONS["forecast_persistence"].steps[0].check
    close = {"final": {"test": {"rnn": {"mae": 1.99}, "persistence": {"mae": 2.0}}}}
    won = {"final": {"test": {"rnn": {"mae": 1.0}, "persistence": {"mae": 2.0}}}}
    seen = judge(check, close, {})
    assert seen.ok and "1.99" in seen.text and "2.00" in seen.text
    missed = judge(check, won, {})
    assert not missed.ok and "1.00" in missed.text and "seed" in missed.text
    assert judge(check, {"final": {}}, {}) is None  # no numbers yet: no verdict
    later = LESSONS["forecast_persistence"].steps[2].check
    jobs = {"final": {"test": {"rnn": {"mae": 10.0}, "persistence": {"mae": 20.0}}}}
    assert judge(later, jobs, {1: seen.values}).ok
    assert judge(later, jobs, {}) is None
    zero = {"final": {"test": {"rnn": {"mae": 10.0}, "persistence": {"mae": 0.0}}}}
    assert judge(later, zero, {1: seen.values}) is None  # a ratio over zero: no verdict, no crash
    assert evaluate("a < b * 2 and not a > 3", {"a": 1.0, "b": 1.0})
    assert not evaluate("max(a, b) < 1", {"a": 1.0, "b": 0.5})


def test_derived_facts():
    words = lf.corpus_words("To be, or not to be: that is the question.")
    assert lf.real_word_share("to be or nof tp bee", words) == pytest.approx(3 / 6)
    assert lf.real_word_share("a", words) is None
    gen = lf.generation_facts({"probs": [0.5, 1.0], "text": "that is", "temperature": 0.3}, words)
    assert gen == {"temperature": 0.3, "confidence": 0.75, "real_words": 1.0}
    rows = [
        {"update_norm": u, "grad_norm": u * 10, "loss": 1.0 / (k + 1), "weight_norm": 17.0}
        for k, u in enumerate([5.0, 0.1])
    ]
    clip = lf.clipping_facts({"learning_rate": 0.05, "clip": 1.0, "unclipped": rows, "clipped": rows[::-1]})
    assert clip["bound"] == pytest.approx(0.05) and clip["unclipped"]["max_update"] == 5.0
    assert clip["clipped"]["last_loss"] == 1.0
