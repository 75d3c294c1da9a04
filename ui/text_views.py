"""Shakespeare page pieces: live samples, the results, and writing with a trained model."""

from __future__ import annotations

import math
from dataclasses import asdict
from pathlib import Path

import streamlit as st

from core import textgen as tg
from core.charts import alternatives_chart, probability_lens_html, text_baseline_chart
from core.datasets import DataError
from ui.data_notice import warn_small
from ui.panel import manager
from ui.text_controls import P

BITS = ("bits per character", 1 / math.log(2))


def live_samples(snap: dict) -> None:
    """Drawn inside the polling fragment: the baseline to beat and the newest samples."""
    extras = snap["extras"]
    base = extras.get("baseline")
    if base:
        line = f"Baseline to beat: the {base['name']} scores **{base['val_loss']:.3f}** nats per character on the held-out text"
        vals = [e["val_loss"] for e in snap["epochs"] if "val_loss" in e]
        st.markdown(line + (f"; the RNN's latest validation loss is **{vals[-1]:.3f}**." if vals else "."))
    samples = extras.get("sample", {}).get("samples", [])
    if not samples:
        if snap["status"] == "running":
            st.caption("Samples of the network's writing appear here every few seconds while it trains.")
        return
    st.markdown("**Live samples**, newest first: what the network writes after a line break, as it learns")
    for s in reversed(samples[-3:]):
        st.caption(f"After {s['elapsed']:.0f} s of training (epoch {s['epoch']})")
        st.code(s["text"], language=None)
    if len(samples) > 3:
        with st.expander(f"{len(samples) - 3} earlier samples"):
            for s in reversed(samples[:-3]):
                st.caption(f"After {s['elapsed']:.0f} s (epoch {s['epoch']})")
                st.code(s["text"], language=None)


@st.cache_resource(max_entries=4, show_spinner=False)
def _generator(run_dir: str):
    stepper, vocab = tg.load_generator(Path(run_dir))
    return stepper.stack, vocab  # the weights; each call gets its own state


def generation_panel(prefix: str, run_dir: Path, run_id: str, vocab_size: int) -> None:
    st.subheader("Write with the trained model")
    with st.form(f"{prefix}__gen_form"):
        prompt = st.text_area(
            "Prompt",
            "ROMEO:\n",
            max_chars=tg.MAX_PROMPT,
            key=f"{prefix}_prompt",
            help="Text the model reads first, then continues. Leave it empty to start at a"
            " line break. Characters it never saw in training are left out (we say which).",
        )
        c1, c2, c3, c4 = st.columns(4)
        length = c1.number_input(
            "Length (characters)",
            0,
            tg.MAX_GENERATE,
            500,
            100,
            key=f"{prefix}_len",
            help=f"How many characters to write, 1 to {tg.MAX_GENERATE:,}.",
        )
        temperature = c2.slider(
            "Temperature",
            0.1,
            2.0,
            0.8,
            0.1,
            key=f"{prefix}_temp",
            help="Below 1 the model plays safe (common words, repeats); above 1 it takes"
            " risks (new words, misspellings).",
        )
        top_k = c3.number_input(
            "Top-k (0 = all)",
            0,
            vocab_size,
            0,
            key=f"{prefix}_topk",
            help="Pick only among the k likeliest characters at each step; 0 uses all.",
        )
        seed = c4.number_input(
            "Sampling seed",
            0,
            10**6,
            0,
            key=f"{prefix}_gseed",
            help="The same seed and settings write exactly the same text again.",
        )
        greedy = st.toggle(
            "Greedy (always the likeliest character)",
            False,
            key=f"{prefix}_greedy",
            help="No randomness: often gets stuck repeating a phrase, which shows why we sample.",
        )
        go = st.form_submit_button("Generate", help="Write with the model (a second or two).")
    if go:
        try:
            stack, vocab = _generator(str(run_dir))
            gen = tg.generate(
                tg.Stepper(stack),
                vocab,
                prompt,
                int(length),
                float(temperature),
                int(top_k),
                int(seed),
                bool(greedy),
            )
            st.session_state[f"{prefix}__gen"] = {
                "run": run_id,
                "temperature": float(temperature),
                **asdict(gen),
            }
        except DataError as exc:
            st.error(str(exc))
            return
    g = st.session_state.get(f"{prefix}__gen")
    if not g or g["run"] != run_id:
        return
    for note in g["notes"]:
        (st.warning if g["dropped"] else st.info)(note)
    st.markdown(
        f"**Written at temperature {g['temperature']:.1f}**, {len(g['text']):,} characters at"
        f" {g['chars_per_s']:,.0f} characters per second. Each character is shaded by the probability"
        " the model gave it (at temperature 1); hover for the number."
    )
    pos = st.slider(
        "Position to inspect",
        1,
        len(g["text"]),
        1,
        key=f"{prefix}_pos",
        help="Pick a character to see the five the model found likeliest there.",
    )
    body, summary = probability_lens_html(g["text"], g["probs"], pos - 1, prompt=g["prompt"])
    st.html(body)
    st.caption(summary)
    fig, summary = alternatives_chart(pos, g["text"][pos - 1], g["top"][pos - 1])
    st.plotly_chart(fig, width="stretch", key=f"{prefix}__alt_chart")
    st.caption(summary)


def show_result(snap: dict) -> None:
    final, disp = snap["result"]["final"], snap["result"]["display"]
    st.subheader("Results on the held-out text (the last part, never trained on)")
    st.markdown(
        f"**{tg.verdict(final['val_loss'], final['baseline'], final, snap['result'].get('stop_reason', ''))}**"
    )
    warn_small(disp["corpus"]["val_chars"], "characters")
    fig, summary = text_baseline_chart(
        final["val_loss"], disp["baseline"]["by_order"], disp["baseline"]["order"]
    )
    st.plotly_chart(fig, width="stretch", key=f"{P}__baseline_chart")
    st.caption(summary)
    st.caption(
        f"Both models score the held-out text ({disp['corpus']['val_chars']:,} characters) by how surprised"
        f" they are by each next character: nats per character, lower is better. The RNN reads it in passages"
        f" of up to {tg.VAL_PASSAGE:,} characters, its memory carried within each; the n-gram's order was"
        f" chosen on the training text. {final['epochs']} epoch(s) in {final['train_seconds']:.0f} s;"
        f" writing speed {final['generate_chars_per_s']:,} characters per second."
    )
    generation_panel(P, manager().store.run_dir(snap["id"]), snap["id"], disp["corpus"]["vocab_size"])
