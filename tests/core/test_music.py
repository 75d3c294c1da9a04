"""Music: corpus to tokens, MIDI in and out, bad files, the Markov baseline, measures, training."""

from __future__ import annotations

import io
import json
import threading
import wave
from pathlib import Path

import numpy as np
import pytest

from core import melody as ml
from core import midi, music
from core import music_corpus as mc
from core.config import ArchitectureConfig, ConfigError, MusicConfig, TrainingConfig
from core.datasets import DataError
from tests.helpers.music import TINY_PIECES, notes_track, scale_notes, smf


# --- keys, tokens, corpus -------------------------------------------------------------
@pytest.mark.parametrize(
    "tonic,mode,shift", [(0, "major", 0), (7, "major", 5), (2, "major", -2), (9, "minor", 0), (4, "minor", 5)]
)
def test_transposition_to_c_major_or_a_minor(tonic, mode, shift):
    assert ml.transpose_shift(tonic, mode) == shift


def test_key_finding_on_scales():
    g_major = [67, 69, 71, 72, 74, 76, 78, 79, 74, 71, 67]
    assert ml.find_key(g_major, [1] * len(g_major)) == (7, "major")
    a_minor = [69, 71, 72, 74, 76, 77, 80, 81, 76, 72, 69, 69, 64]
    assert ml.find_key(a_minor, [1] * len(a_minor)) == (9, "minor")


def test_tokens_snap_durations_and_round_trip():
    assert ml.token_of(60, 1.02) == "60:1"
    assert ml.token_of(-1, 1 / 3) == "R:0.25"
    assert ml.token_of(72, 5.0) == "72:6"
    assert ml.event_of("R:1.5") == (-1, 1.5)
    piece = {"events": [[60, 1.0], [-1, 0.5], [-1, 0.5], [62, 2.0]]}
    assert ml.piece_tokens(piece) == ["60:1", "R:1", "62:2"]


def test_primer_takes_whole_bars_after_the_pickup():
    piece = {"bar": 4.0, "first_bar": 1.0, "events": [[60, 1.0]] + [[62, 1.0]] * 12}
    assert len(ml.primer_tokens(piece, 1)) == 5  # the pickup beat and one full bar
    assert len(ml.primer_tokens(piece, 2)) == 9
    assert ml.primer_tokens(piece, 0) == []


def test_tiny_bach_cache_is_soprano_in_c_major_or_a_minor(bach_cache):
    corpus = mc.load_corpus("bach")
    assert 5 <= len(corpus.pieces) <= TINY_PIECES
    for piece in corpus.pieces:
        assert piece["mode"] in ("major", "minor") and piece["key"].endswith(piece["mode"])
        pitches = [p for p, _ in piece["events"] if p >= 0]
        assert min(pitches) >= 55 and max(pitches) <= 84  # a soprano's range, not the bass
        # Moved to C major or A minor, nearly every note is in that scale.
        assert ml.measures(piece["events"], piece["mode"])["in_scale"] >= 0.85
    assert ml.corpus_measures(corpus.pieces)["in_scale"] > 0.95


def test_folk_songs_parse_from_abc_with_progress():
    seen = []
    mc.build_cache("folk", progress=lambda done, total: seen.append((done, total)), limit=4)
    corpus = mc.load_builtin("folk")
    assert seen == [(0, 4), (1, 4), (2, 4), (3, 4), (4, 4)] and len(corpus.pieces) == 4
    first = corpus.pieces[0]
    assert (
        first["name"] == "Wenn Die Nacht Mit Stiller Ruh"
        and first["key"] == "F major"
        and first["shift"] == -5
    )
    assert first["events"][:3] == [[60, 1.0], [64, 1.0], [67, 1.5]]  # F A C, moved down to C E G


@pytest.mark.slow
def test_a_parse_in_two_processes_caches_exactly_what_one_process_does(monkeypatch):
    monkeypatch.setenv("RNN_STUDIO_PARSE_WORKERS", "1")
    one = mc.build_cache("folk", limit=40).read_bytes()
    monkeypatch.setenv("RNN_STUDIO_PARSE_WORKERS", "2")
    assert mc.parse_workers(40) == 2
    seen = []
    two = mc.build_cache("folk", progress=lambda done, total: seen.append(done), limit=40).read_bytes()
    assert two == one and seen == list(range(41))  # same melodies, same order, progress in order


def test_the_command_line_reports_the_parse_time():
    lines = [mc.parse_line(done, 50) for done in range(51)]
    assert [x for x in lines if x.startswith("reading")] == ["reading the corpus: 25 of 50 files"]
    assert lines[-1].startswith("read the corpus: 50 files in ") and "process" in lines[-1]


def test_stopping_the_parse_caches_nothing():
    stop = threading.Event()
    stop.set()
    with pytest.raises(DataError, match="Stopped while reading the corpus"):
        mc.build_cache("folk", stop=stop)
    assert not mc.is_cached("folk")


def test_split_holds_out_a_tenth_of_the_pieces():
    train, held = ml.split_pieces(100, 0.1)
    assert len(held) == 10 and len(train) == 90 and not set(train) & set(held)
    assert np.array_equal(ml.split_pieces(100, 0.1)[1], held)  # the same pieces every run


def test_vocabulary_comes_from_training_pieces_only():
    vocab = ml.Vocab.fit([["60:1", "62:1", "60:1"], ["62:1", "64:2"]])
    assert vocab.tokens[:2] == [ml.START, ml.UNK]
    assert "64:2" not in vocab.index  # seen once: rare notes share <unk>
    assert list(vocab.encode(["60:1", "99:1"])) == [0, vocab.index["60:1"], vocab.index[ml.UNK]]
    assert vocab.tokens[vocab.nearest("61:1")] in ("60:1", "62:1")


# --- MIDI in and out ------------------------------------------------------------------
def test_midi_round_trip_with_rests():
    events = [(60, 1.0), (62, 0.5), (-1, 0.5), (64, 2.0), (67, 1.5), (65, 0.5)]
    song = midi.read_midi(midi.write_midi(events))
    assert len(song.voices) == 1
    assert midi.top_line(song.voices[0].notes) == events


def test_top_line_keeps_the_melody_over_chords():
    notes = [(0, 2, 48), (0, 2, 55), (0, 1, 72), (1, 3, 74), (2, 4, 50), (3, 4, 76)]
    assert midi.top_line(notes) == [(72, 1.0), (74, 2.0), (76, 1.0)]


def test_track_choice_and_several_files(data_dir):
    melody = notes_track(scale_notes(40, start=72))
    bass = notes_track(scale_notes(40, start=36), channel=1)
    folder = mc.save_midi_uploads([smf(melody, bass), smf(melody), smf(notes_track(scale_notes(30, 65)))])
    corpus = mc.load_corpus(folder)
    assert len(corpus.pieces) >= 6  # three short files cut into sections so that some can be held out
    assert corpus.pieces[0]["name"] == "MIDI file 1 (notes 1-16)"
    top = mc.midi_piece(Path(mc.save_midi_uploads([smf(melody, bass)])), track=-1)
    low = mc.midi_piece(Path(mc.save_midi_uploads([smf(melody, bass)])), track=1)
    assert max(p for p, _ in top["events"]) > 70 > max(p for p, _ in low["events"])
    with pytest.raises(DataError, match="voice 3 does not exist"):
        mc.load_corpus(folder, track=2)


BAD_MIDIS = {
    "no notes": (lambda: smf(b"\x00\xff\x2f\x00"), "has no notes"),
    "not midi": (lambda: b"<html>this is a web page saved as song.mid</html>", "not a MIDI file"),
    "drums only": (lambda: smf(notes_track(scale_notes(50, 36), channel=9)), "only drum notes (channel 10)"),
    "too large": (
        lambda: smf(notes_track(scale_notes(1000))) + b"\x00" * midi.MAX_MIDI_BYTES,
        "the limit is 4 MB",
    ),
    "too many notes": (
        lambda: smf(notes_track(scale_notes(midi.MAX_MIDI_NOTES + 1, length=4))),
        "more than 50,000",
    ),
    "cut short": (lambda: smf(notes_track(scale_notes(50)))[:-30], "damaged or cut short"),
}


@pytest.mark.parametrize("case", list(BAD_MIDIS))
def test_bad_midi_files_say_what_is_wrong(tmp_path, case):
    make, words = BAD_MIDIS[case]
    path = tmp_path / "song.mid"
    path.write_bytes(make())
    with pytest.raises(DataError, match=words.replace("(", r"\(").replace(")", r"\)")) as err:
        mc.load_corpus(str(path))
    assert str(err.value).startswith("song.mid: ")


def test_a_melody_too_short_to_learn(tmp_path):
    path = tmp_path / "short.mid"
    path.write_bytes(smf(notes_track(scale_notes(12))))
    with pytest.raises(DataError, match="at least 40"):
        mc.load_corpus(str(path))


def test_wav_is_playable_audio():
    data = midi.wav_bytes([(60, 1.0), (-1, 0.5), (67, 1.0)], tempo_bpm=120)
    with wave.open(io.BytesIO(data)) as w:
        assert (w.getnchannels(), w.getsampwidth(), w.getframerate()) == (1, 2, 22050)
        frames = np.frombuffer(w.readframes(w.getnframes()), "<i2")
    assert abs(len(frames) / 22050 - 1.25) < 0.2  # 2.5 beats at 120 bpm, plus the release
    assert np.abs(frames).max() > 20000
    rest = frames[int(0.6 * 22050) : int(0.7 * 22050)]
    assert np.abs(rest).max() < 500  # silence during the rest


# --- baseline and measures ------------------------------------------------------------
def test_markov_chain_learns_transitions_and_picks_its_smoothing():
    seqs = [np.array([0, 2, 3, 2, 3, 2, 3, 4]) for _ in range(20)]
    chain = ml.Markov.fit(seqs, 6)
    assert np.allclose(chain.probs.sum(axis=1), 1.0)
    assert chain.probs[2, 3] > 0.9 and chain.alpha == min(ml.ALPHAS)
    assert chain.nll(seqs) < ml.Markov(np.full((6, 6), 1 / 6), 1.0).nll(seqs)
    assert all(t >= len(ml.SPECIALS) for t in chain.generate([2], 30, 1.0, 0, seed=0))


def test_measures_of_a_known_melody():
    m = ml.measures([(60, 1), (62, 1), (64, 1), (-1, 1), (64, 1), (65, 1), (72, 1), (73, 1)])
    assert m["events"] == 8 and m["range"] == 13
    assert m["in_scale"] == pytest.approx(6 / 7)  # C# is not in C major
    assert m["step_share"] == pytest.approx(5 / 6)  # moves 2, 2, 0, 1, 7, 1
    assert m["repeat_share"] == pytest.approx(1 / 6)
    shares = np.array([2, 1, 2, 1, 1]) / 7  # C, D, E, F, C#
    assert m["pitch_class_entropy"] == pytest.approx(-(shares * np.log2(shares)).sum())
    sentence = ml.read_measures(m, {**m, "step_share": 0.95, "in_scale": 0.99}, "the Bach chorales")
    assert sentence.startswith("Compared with the Bach chorales") and "leaps more" in sentence


def test_bidirectional_is_refused_for_music():
    with pytest.raises(ConfigError, match="bidirectional is not available for music"):
        MusicConfig(arch=ArchitectureConfig(bidirectional=True))


# --- training ---------------------------------------------------------------------------
def tiny_config(**kw) -> MusicConfig:
    return MusicConfig(
        data="bach",
        seq_len=32,
        generate=24,
        arch=ArchitectureConfig(cell="lstm", units=24),
        train=TrainingConfig(epochs=4, batch_size=16, learning_rate=0.01, val_fraction=0.2, seed=0),
        **kw,
    )


def test_training_beats_untrained_reloads_and_writes_midi(data_dir, monkeypatch):
    from music21 import converter

    from core.execute import execute
    from core.runs import RunStore
    from core.tf import keras_module

    # No cache yet: the job parses the corpus (here only its first 10 files) and reports progress.
    parse_all = mc._sources
    monkeypatch.setattr(mc, "_sources", lambda name: parse_all(name)[:TINY_PIECES])
    cfg = tiny_config()
    store = RunStore()
    run_id = store.create("music", {})
    events: list[tuple[str, dict]] = []
    status, result = execute(
        "music", cfg, store, run_id, lambda k, p: events.append((k, p)), threading.Event()
    )
    assert status == "done"
    final, disp = result["final"], result["display"]
    assert set(final) == {"task", "val_nll", "baseline", "generated", "corpus", "midi", "train_seconds"}
    assert final["baseline"]["name"] == "markov1" and final["generated"]["events"] == 24
    parsed = [p for k, p in events if k == "parse"]
    assert [p["done"] for p in parsed] == list(range(TINY_PIECES + 1)) and parsed[0][
        "corpus"
    ] == "Bach chorales"
    assert any(
        "Reading the Bach chorales: 10 of 10" in p.get("message", "") for k, p in events if k == "status"
    )
    assert mc.is_cached("bach")
    samples = [p for k, p in events if k == "sample"]
    assert [s["epoch"] for s in samples] == [1, 2, 3, 4] and len(
        samples[-1]["events"]
    ) == music.SNIPPET_EVENTS

    run_dir = store.run_dir(run_id)
    model, saved_cfg, vocab = music.load(run_dir)
    assert saved_cfg == cfg
    prep = music.prepare(cfg)
    trained = music.NumpyStack.from_keras(model)
    keras = keras_module()
    keras.utils.set_random_seed(0)
    untrained = music.NumpyStack.from_keras(music.build_model(len(vocab.tokens), cfg))
    assert music.rnn_nll(trained, prep.held_seqs) < music.rnn_nll(untrained, prep.held_seqs) - 0.3
    assert music.rnn_nll(trained, prep.held_seqs) == pytest.approx(final["val_nll"], rel=1e-6)

    # The reloaded model and the saved numpy copy give the same predictions as the model that trained.
    x = np.array([prep.held_seqs[0][:20]])
    reloaded, _, _ = music.load(run_dir)
    np.testing.assert_array_equal(model.predict(x, verbose=0), reloaded.predict(x, verbose=0))
    stack, _, _ = music.load_generator(run_dir)
    np.testing.assert_allclose(stack.run(list(x[0]))[0], model.predict(x, verbose=0)[0], atol=1e-5)

    # The MIDI file opens in music21 with the primer and the generated notes, in order.
    melody = disp["primer"] + disp["events"]
    score = converter.parse(final["midi"])
    notes = [(n.pitch.midi, float(n.quarterLength)) for n in score.stripTies().flatten().notes]
    assert notes == [(p, d) for p, d in melody if p >= 0]

    # Composing later (numpy only) is reproducible from the sampling seed.
    primer = ml.primer_tokens(disp["held_out"][0], 2)
    one = music.compose(run_dir, primer, 32, 1.0, 5, seed=3)
    assert one == music.compose(run_dir, primer, 32, 1.0, 5, seed=3)
    assert one["events"] != music.compose(run_dir, primer, 32, 1.0, 5, seed=4)["events"]
    assert len(one["events"]) == 32 and one["measures"]["events"] == 32
    json.dumps(result)  # plain data: it travels from the training process as JSON


# --- command line -------------------------------------------------------------------------
@pytest.mark.slow
def test_music_cli_prints_the_promised_json(bach_cache, tmp_path):
    from tests.cli.test_cli import run_cli

    out_file = tmp_path / "tune.mid"
    out = run_cli(
        "music",
        "--data",
        "bach",
        "--epochs",
        "1",
        "--units",
        "8",
        "--seq-len",
        "16",
        "--generate",
        "20",
        "--val-fraction",
        "0.2",
        "--out",
        str(out_file),
    )
    assert out.returncode == 0, out.stderr
    result = json.loads(out.stdout.strip().splitlines()[-1])
    assert set(result) == {
        "task",
        "val_nll",
        "baseline",
        "generated",
        "corpus",
        "midi",
        "train_seconds",
        "run_id",
    }
    keys = {"events", "in_scale", "pitch_class_entropy", "range", "step_share", "repeat_share"}
    assert set(result["generated"]) == keys and set(result["corpus"]) == keys
    assert (
        result["task"] == "music"
        and result["baseline"] == {"name": "markov1", "val_nll": pytest.approx(result["baseline"]["val_nll"])}
        and result["baseline"]["val_nll"] > 0
    )
    assert result["generated"]["events"] == 20 and 0 <= result["generated"]["in_scale"] <= 1
    assert result["midi"] == str(out_file.resolve()) and out_file.read_bytes()[:4] == b"MThd"
    assert "epoch 1:" in out.stderr


@pytest.mark.parametrize("case", ["drums only", "not midi"])
def test_music_cli_bad_midi_exits_2_with_one_line(tmp_path, case):
    from tests.cli.test_cli import run_cli

    make, words = BAD_MIDIS[case]
    path = tmp_path / "song.mid"
    path.write_bytes(make())
    out = run_cli("music", "--data", str(path))
    lines = out.stderr.strip().splitlines()
    assert out.returncode == 2 and len(lines) == 1 and lines[0].startswith("error: song.mid: ")
    assert words in lines[0] and out.stdout == ""


def test_music_cli_refuses_bidirectional_and_unknown_data():
    from tests.cli.test_cli import run_cli

    out = run_cli("music", "--bidirectional")
    assert out.returncode == 2 and "bidirectional is not available for music" in out.stderr
    out = run_cli("music", "--data", "jazz")
    assert out.returncode == 2 and "use bach, folk" in out.stderr
