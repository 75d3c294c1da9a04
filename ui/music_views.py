"""Music page pieces: the melody controls, the corpus preview, the live snippet, the results and composing."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import streamlit as st

from core import melody as ml
from core import music, upload_names
from core import music_corpus as mc
from core.charts import piano_roll
from core.config import MusicConfig, from_dict, to_dict
from core.datasets import REGISTRY, DataError
from core.midi import read_midi, wav_bytes, write_midi
from core.words import MELODY_COLUMNS, plural
from ui.data_notice import warn_small
from ui.panel import manager

P = "mu"
D = MusicConfig()  # the page's defaults are the config's (and so the command line's)
BPM = 100  # the tempo a melody is played at until the reader chooses another
SOURCES = {"bach": "Bach chorales", "folk": "German folk songs", "midi": "Your MIDI files"}
CAUSAL = (
    "Not for music: a melody is composed one note at a time, left to right, so the network"
    " may only read the notes before the one it predicts. A bidirectional layer reads ahead."
)


@st.cache_data(show_spinner="Reading the melodies...", max_entries=10)
def described(config_json: str) -> dict:
    return music.describe(from_dict(MusicConfig, json.loads(config_json)))


def prepared(config: MusicConfig) -> dict | None:
    """The corpus summary for the preview; None while a corpus has not been read with music21 yet."""
    ready = config.data not in mc.CORPORA or mc.is_cached(config.data)
    return described(json.dumps(to_dict(config))) if ready else None


def data_controls() -> dict:
    source = st.radio(
        "Melodies",
        list(SOURCES),
        index=list(SOURCES).index(D.data),
        format_func=SOURCES.get,
        horizontal=True,
        key=f"{P}_source",
        help="Bach: the soprano line of his chorales. Folk: German songs from the Essen"
        " collection. Yours: one or more MIDI files. Every melody is moved to C major or A minor.",
    )
    if source != "midi":
        ds = REGISTRY[source]
        st.caption(f"{ds.description} Source: {ds.source}. Licence: {ds.licence}.")
        return {"data": source}
    ups = st.file_uploader(
        "MIDI files",
        type=["mid", "midi"],
        accept_multiple_files=True,
        key=f"{P}_up",
        help="One or several standard MIDI files, up to 4 MB each.",
    )
    if not ups:
        st.info("Upload one or more MIDI files (.mid) to continue.")
        st.stop()
    raw = [u.getvalue() for u in ups]
    voices = read_midi(raw[0]).voices
    tracks = [-1, *range(len(voices))]
    track = st.selectbox(
        "Voice to learn",
        tracks,
        index=tracks.index(D.track),
        key=f"{P}_track",
        format_func=lambda i: (
            "top voice (the highest note at each moment)"
            if i < 0
            else f"voice {i + 1}: {voices[i].describe()}"
        ),
        help="Which line becomes the melody; with several files, the same voice number in each.",
    )
    path = mc.save_midi_uploads(raw)
    upload_names.remember(path, [u.name for u in ups])  # the Runs page lists them by these names
    return {"data": path, "track": track}


def window_control() -> int:
    return st.select_slider(
        "Notes per training window",
        [16, 32, 64, 128],
        D.seq_len,
        key=f"{P}_seq",
        help="How many notes the network reads in one go while it learns.",
    )


def preview(config: MusicConfig, prep: dict | None, job: dict) -> None:
    """The corpus and its first piece, or, before the first parse, what that parse will do."""
    if prep is None:
        if job.get("status") not in ("queued", "running"):  # a parse under way shows its own progress below
            st.info(
                f"The {mc.CORPORA[config.data].title} have not been read yet: the first training reads them"
                " with music21 (about 20 s on two free cores, once), with its progress below; later runs"
                " start at once."
            )
        return
    for note in prep["notes"]:
        st.caption(note)
    st.markdown(prep["text"])
    fig, summary = piano_roll(prep["piece"]["events"], prep["title"])
    st.plotly_chart(fig, width="stretch", key=f"{P}__preview")
    st.caption(summary)


def draw_live(snap: dict) -> None:
    parse, sample = snap["extras"].get("parse"), snap["extras"].get("sample")
    if parse and parse["done"] < parse["total"] and snap["status"] == "running":
        st.progress(
            parse["done"] / parse["total"],
            text=f"Reading the {parse['corpus']} with music21:"
            f" {parse['done']} of {parse['total']} files (once; later runs use the cache)",
        )
    if sample:
        events = sample["primer"] + sample["events"]
        title = f"Composed after epoch {sample['epoch']} (same seed every epoch)"
        fig, summary = piano_roll(events, title, len(sample["primer"]))
        st.plotly_chart(fig, width="stretch", key=f"{P}__live_roll")
        st.caption(summary)


def compose_form(snap: dict) -> None:
    disp = snap["result"]["display"]
    held = {p["name"]: p for p in disp["held_out"]}
    with st.form(f"{P}__compose"):
        c1, c2, c3 = st.columns(3)
        start = c1.selectbox(
            "Primer",
            ["(none)", *held, "(my MIDI file)"],
            index=1,  # the first held-out piece
            key=f"{P}_g_primer",
            help="The melody starts from the first bars of this held-out piece (never trained"
            " on), of your MIDI file, or from nothing.",
        )
        up = c1.file_uploader(
            "Primer MIDI file",
            type=["mid", "midi"],
            key=f"{P}__g_primer_up",
            help="Used when the primer is 'my MIDI file': its top voice, moved to C major or A minor.",
        )
        bars = c2.slider(
            "Primer bars",
            1,
            8,
            D.primer_bars,
            key=f"{P}_g_bars",
            help="How many bars of the primer to play first.",
        )
        length = c2.slider(
            "Notes to compose",
            16,
            256,
            D.generate,
            16,
            key=f"{P}_g_len",
            help="Notes and rests after the primer.",
        )
        temp = c3.slider(
            "Temperature",
            0.1,
            2.0,
            D.temperature,
            0.1,
            key=f"{P}_g_temp",
            help="Below 1: safer, more repetitive choices. Above 1: bolder, stranger ones.",
        )
        top_k = c3.slider(
            "Top-k (0 = off)",
            0,
            40,
            D.top_k,
            key=f"{P}_g_topk",
            help="Choose only among the k likeliest next notes; 0 lets every note compete.",
        )
        seed = c1.number_input(
            "Sampling seed",
            0,
            10**6,
            D.sample_seed,
            key=f"{P}_g_seed",
            help="The same seed and settings compose the same melody.",
        )
        bpm = c2.slider(
            "Tempo (beats per minute)", 50, 180, BPM, 5, key=f"{P}_g_bpm", help="How fast it is played."
        )
        composed = st.form_submit_button(
            "Compose", type="primary", help="Compose a new melody with the trained network."
        )
    if composed:
        try:
            piece = None if start == "(none)" else held.get(start)
            if start == "(my MIDI file)":
                if up is None:
                    raise DataError("Choose a MIDI file for the primer, or another primer.")
                piece = mc.midi_piece(Path(mc.save_midi_uploads([up.getvalue()])))
            primer = ml.primer_tokens(piece, bars) if piece else []
            run_dir = manager().store.run_dir(snap["id"])
            melody = music.compose(run_dir, primer, length, temp, top_k, int(seed))
            st.session_state[f"{P}_gen"] = {"run": snap["id"], "bpm": bpm, **melody}
        except DataError as exc:
            st.error(str(exc))


def show_result(snap: dict) -> None:
    final, disp = snap["result"]["final"], snap["result"]["display"]
    st.subheader(f"Results on the {plural(len(disp['held_out']), 'held-out pieces')} (never trained on)")
    st.markdown(f"**{music.verdict(final)}**")
    warn_small(len(disp["held_out"]), "pieces")
    st.caption(
        f"Trained on {disp['train_pieces']} pieces ({disp['train_tokens']:,} notes), vocabulary of"
        f" {disp['vocab_size']} tokens; {disp['unk_share']:.1%} of held-out notes were too rare to have"
        f" their own token. Markov smoothing alpha {disp['markov_alpha']:g}, chosen on training pieces."
    )
    compose_form(snap)
    gen = st.session_state.get(f"{P}_gen")
    if not gen or gen["run"] != snap["id"]:  # the melody the run composed when it finished
        gen = {
            "run": snap["id"],
            "bpm": BPM,
            "primer": disp["primer"],
            "events": disp["events"],
            "markov_events": disp["markov_events"],
            "measures": final["generated"],
            "markov_measures": disp["markov_generated"],
        }
    melody = gen["primer"] + gen["events"]
    fig, summary = piano_roll(melody, "The composed melody", len(gen["primer"]), gen["bpm"])
    st.plotly_chart(fig, width="stretch", key=f"{P}__roll")
    st.caption(summary)
    st.audio(wav_bytes(melody, gen["bpm"]), format="audio/wav")
    midi = write_midi(melody, gen["bpm"])
    st.download_button("Download as MIDI", midi, "melody.mid", "audio/midi", key=f"{P}__midi")
    table = pd.DataFrame(
        {
            "RNN melody": gen["measures"],
            "Markov melody": gen["markov_measures"],
            f"{disp['title']} (training pieces, mean)": final["corpus"],
        }
    ).T
    st.dataframe(table.rename(columns=MELODY_COLUMNS).style.format("{:.2f}"), width="stretch")
    st.caption(ml.MEASURES_HELP)
    st.markdown(ml.read_measures(gen["measures"], final["corpus"], disp["ref_name"]))
