"""Music: learn melodies from Bach chorales, folk songs or your MIDI files, then compose and listen."""

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
from ui.panel import live_panel, manager, submit
from ui.state import shared_settings
from ui.widgets import architecture_controls, training_controls

P = "mu"
CAUSAL = ("Not for music: a melody is composed one note at a time, left to right, so the network"
          " may only read the notes before the one it predicts. A bidirectional layer reads ahead.")  # fmt: skip
st.set_page_config(page_title="Music · RNN Studio", page_icon="🎵", layout="wide")
st.title("🎵 Music")
st.caption("The RNN reads melodies note by note and learns to predict the next note; then it composes new ones.")  # fmt: skip


@st.cache_data(show_spinner="Reading the melodies...", max_entries=10)
def described(config_json: str) -> dict:
    return music.describe(from_dict(MusicConfig, json.loads(config_json)))


def data_controls() -> dict:
    names = {"bach": "Bach chorales", "folk": "German folk songs", "midi": "Your MIDI files"}
    source = st.radio("Melodies", list(names), format_func=names.get, horizontal=True, key=f"{P}_source",
                      help="Bach: the soprano line of his chorales. Folk: German songs from the Essen"
                      " collection. Yours: one or more MIDI files. Every melody is moved to C major or A minor.")  # fmt: skip
    if source != "midi":
        ds = REGISTRY[source]
        st.caption(f"{ds.description} Source: {ds.source}. Licence: {ds.licence}.")
        return {"data": source}
    ups = st.file_uploader("MIDI files", type=["mid", "midi"], accept_multiple_files=True, key=f"{P}_up",
                           help="One or several standard MIDI files, up to 4 MB each.")  # fmt: skip
    if not ups:
        st.info("Upload one or more MIDI files (.mid) to continue.")
        st.stop()
    raw = [u.getvalue() for u in ups]
    voices = read_midi(raw[0]).voices
    track = st.selectbox("Voice to learn", [-1, *range(len(voices))], key=f"{P}_track",
                         format_func=lambda i: "top voice (the highest note at each moment)" if i < 0
                         else f"voice {i + 1}: {voices[i].describe()}",
                         help="Which line becomes the melody; with several files, the same voice number in each.")  # fmt: skip
    path = mc.save_midi_uploads(raw)
    upload_names.remember(path, [u.name for u in ups])  # the Runs page lists them by these names
    return {"data": path, "track": track}


def draw_live(snap: dict) -> None:
    parse, sample = snap["extras"].get("parse"), snap["extras"].get("sample")
    if parse and parse["done"] < parse["total"] and snap["status"] == "running":
        st.progress(parse["done"] / parse["total"], text=f"Reading the {parse['corpus']} with music21:"
                    f" {parse['done']} of {parse['total']} files (once; later runs use the cache)")  # fmt: skip
    if sample:
        events = sample["primer"] + sample["events"]
        fig, summary = piano_roll(events, f"Composed after epoch {sample['epoch']} (same seed every epoch)",
                                  len(sample["primer"]))  # fmt: skip
        st.plotly_chart(fig, width="stretch", key=f"{P}__live_roll")
        st.caption(summary)


def compose_form(snap: dict) -> None:
    disp = snap["result"]["display"]
    held = {p["name"]: p for p in disp["held_out"]}
    with st.form(f"{P}__compose"):
        c1, c2, c3 = st.columns(3)
        start = c1.selectbox("Primer", ["(none)", *held, "(my MIDI file)"], index=1, key=f"{P}_g_primer",
                             help="The melody starts from the first bars of this held-out piece (never trained"
                             " on), of your MIDI file, or from nothing.")  # fmt: skip
        up = c1.file_uploader("Primer MIDI file", type=["mid", "midi"], key=f"{P}__g_primer_up",
                              help="Used when the primer is 'my MIDI file': its top voice, moved to C major or A minor.")  # fmt: skip
        bars = c2.slider("Primer bars", 1, 8, 2, key=f"{P}_g_bars", help="How many bars of the primer to play first.")  # fmt: skip
        length = c2.slider("Notes to compose", 16, 256, 64, 16, key=f"{P}_g_len", help="Notes and rests after the primer.")  # fmt: skip
        temp = c3.slider("Temperature", 0.1, 2.0, 1.0, 0.1, key=f"{P}_g_temp",
                         help="Below 1: safer, more repetitive choices. Above 1: bolder, stranger ones.")  # fmt: skip
        top_k = c3.slider("Top-k (0 = off)", 0, 40, 0, key=f"{P}_g_topk",
                          help="Choose only among the k likeliest next notes; 0 lets every note compete.")  # fmt: skip
        seed = c1.number_input("Sampling seed", 0, 10**6, 0, key=f"{P}_g_seed",
                               help="The same seed and settings compose the same melody.")  # fmt: skip
        bpm = c2.slider("Tempo (beats per minute)", 50, 180, 100, 5, key=f"{P}_g_bpm", help="How fast it is played.")  # fmt: skip
        composed = st.form_submit_button("Compose", type="primary", help="Compose a new melody with the trained network.")  # fmt: skip
    if composed:
        try:
            piece = None if start == "(none)" else held.get(start)
            if start == "(my MIDI file)":
                if up is None:
                    raise DataError("Choose a MIDI file for the primer, or another primer.")
                piece = mc.midi_piece(Path(mc.save_midi_uploads([up.getvalue()])))
            primer = ml.primer_tokens(piece, bars) if piece else []
            st.session_state[f"{P}_gen"] = {"run": snap["id"], "bpm": bpm, **music.compose(
                manager().store.run_dir(snap["id"]), primer, length, temp, top_k, int(seed))}  # fmt: skip
        except DataError as exc:
            st.error(str(exc))


def show_result(snap: dict) -> None:
    final, disp = snap["result"]["final"], snap["result"]["display"]
    st.subheader(f"Results on the {plural(len(disp['held_out']), 'held-out pieces')} (never trained on)")
    st.markdown(f"**{music.verdict(final)}**")
    warn_small(len(disp["held_out"]), "pieces")
    st.caption(f"Trained on {disp['train_pieces']} pieces ({disp['train_tokens']:,} notes), vocabulary of"
               f" {disp['vocab_size']} tokens; {disp['unk_share']:.1%} of held-out notes were too rare to have"
               f" their own token. Markov smoothing alpha {disp['markov_alpha']:g}, chosen on training pieces.")  # fmt: skip
    compose_form(snap)
    gen = st.session_state.get(f"{P}_gen")
    if not gen or gen["run"] != snap["id"]:  # the melody the run composed when it finished
        gen = {"run": snap["id"], "bpm": 100, "primer": disp["primer"], "events": disp["events"],
               "markov_events": disp["markov_events"], "measures": final["generated"],
               "markov_measures": disp["markov_generated"]}  # fmt: skip
    melody = gen["primer"] + gen["events"]
    fig, summary = piano_roll(melody, "The composed melody", len(gen["primer"]), gen["bpm"])
    st.plotly_chart(fig, width="stretch", key=f"{P}__roll")
    st.caption(summary)
    st.audio(wav_bytes(melody, gen["bpm"]), format="audio/wav")
    st.download_button("Download as MIDI", write_midi(melody, gen["bpm"]), "melody.mid", "audio/midi",
                       key=f"{P}__midi")  # fmt: skip
    table = pd.DataFrame({"RNN melody": gen["measures"], "Markov melody": gen["markov_measures"],
                          f"{disp['title']} (training pieces, mean)": final["corpus"]}).T  # fmt: skip
    st.dataframe(table.rename(columns=MELODY_COLUMNS).style.format("{:.2f}"), width="stretch")
    st.caption(ml.MEASURES_HELP)
    st.markdown(ml.read_measures(gen["measures"], final["corpus"], disp["ref_name"]))


try:
    with shared_settings(P):
        with st.container(border=True):
            data = data_controls()
        with st.form(f"{P}__form"):
            c1, c2 = st.columns(2)
            with c1:
                arch = architecture_controls(P, MusicConfig().arch, no_bidirectional=CAUSAL)
                seq = st.select_slider("Notes per training window", [16, 32, 64, 128], 64, key=f"{P}_seq",
                                       help="How many notes the network reads in one go while it learns.")  # fmt: skip
            with c2:
                train = training_controls(P, MusicConfig().train)
            clicked = st.form_submit_button("Train", type="primary", help="Start training in the background.")
    config = MusicConfig(**data, seq_len=seq, arch=arch, train=train)
    ready = config.data not in mc.CORPORA or mc.is_cached(config.data)
    prep = described(json.dumps(to_dict(config))) if ready else None
except (DataError, ValueError) as exc:
    st.error(f"{exc}")
    st.stop()

if clicked:  # before the note below, so a parse just started hides it
    submit(P, "music", config)
job = manager().snapshot(st.session_state.get(f"{P}__job", "")) or {}
if prep is None:
    if job.get("status") not in ("queued", "running"):  # a parse under way shows its own progress below
        st.info(
            f"The {mc.CORPORA[config.data].title} have not been read yet: the first training reads them"
            " with music21 (about 20 s on two free cores, once), with its progress below; later runs"
            " start at once."
        )
else:
    for note in prep["notes"]:
        st.caption(note)
    st.markdown(prep["text"])
    fig, summary = piano_roll(prep["piece"]["events"], prep["title"])
    st.plotly_chart(fig, width="stretch", key=f"{P}__preview")
    st.caption(summary)

live_panel(P, show_result, y_title="loss (nats per note)", draw_live=draw_live)
