"""Standard MIDI files in and out, melodies out of them, and a numpy synthesiser.

A small reader of our own (rather than music21's) because every way a file can
be wrong must end in one clear `DataError`, the page reads uploads without
paying music21's import, and a melody needs only note on/off times per
track and channel. The writer makes a format-0 file with one piano track.
`wav_bytes` renders notes with additive sine partials and an
attack-decay-release envelope, so the browser can play a melody without any
system synthesiser or sound font.

Times inside this module are in quarter notes (beats); pitches are MIDI
numbers (60 = middle C); a rest in an event list has pitch -1.
"""

from __future__ import annotations

import io
import struct
import wave
from dataclasses import dataclass, field

import numpy as np

from core.datasets import DataError

MAX_MIDI_BYTES = 4 * 1024 * 1024  # a long orchestral MIDI is a few hundred KB
MAX_MIDI_NOTES = 50_000
DRUM_CHANNEL = 9  # "channel 10" counted from 1: General MIDI percussion
GRID = 0.25  # quarter notes: onsets and ends snap to sixteenth notes
NOTE_NAMES = ("C", "C#", "D", "Eb", "E", "F", "F#", "G", "Ab", "A", "Bb", "B")


def note_name(pitch: int) -> str:
    return "rest" if pitch < 0 else f"{NOTE_NAMES[pitch % 12]}{pitch // 12 - 1}"


@dataclass
class Voice:
    """The notes of one track and channel: (onset, end, pitch) in beats."""

    track: int
    channel: int
    name: str
    notes: list[tuple[float, float, int]] = field(default_factory=list)

    def describe(self) -> str:
        pitches = [n[2] for n in self.notes]
        label = f"track {self.track + 1}" + (f" '{self.name}'" if self.name else "")
        return (
            f"{label}, channel {self.channel + 1}: {len(self.notes)} notes,"
            f" {note_name(min(pitches))} to {note_name(max(pitches))}"
        )


@dataclass
class MidiSong:
    voices: list[Voice]  # melodic voices only (drums removed), in file order
    bar: float  # beats per bar, from the first time signature (4/4 if none)
    drum_notes: int


def _varlen(data: bytes, pos: int) -> tuple[int, int]:
    value = 0
    for _ in range(4):
        byte = data[pos]
        pos += 1
        value = (value << 7) | (byte & 0x7F)
        if not byte & 0x80:
            return value, pos
    raise DataError("The MIDI file is damaged (a time value is too long): export it again.")


def read_midi(data: bytes) -> MidiSong:
    """Parse a standard MIDI file; DataError says what is wrong with a bad one."""
    if len(data) > MAX_MIDI_BYTES:
        raise DataError(
            f"The MIDI file is {len(data) / 1e6:.1f} MB; the limit is {MAX_MIDI_BYTES // 2**20} MB."
            " A melody needs far less: export only the part you want, or a shorter section."
        )
    if data[:4] != b"MThd" or len(data) < 14:
        raise DataError(
            "This file is not a MIDI file (it does not start with a MIDI header). Choose a standard"
            " MIDI file (.mid), for example exported from MuseScore."
        )
    length, _fmt, ntracks, division = struct.unpack(">IHHH", data[4:14])
    if division & 0x8000:
        raise DataError("This MIDI file counts time in SMPTE frames, not beats: export it again with beats.")
    if division == 0:
        raise DataError("The MIDI file is damaged (zero ticks per beat): export it again.")
    pos, voices, bar, drums, total = 8 + length, {}, 0.0, 0, 0
    try:
        for track in range(ntracks):
            if pos >= len(data):
                break  # fewer tracks than the header promised: keep those that are there
            while data[pos : pos + 4] != b"MTrk":  # skip unknown chunks, as the standard asks
                (size,) = struct.unpack(">I", data[pos + 4 : pos + 8])
                pos += 8 + size
            (size,) = struct.unpack(">I", data[pos + 4 : pos + 8])
            end, pos = pos + 8 + size, pos + 8
            if end > len(data):
                raise IndexError
            tick, status, name, open_notes = 0, 0, "", {}
            while pos < end:
                delta, pos = _varlen(data, pos)
                tick += delta
                if data[pos] & 0x80:
                    status, pos = data[pos], pos + 1
                elif status == 0:
                    raise DataError("The MIDI file is damaged (an event without a status): export it again.")
                if status == 0xFF:  # meta event
                    kind = data[pos]
                    size, pos = _varlen(data, pos + 1)
                    body = data[pos : pos + size]
                    pos += size
                    if kind == 0x03 and not name:
                        name = body.decode("latin-1").strip()
                    elif kind == 0x58 and not bar and len(body) >= 2:
                        # 2**255 as a denominator (a crafted file) would make a bar 1e-76 beats long.
                        if body[0] == 0 or body[1] > 6:
                            raise DataError(
                                f"The MIDI file has an impossible time signature ({body[0]}/2^{body[1]}):"
                                " export it again from your music program."
                            )
                        bar = body[0] * 4 / 2 ** body[1]
                    elif kind == 0x2F:
                        break
                    continue
                if status in (0xF0, 0xF7):  # system exclusive
                    size, pos = _varlen(data, pos)
                    pos += size
                    continue
                kind, channel = status & 0xF0, status & 0x0F
                if kind in (0xC0, 0xD0):
                    pos += 1
                    continue
                pitch, velocity = data[pos], data[pos + 1]
                pos += 2
                if (pitch | velocity) & 0x80:
                    raise DataError("The MIDI file is damaged (a note number above 127): export it again.")
                if kind not in (0x80, 0x90):
                    continue
                key = (channel, pitch)
                if kind == 0x90 and velocity > 0:
                    open_notes.setdefault(key, []).append(tick)
                elif open_notes.get(key):
                    start = open_notes[key].pop(0)
                    total += 1
                    if total > MAX_MIDI_NOTES:
                        raise DataError(
                            f"The MIDI file has more than {MAX_MIDI_NOTES:,} notes: it is too large for a"
                            " melody. Export only the part you want, or a shorter section."
                        )
                    if channel == DRUM_CHANNEL:
                        drums += 1
                        continue
                    v = voices.setdefault((track, channel), Voice(track, channel, name))
                    v.notes.append((start / division, tick / division, pitch))
            for (channel, pitch), starts in open_notes.items():  # never switched off: end with the track
                for start in starts:
                    if channel != DRUM_CHANNEL:
                        v = voices.setdefault((track, channel), Voice(track, channel, name))
                        v.notes.append((start / division, tick / division, pitch))
            pos = end
    except (IndexError, struct.error) as exc:
        raise DataError(
            "The MIDI file is damaged or cut short (a track ends early): export it again."
        ) from exc
    melodic = [v for v in voices.values() if v.notes]
    if not melodic:
        if drums:
            raise DataError(
                "This MIDI file has only drum notes (channel 10), which have no pitch to learn a melody"
                " from: choose a file with a melodic instrument."
            )
        raise DataError("This MIDI file has no notes: choose a file that plays something.")
    for v in melodic:
        v.notes.sort()
    return MidiSong(melodic, bar or 4.0, drums)


def top_line(notes: list[tuple[float, float, int]]) -> list[tuple[int, float]]:
    """The highest sounding line (the "skyline") as (pitch, beats) events with rests.

    At each onset the highest new note wins, unless a higher melody note is still
    sounding; each note lasts until its end or the next melody onset.
    """
    snap = [
        (round(a / GRID) * GRID, max(round(b / GRID) * GRID, round(a / GRID) * GRID + GRID), p)
        for a, b, p in notes
    ]
    snap.sort(key=lambda n: (n[0], -n[2]))
    line: list[list] = []  # [onset, end, pitch]
    for onset, end, pitch in snap:
        if line and line[-1][0] == onset:
            continue  # a lower note of the same chord
        if line and line[-1][1] > onset and line[-1][2] > pitch:
            continue  # accompaniment under a held melody note
        if line and line[-1][1] > onset:
            line[-1][1] = onset
        line.append([onset, end, pitch])
    events: list[tuple[int, float]] = []
    clock = line[0][0] if line else 0.0
    for onset, end, pitch in line:
        if onset > clock:
            events.append((-1, onset - clock))
        events.append((pitch, end - onset))
        clock = end
    return events


def write_midi(events: list[tuple[int, float]], tempo_bpm: float = 100.0, bar: float = 4.0) -> bytes:
    """A format-0 MIDI file (one piano track) playing `events` (pitch, beats); rests are gaps."""
    division = 480
    timed: list[tuple[int, int, bytes]] = []  # (tick, order: offs first, message)
    clock = 0
    for pitch, beats in events:
        ticks = max(1, round(beats * division))
        if pitch >= 0:
            timed.append((clock, 1, bytes([0x90, pitch, 80])))
            timed.append((clock + ticks, 0, bytes([0x80, pitch, 0])))
        clock += ticks
    tempo = round(60_000_000 / tempo_bpm)
    numerator = max(1, round(bar)) if bar == round(bar) else max(1, round(bar * 2))
    denominator = 2 if bar == round(bar) else 3
    body = bytearray()
    body += b"\x00\xff\x51\x03" + tempo.to_bytes(3, "big")
    body += b"\x00\xff\x58\x04" + bytes([numerator, denominator, 24, 8])
    body += b"\x00\xc0\x00"  # program 0: acoustic grand piano
    last = 0
    for tick, _, msg in sorted(timed):
        body += _vlq(tick - last) + msg
        last = tick
    body += b"\x00\xff\x2f\x00"
    header = b"MThd" + struct.pack(">IHHH", 6, 0, 1, division)
    return header + b"MTrk" + struct.pack(">I", len(body)) + bytes(body)


def _vlq(value: int) -> bytes:
    out = [value & 0x7F]
    value >>= 7
    while value:
        out.append(0x80 | (value & 0x7F))
        value >>= 7
    return bytes(reversed(out))


def wav_bytes(events: list[tuple[int, float]], tempo_bpm: float = 100.0, rate: int = 22050) -> bytes:
    """16-bit mono WAV of `events`: three sine partials per note under an attack-decay-release envelope."""
    beat = 60.0 / tempo_bpm
    release = 0.08
    total = sum(d for _, d in events) * beat + release + 0.05
    out = np.zeros(int(total * rate) + 1, np.float32)
    clock = 0.0
    for pitch, beats in events:
        seconds = beats * beat
        if pitch >= 0:
            n = int((seconds + release) * rate)
            t = np.arange(n, dtype=np.float32) / rate  # (samples,)
            freq = 440.0 * 2 ** ((pitch - 69) / 12)
            tone = np.sin(2 * np.pi * freq * t) + 0.35 * np.sin(4 * np.pi * freq * t)
            tone += 0.15 * np.sin(6 * np.pi * freq * t)
            # Fast attack (no click), decay towards a sustain level, linear release after the note ends.
            env = np.minimum(1.0, t / 0.01) * (0.55 + 0.45 * np.exp(-t / 0.15))
            env *= np.clip((seconds + release - t) / release, 0.0, 1.0)
            start = int(clock * rate)
            out[start : start + n] += (tone * env)[: len(out) - start]
        clock += seconds
    peak = float(np.abs(out).max()) or 1.0
    pcm = (out / peak * 0.8 * 32767).astype("<i2")
    buf = io.BytesIO()
    with wave.open(buf, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(pcm.tobytes())
    return buf.getvalue()
