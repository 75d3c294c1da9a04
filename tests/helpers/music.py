"""Small MIDI files and a tiny Bach cache for the music tests."""

from __future__ import annotations

import os
import shutil
import struct
from pathlib import Path

from core.midi import _vlq

TINY_PIECES = 10


def smf(*tracks: bytes, division: int = 480) -> bytes:
    """A standard MIDI file (format 1) from raw track bodies."""
    head = b"MThd" + struct.pack(">IHHH", 6, 1, len(tracks), division)
    return head + b"".join(b"MTrk" + struct.pack(">I", len(t)) + t for t in tracks)


def notes_track(notes: list[tuple[int, int, int]], channel: int = 0) -> bytes:
    """A track body playing (start tick, length ticks, pitch) on one channel."""
    timed = []
    for start, length, pitch in notes:
        timed.append((start, 1, bytes([0x90 | channel, pitch, 90])))
        timed.append((start + length, 0, bytes([0x80 | channel, pitch, 0])))
    body, last = bytearray(), 0
    for tick, _, msg in sorted(timed):
        body += _vlq(tick - last) + msg
        last = tick
    return bytes(body) + b"\x00\xff\x2f\x00"


def scale_notes(n: int, start: int = 60, length: int = 480) -> list[tuple[int, int, int]]:
    steps = [0, 2, 4, 5, 7, 9, 11, 12, 11, 9, 7, 5, 4, 2]
    return [(i * length, length, start + steps[i % len(steps)]) for i in range(n)]


def build_tiny_bach(store: Path) -> Path:
    """Parse the first few chorales (a few seconds) into `store`; tests copy the JSON from there."""
    from core import music_corpus as mc

    old = os.environ.get("RNN_STUDIO_DATA")
    os.environ["RNN_STUDIO_DATA"] = str(store)
    try:
        return mc.build_cache("bach", limit=TINY_PIECES)
    finally:
        if old is None:
            del os.environ["RNN_STUDIO_DATA"]
        else:
            os.environ["RNN_STUDIO_DATA"] = old


def install_cache(cache: Path, data_dir: Path) -> Path:
    (data_dir / "music").mkdir(exist_ok=True)
    return Path(shutil.copy(cache, data_dir / "music" / cache.name))
