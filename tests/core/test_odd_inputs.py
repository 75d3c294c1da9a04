"""Inputs a careless student might bring: UTF-16 text, an impossible MIDI time signature."""

from __future__ import annotations

import pytest

from core import midi
from core import textgen as tg
from core.datasets import DataError

TEXT = "To be, or not to be, that is the question.\n" * 300


@pytest.mark.parametrize("codec", ["utf-16", "utf-16-le", "utf-16-be", "utf-32"])
def test_utf16_and_utf32_text_is_read_and_named(codec):
    text, encoding = tg.decode_bytes(TEXT.encode(codec))
    assert text == TEXT and encoding.startswith("UTF-")
    assert encoding in ("UTF-16", "UTF-32")


def test_binary_is_still_refused():
    with pytest.raises(DataError, match="binary"):
        tg.decode_bytes(b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 10)


def test_a_time_signature_with_denominator_two_to_the_255_is_refused():
    data = midi.write_midi([(60, 1.0), (62, 1.0), (64, 2.0)])
    assert midi.read_midi(data).voices
    at = data.index(b"\xff\x58\x04")
    crafted = data[: at + 4] + bytes([255]) + data[at + 5 :]  # the denominator, as a power of two
    with pytest.raises(DataError, match="impossible time signature"):
        midi.read_midi(crafted)
