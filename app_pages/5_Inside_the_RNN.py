"""Inside the RNN: the hidden state step by step, in a trained model, and why gates help.

The page never imports TensorFlow when it loads: buttons that need Keras load it
then, and every training runs as jobs in the training process, which starts on
the first training click (or earlier, from the landing page) rather than here, so
that a visit to section 1 does not load TensorFlow twice on a small machine.
"""

from __future__ import annotations

import streamlit as st

from ui.inside_training import compare_cells, gradients
from ui.inside_views import step_by_step, trained_state
from ui.lessons import lesson_box

st.set_page_config(page_title="Inside the RNN · RNN Studio", page_icon="🔬", layout="wide")
st.title("🔬 Inside the RNN")
st.markdown(
    "A recurrent network reads a sequence one step at a time and keeps a **hidden state**: a short list"
    " of numbers that is its memory of everything read so far. This page opens it up: first one step"
    " at a time, then in a trained model, then why some memories fade and how gates fix that."
)
lesson = lesson_box("in")  # a guided lesson (?lesson=ID) sets the controls below

st.header("1. The hidden state, step by step")
st.markdown(
    "A tiny network reads a word, one letter per step. Press **Next** to watch each step's calculation:"
    " the same small recipe, repeated, turns the letter and the old memory into a new memory. The"
    " weights come from a real Keras layer, and the page checks that this copy gives the same numbers."
)
step_by_step()

st.header("2. The hidden state of a trained model")
st.markdown(
    "Pick a model trained on any page and give it something to read. The heatmap shows every unit of"
    " its memory at every step. Some units learn to track something simple (being inside quotes, the"
    " position in a line, a rising temperature): sort the units by a feature to find them."
)
trained_state()

st.header("3. Vanishing and exploding gradients")
st.markdown(
    "The task: a list of T random numbers, one of them marked; at the end, say whether the marked"
    " number was positive. Learning this means connecting the answer to an input far back. Networks"
    " learn by following *gradients*, and those fade, or blow up, as they travel back through the steps."
)
gradients()

st.header("4. SimpleRNN, LSTM and GRU side by side")
st.markdown(
    "The same task, data, random seed and memory size for all three cell types, trained one after the"
    " other in the background. Compare how fast the error falls, how many weights each needs and what"
    " an epoch costs."
)
compare_cells()
lesson.finish()  # the step's check, over what this run of the page computed
