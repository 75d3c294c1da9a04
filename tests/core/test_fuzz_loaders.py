"""Fuzzing the text, MIDI and review loaders: hostile bytes may only raise DataError, with a message.

Every loader a user's upload reaches is fed 200 derandomized examples (the CSV loader of the
Forecasting page is fuzzed in test_faults.py). What passes a loader must also be usable by
the next step: a text gets a vocabulary, a melody gets tokens a MIDI file can play.
"""

from __future__ import annotations

import re
import struct

from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from core import melody as ml
from core import music_corpus as mc
from core import reviews
from core import textgen as tg
from core.config import TextConfig
from core.datasets import DataError, read_csv_with_encoding, save_upload
from core.midi import _vlq, read_midi, write_midi

FUZZ = settings(max_examples=200, derandomize=True, deadline=None, suppress_health_check=list(HealthCheck))


def only_data_error(load) -> object | None:
    """The loader's result, or None after a DataError with a non-empty message."""
    try:
        result = load()
        event("loaded")
        return result
    except DataError as exc:
        assert str(exc).strip()
        event("DataError: " + re.sub(r"[0-9,.]+", "N", str(exc))[:50])
        return None


# --- text: uploads and pasted text for the Shakespeare page -----------------------------------
CHUNK = st.binary(max_size=400) | st.text(max_size=400).map(lambda s: s.encode("utf-8", "surrogatepass"))
# Repeating a random chunk reaches the 10,000-character minimum without 10,000 random draws.
TEXTS = st.tuples(CHUNK, st.integers(1, 40), st.booleans()).map(
    lambda t: t[0] * (t[1] + (tg.MIN_CHARS // max(len(t[0]), 1) if t[2] else 0))
)


@FUZZ
@given(TEXTS)
def test_fuzzed_text_uploads_only_raise_data_error(data):
    def load():
        text, _ = tg.decode_bytes(data)  # what the page does with the upload
        tg.check_length(text)
        path = save_upload(text.encode("utf-8", "surrogatepass"), "txt")
        return tg.prepare(TextConfig(data=str(path), seq_len=10))

    corpus = only_data_error(load)
    if corpus is not None:
        assert len(corpus.text) >= tg.MIN_CHARS and 0 < corpus.n_train < len(corpus.ids)
        assert corpus.vocab.size >= 2 and corpus.ids.max() < corpus.vocab.size


# --- MIDI: raw bytes, and files that are well formed up to a point -----------------------------
EVENT = st.one_of(
    st.tuples(st.just("on"), st.integers(0, 15), st.integers(0, 127), st.integers(0, 127)),
    st.tuples(st.just("off"), st.integers(0, 15), st.integers(0, 127), st.integers(0, 127)),
    st.tuples(st.just("timesig"), st.integers(0, 255), st.integers(0, 255), st.just(0)),
    st.tuples(st.just("program"), st.integers(0, 15), st.integers(0, 127), st.just(0)),
    st.tuples(st.just("sysex"), st.integers(0, 20), st.just(0), st.just(0)),
    st.tuples(st.just("raw"), st.integers(0, 255), st.integers(0, 255), st.integers(0, 255)),
)


def encode_event(kind: str, a: int, b: int, c: int) -> bytes:
    if kind == "on":
        return bytes([0x90 | a, b, c])
    if kind == "off":
        return bytes([0x80 | a, b, c])
    if kind == "timesig":
        return bytes([0xFF, 0x58, 4, a, b, 24, 8])
    if kind == "program":
        return bytes([0xC0 | a, b])
    if kind == "sysex":
        return bytes([0xF0]) + _vlq(a) + bytes(a)
    return bytes([a, b, c])


def midi_file(tracks, division: int, cut: int) -> bytes:
    body = b""
    for events in tracks:
        chunk = b"".join(_vlq(delta) + encode_event(*ev) for delta, ev in events)
        body += b"MTrk" + struct.pack(">I", len(chunk)) + chunk
    data = b"MThd" + struct.pack(">IHHH", 6, 1, len(tracks), division) + body
    return data[: len(data) - cut]


MIDI_FILES = st.builds(
    midi_file,
    st.lists(st.lists(st.tuples(st.integers(0, 2000), EVENT), max_size=40), min_size=1, max_size=3),
    st.sampled_from([96, 480, 96, 480, 1, 0, 0x8000 | 25]),
    st.sampled_from([0] * 6 + [1, 3, 10]),
)


def check_midi_upload(data: bytes) -> None:
    def load():
        read_midi(data)  # the page reads the first file's voices before anything else
        return mc.load_uploads(mc.save_midi_uploads([data]))

    corpus = only_data_error(load)
    if corpus is None:
        return
    (piece,) = corpus.pieces
    assert piece["bar"] > 0 and 0 <= piece["first_bar"] < piece["bar"] + 1e-9
    tokens = ml.piece_tokens(piece)
    events = [ml.event_of(t) for t in tokens]
    assert all(-1 <= p <= 127 and d > 0 for p, d in events)
    assert write_midi(events)[:4] == b"MThd"  # a melody that loads can be played back


@FUZZ
@given(MIDI_FILES)
def test_fuzzed_midi_files_only_raise_data_error(data):
    check_midi_upload(data)


@FUZZ
@given(
    st.binary(max_size=3000)
    # A valid header and a track of random bytes: the event parser meets garbage.
    | st.tuples(st.binary(max_size=3000), st.integers(0, 4000)).map(
        lambda t: b"MThd" + struct.pack(">IHHH", 6, 0, 1, 96) + b"MTrk" + struct.pack(">I", t[1]) + t[0]
    )
)
def test_fuzzed_midi_bytes_only_raise_data_error(data):
    check_midi_upload(data)


# --- reviews: the Sentiment page's CSV upload ---------------------------------------------
# Mostly printable text (binary garbage is the next test's job), sometimes any character.
REVIEW_TEXT = st.text(st.characters(blacklist_categories=("Cc", "Cs")), max_size=30) | st.text(max_size=30)
ODD_LABEL = st.sampled_from(["", "maybe", "1.0", "nan", "NA"]) | st.floats() | st.text(max_size=3)


@st.composite
def review_rows(draw) -> list[tuple[str, object]]:
    """Mostly a two-valued label column (so some tables load), with odd values mixed in."""
    pair = draw(
        st.sampled_from([("pos", "neg"), ("0", "1"), ("1", "1.0"), ("good", "bad")])
        | st.tuples(ODD_LABEL, ODD_LABEL)
    )
    label = st.sampled_from(pair) | ODD_LABEL if draw(st.booleans()) else st.sampled_from(pair)
    return draw(st.lists(st.tuples(REVIEW_TEXT, label), min_size=draw(st.sampled_from([0, 30])), max_size=80))


REVIEW_ROWS = review_rows()


def check_review_csv(data: bytes) -> None:
    def load():
        df, encoding = read_csv_with_encoding(data)
        text, label = reviews.guess_columns(df.rename(columns=str))
        return reviews.corpus_from_frame(df, text, label, encoding)

    corpus = only_data_error(load)
    if corpus is not None:
        assert set(corpus.labels.tolist()) == {0, 1} and len(corpus.texts) == len(corpus.labels)


@FUZZ
@given(REVIEW_ROWS)
def test_fuzzed_review_tables_only_raise_data_error(rows):
    lines = ['"' + t.replace('"', '""') + f'",{v}' for t, v in rows]
    check_review_csv(("review,label\n" + "\n".join(lines)).encode("utf-8", "surrogatepass"))


@FUZZ
@given(st.binary(max_size=2000) | st.text(max_size=2000).map(lambda s: s.encode("utf-8", "surrogatepass")))
def test_fuzzed_review_bytes_only_raise_data_error(data):
    check_review_csv(data)
