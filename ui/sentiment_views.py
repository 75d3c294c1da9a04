"""Sentiment page pieces: the live accuracy chart, the results, and Try it with a trained model."""

from __future__ import annotations

import threading

import pandas as pd
import streamlit as st

from core import charts, reviews
from ui.data_notice import warn_small
from ui.panel import manager
from ui.sentiment_controls import P


@st.cache_resource(
    show_spinner="Loading the trained model (the first time loads TensorFlow, ~10 s)...", max_entries=3
)
def trained_model(run_dir: str):
    from core import sentiment

    return sentiment.load(run_dir)[0]


def try_it(run_dir: str) -> None:
    st.subheader("Try it: type a review")
    cols = st.columns(len(reviews.EXAMPLES))
    for col, (name, text) in zip(cols, reviews.EXAMPLES.items(), strict=True):
        col.button(
            name,
            key=f"{P}__ex_{name}",
            on_click=st.session_state.__setitem__,
            args=(f"{P}_try", text),
            help=f"Fill the box with a {name.lower()} example review.",
            width="stretch",
        )
    text = st.text_area(
        "Review",
        key=f"{P}_try",
        placeholder="e.g. not as funny as it thinks it is",
        help="Any English text; only words from the training vocabulary count.",
    )
    st.button("Read it", key=f"{P}__read", type="primary", help="Score the review word by word.")
    if not text.strip():
        st.info("Type a review or click an example, then press Read it.")
        return
    from core.sentiment import analyse

    a = analyse(trained_model(run_dir), text)
    if a["message"]:
        st.info(a["message"])
        return
    mood = "🙂 Looks positive" if a["positive"] >= 0.5 else "🙁 Looks negative"
    st.markdown(f"### {mood} ({a['positive']:.0%} positive)")
    if a["truncated"]:
        st.caption(f"Only the first {len(a['words'])} words were read (the model's limit).")
    figs = [
        charts.word_score_chart(a["words"], a["running"]),
        charts.word_influence_chart(a["words"], a["influence"], a["known"]),
    ]
    if a["attention"]:
        figs.append(charts.attention_chart(a["words"], a["attention"]))
    for i, (fig, summary) in enumerate(figs):
        st.plotly_chart(fig, width="stretch", key=f"{P}__word_chart_{i}")
        st.caption(summary)
    if a["lean"]:
        known = [(w, v) for w, v, k in zip(a["words"], a["lean"], a["known"], strict=True) if k]
        shown = ", ".join(f"'{w}' {v:+.1f}" for w, v in sorted(known, key=lambda wv: -abs(wv[1]))[:6])
        st.caption(
            "Beside each word the RNN also reads how much it leans positive (up to +3) or negative"
            f" (down to -3) in the training reviews. The strongest here: {shown}. The RNN decides"
            " how to combine them with the word order (see how 'not' changes the score above)."
        )


@st.cache_resource(show_spinner=False)
def tensorflow_warmup() -> threading.Thread:
    """Import TensorFlow here while the model trains, so Try it answers at once when it ends."""
    from core.tf import keras_module

    thread = threading.Thread(target=keras_module, name="sentiment-tf-warmup", daemon=True)
    thread.start()
    return thread


def live_accuracy(snap: dict) -> None:
    tensorflow_warmup()
    fig, summary = charts.accuracy_chart(snap["epochs"])
    st.plotly_chart(fig, width="stretch", key=f"{P}__acc_chart")
    st.caption(summary)


def show_result(snap: dict) -> None:
    final, disp = snap["result"]["final"], snap["result"]["display"]
    st.subheader(f"Results on the test split ({disp['sizes']['test']} reviews, never trained on)")
    st.markdown(f"**{disp['verdict']}**")
    warn_small(disp["sizes"]["test"], "reviews")
    table = pd.DataFrame([final["test"], final["baseline"]], index=["RNN", "TF-IDF + logistic regression"])
    plain = {
        "accuracy": "Accuracy (share of reviews right)",
        "f1": f"F1 score for {disp['label_names'][1]!r} (0 to 1)",
    }
    st.dataframe(table[["accuracy", "f1"]].rename(columns=plain).style.format("{:.3f}"), width="stretch")
    st.caption(
        f"F1 is for the label {disp['label_names'][1]!r}. {disp.get('kept', '')} The baseline's regularisation"
        f" (C = {disp['baseline_c']:g}) was chosen on the validation split too."
    )
    fig, summary = charts.confusion_chart(disp["confusion"], disp["label_names"])
    st.plotly_chart(fig, width="stretch", key=f"{P}__confusion")
    st.caption(summary)
    try_it(str(manager().store.run_dir(snap["id"])))
