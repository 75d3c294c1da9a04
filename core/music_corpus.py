"""Music data: the built-in corpora, their parse cache, and MIDI uploads, as melodies.

Every melody becomes a piece: a list of (pitch, beats) events (pitch -1 is a
rest) transposed to C major or A minor, plus where its bar lines fall. Two
corpora ship with music21 (no download): Bach's chorales (the soprano line:
the melody a congregation sang) and German folk songs from the Essen
collection. Parsing them takes one to two minutes, so each is parsed once
and cached as JSON in the data directory; exact duplicate melodies are
dropped there, or the same tune could sit on both sides of the split.
Uploaded MIDI files give their top voice or a chosen voice.
"""

from __future__ import annotations

import hashlib
import json
import multiprocessing
import os
import re
import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from core.datasets import DataError, data_dir, save_upload
from core.melody import TONICS, find_key, transpose_shift
from core.midi import read_midi, top_line

CACHE_VERSION = 1
MIN_EVENTS = 40
MAX_FILES = 500
SECTION = 64  # a corpus of fewer than 10 pieces is cut into sections of at most this many notes

ProgressFn = Callable[[int, int], None]


@dataclass(frozen=True)
class CorpusSource:
    title: str
    music21_path: str  # descriptions, sources and licences: core.datasets.REGISTRY


CORPORA = {
    "bach": CorpusSource("Bach chorales", "bach"),
    "folk": CorpusSource("German folk songs", "essenFolksong/fink0.abc"),
}


@dataclass
class Corpus:
    name: str  # "bach", "folk", or "your MIDI files"
    pieces: list[dict]  # {"name", "key", "mode", "shift", "bar", "first_bar", "events": [[pitch, beats]...]}
    notes: list[str] = field(default_factory=list)
    fingerprint: str = ""


def _in_range(pitch: int) -> int:
    """A transposed pitch moved by octaves into MIDI's 0-127."""
    while pitch > 127:
        pitch -= 12
    while pitch < 0:
        pitch += 12
    return pitch


def make_piece(name: str, line: list[tuple[int, float]], all_notes, bar: float, first_bar: float) -> dict:
    """A piece from its melody events and every note of the piece (for the key)."""
    tonic, mode = find_key([n[2] for n in all_notes], [n[1] - n[0] for n in all_notes])
    shift = transpose_shift(tonic, mode)
    while line and line[0][0] < 0:  # a leading rest carries no melody
        first_bar -= line[0][1]
        line = line[1:]
    while line and line[-1][0] < 0:
        line = line[:-1]
    events = [[_in_range(p + shift) if p >= 0 else -1, round(float(d), 4)] for p, d in line]
    while first_bar < 0:
        first_bar += bar
    return {
        "name": name,
        "key": f"{TONICS[tonic]} {mode}",
        "mode": mode,
        "shift": shift,
        "bar": float(bar),
        "first_bar": round(float(first_bar), 4),
        "events": events,
    }


# --- music21 corpora and the cache ------------------------------------------------
def _part_notes(part) -> list[tuple[float, float, int]]:
    out = []
    for n in part.stripTies().flatten().notes:
        beats = float(n.quarterLength)
        if beats > 0:  # grace notes take no time
            onset = float(n.offset)
            out.append((onset, onset + beats, max(p.midi for p in n.pitches)))
    return out


def _score_piece(score, name: str) -> dict | None:
    parts = list(score.parts) or [score]
    # The melody of a chorale is the soprano; some files put horns or oboes above it.
    top = next((p for p in parts if (p.partName or "").lower().startswith("soprano")), parts[0])
    notes = _part_notes(top)
    if not notes:
        return None
    everything = [n for p in parts for n in (notes if p is top else _part_notes(p))]
    sigs = list(top.recurse().getElementsByClass("TimeSignature"))
    bar = float(sigs[0].barDuration.quarterLength) if sigs else 4.0
    measures = list(top.getElementsByClass("Measure"))
    first_bar = 0.0
    if len(measures) > 1 and float(measures[0].duration.quarterLength) < bar - 1e-6:
        first_bar = float(measures[1].offset)  # the first bar line after a pickup
    first_bar -= notes[0][0]
    return make_piece(name, top_line(notes), everything, bar, first_bar)


def _sources(name: str) -> list[tuple[str, Callable]]:
    """(piece name, thunk returning a music21 score) for every piece of a built-in corpus."""
    from music21 import converter, corpus

    if name == "bach":
        paths = sorted(corpus.getComposer("bach"), key=lambda p: p.name)
        return [
            (p.stem, lambda p=p: converter.parse(p, forceSource=True, storePickle=False))
            for p in paths
            if p.suffix in (".mxl", ".xml", ".musicxml", ".krn")
        ]
    path = corpus.getWork(CORPORA[name].music21_path)
    text = Path(path).read_text(encoding="latin-1")
    tunes = [t for t in re.split(r"(?m)^(?=X:)", text) if t.startswith("X:")]
    out = []
    for tune in tunes:
        title = re.search(r"(?m)^T:\s*(.+)$", tune)
        label = title.group(1).strip().title() if title else f"tune {len(out) + 1}"
        out.append((label, lambda t=tune: converter.parse(t, format="abc", forceSource=True)))
    return out


def cache_path(name: str) -> Path:
    return data_dir() / "music" / f"{name}-v{CACHE_VERSION}.json"


_SOURCES: dict[str, list] = {}  # per process: a pool worker lists the corpus once


def _parse_at(name: str, index: int) -> dict | None:
    """Piece number `index` of a built-in corpus, or None when music21 cannot read it."""
    if name not in _SOURCES:
        _SOURCES[name] = _sources(name)
    label, parse = _SOURCES[name][index]
    try:
        return _score_piece(parse(), label)
    except Exception:  # a file music21 cannot read: skip it, count it, say so
        return None


def parse_workers(count: int) -> int:
    """Processes for a parse: RNN_STUDIO_PARSE_WORKERS, else one per core (at most 8).

    Measured on 2 cores: one process reads the 413 chorales in 33 s, two in 20 s (the
    parse is pure Python, so threads would not help). A small parse is not worth the
    seconds each new process spends importing music21.
    """
    value = os.environ.get("RNN_STUDIO_PARSE_WORKERS", "")
    n = int(value) if value.isdigit() and int(value) > 0 else min(8, os.cpu_count() or 1)
    return 1 if count < 40 else n


def _parsed(name: str, count: int, stop=None):
    """Each piece in corpus order, parsed in a process pool when that is faster."""
    workers = parse_workers(count)
    if workers == 1:
        for i in range(count):
            yield _parse_at(name, i)
        return
    # spawn, not fork: the training process has TensorFlow's threads running.
    pool = ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("spawn"))
    try:
        chunk = max(1, min(8, count // (workers * 8)))
        yield from pool.map(_parse_at, [name] * count, range(count), chunksize=chunk)
    finally:
        stopped = stop is not None and stop.is_set()
        pool.shutdown(wait=not stopped, cancel_futures=True)


_PARSE_START: dict[int, float] = {}


def parse_line(done: int, total: int) -> str:
    """The command line's progress: a line every 25 files, and the parse time at the end."""
    if done == 0:
        _PARSE_START[total] = time.time()
        return ""
    if done == total:
        took = time.time() - _PARSE_START.pop(total, time.time())
        return (
            f"read the corpus: {total} files in {took:.1f} s with {parse_workers(total)} process(es)"
            " (once; later runs use the cache)"
        )
    return f"reading the corpus: {done} of {total} files" if done % 25 == 0 else ""


def build_cache(name: str, progress: ProgressFn | None = None, stop=None, limit: int = 0) -> Path:
    """Parse a built-in corpus with music21 and cache its melodies.

    `limit` parses only the first pieces: tests build a tiny cache this way.
    `stop` (a threading.Event) ends the parse early with a DataError.
    """
    count = len(_sources(name))
    if limit:
        count = min(count, limit)
    stopped = DataError("Stopped while reading the corpus; nothing was cached. Train again to restart.")
    if stop is not None and stop.is_set():
        raise stopped
    pieces, seen, skipped, duplicates = [], set(), 0, 0
    if progress:
        progress(0, count)  # the parse starts: a progress line can start its clock here
    results = _parsed(name, count, stop)
    for i, piece in enumerate(results):
        if stop is not None and stop.is_set():
            results.close()
            raise stopped
        if piece is None or len(piece["events"]) < 4:
            skipped += 1
        else:
            key = json.dumps(piece["events"])
            if key in seen:  # the same melody in another file: keep one, or it would leak across the split
                duplicates += 1
            else:
                seen.add(key)
                pieces.append(piece)
        if progress:
            progress(i + 1, count)
    path = cache_path(name)
    path.parent.mkdir(parents=True, exist_ok=True)
    doc = {
        "version": CACHE_VERSION,
        "corpus": name,
        "files": count,
        "skipped": skipped,
        "duplicates": duplicates,
        "pieces": pieces,
    }
    tmp = path.with_suffix(".part")
    tmp.write_text(json.dumps(doc))
    tmp.replace(path)
    return path


def is_cached(name: str) -> bool:
    return cache_path(name).exists()


def load_builtin(name: str, progress: ProgressFn | None = None, stop=None) -> Corpus:
    path = cache_path(name)
    if not path.exists():
        build_cache(name, progress, stop)
    doc = json.loads(path.read_text())
    notes = [f"Read {len(doc['pieces'])} melodies from {doc['files']} files of music21's corpus."]
    if doc["duplicates"]:
        notes.append(f"Dropped {doc['duplicates']} files whose melody repeats another file's exactly.")
    if doc["skipped"]:
        notes.append(f"Skipped {doc['skipped']} files without a readable melody.")
    fp = hashlib.sha256(path.read_bytes()).hexdigest()
    return Corpus(name, doc["pieces"], notes, fp)


# --- uploads -----------------------------------------------------------------------
def midi_piece(path: Path, track: int = -1) -> dict:
    """One uploaded MIDI file as a piece: its top voice (track -1) or voice number `track`."""
    try:
        song = read_midi(path.read_bytes())
    except DataError as exc:
        raise DataError(f"{path.name}: {exc}") from exc
    if track >= len(song.voices):
        raise DataError(
            f"{path.name} has {len(song.voices)} melodic voice(s); voice {track + 1} does not exist."
            " Choose the top voice or a voice it has."
        )
    notes = [n for v in song.voices for n in v.notes] if track < 0 else song.voices[track].notes
    everything = [n for v in song.voices for n in v.notes]
    return make_piece(path.stem, top_line(notes), everything, song.bar, (-notes[0][0]) % song.bar)


def save_midi_uploads(files: list[bytes]) -> str:
    """Store uploads under their sha256: one file's path, or a folder holding several."""
    if len(files) == 1:
        return str(save_upload(files[0], "mid"))
    if len(files) > MAX_FILES:
        raise DataError(f"Upload at most {MAX_FILES} MIDI files at once.")
    folder = data_dir() / "uploads" / ("midi-" + hashlib.sha256(b"".join(sorted(files))).hexdigest()[:16])
    folder.mkdir(parents=True, exist_ok=True)
    for data in files:
        stored = save_upload(data, "mid")
        target = folder / stored.name
        if not target.exists():
            target.write_bytes(data)
    return str(folder)


def load_uploads(data: str, track: int = -1) -> Corpus:
    path = Path(data)
    if path.is_dir():
        files = sorted(p for p in path.iterdir() if p.suffix.lower() in (".mid", ".midi"))
        if not files:
            raise DataError(f"The folder {data} has no .mid files.")
        if len(files) > MAX_FILES:
            raise DataError(f"The folder has {len(files)} MIDI files; the limit is {MAX_FILES}.")
    elif path.is_file():
        files = [path]
    else:
        raise DataError(f"The file {data} does not exist.")
    pieces = [midi_piece(f, track) for f in files]
    for i, piece in enumerate(pieces):
        if re.fullmatch(r"[0-9a-f]{64}", piece["name"]):  # an upload, stored under its checksum
            piece["name"] = f"MIDI file {i + 1}" if len(pieces) > 1 else "your MIDI file"
    digest = hashlib.sha256()
    for f in files:
        digest.update(f.read_bytes())
    voice = "the top voice" if track < 0 else f"voice {track + 1}"
    return Corpus(
        "your MIDI files", pieces, [f"Read {voice} of {len(files)} MIDI file(s)."], digest.hexdigest()
    )


def _sections(piece: dict, size: int) -> list[dict]:
    out, onset, ev = [], 0.0, piece["events"]
    for k in range(0, len(ev), size):
        part = ev[k : k + size]
        if len(part) >= 8 or k == 0:
            phase = (piece["first_bar"] - onset) % piece["bar"]  # where this section's first bar line falls
            name = f"{piece['name']} (notes {k + 1}-{k + len(part)})"
            out.append({**piece, "name": name, "events": part, "first_bar": phase})
        onset += sum(d for _, d in part)
    return out


def load_corpus(data: str, track: int = -1, progress: ProgressFn | None = None, stop=None) -> Corpus:
    if data in CORPORA:
        corpus = load_builtin(data, progress, stop)
    elif data.lower().endswith((".mid", ".midi")) or Path(data).is_dir():
        corpus = load_uploads(data, track)
    else:
        raise DataError(f"Unknown data {data!r}: use bach, folk, a .mid file or a folder of .mid files.")
    total = sum(len(p["events"]) for p in corpus.pieces)
    if total < MIN_EVENTS:
        raise DataError(
            f"The melody has only {total} notes and rests; at least {MIN_EVENTS} are needed to learn"
            " from. Upload a longer file or several files."
        )
    if len(corpus.pieces) < 10:  # too few pieces to hold 10% out: cut them into sections
        size = min(SECTION, max(16, total // 10))
        corpus.pieces = [s for p in corpus.pieces for s in _sections(p, size)]
        corpus.notes.append(f"Cut into {len(corpus.pieces)} sections of up to {size} notes to hold some out.")
    return corpus
