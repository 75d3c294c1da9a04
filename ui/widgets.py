"""Controls every training page shares: the architecture and the training settings.

Each function draws widgets keyed by the page's prefix and returns a config
dataclass, so a page never re-implements a slider and a setting means the
same thing everywhere.
"""

from __future__ import annotations

import streamlit as st

from core.config import CELL_NAMES, ArchitectureConfig, TrainingConfig

# The cell menu's order: LSTM first.
CELL_LABELS = {cell: CELL_NAMES[cell] for cell in ("lstm", "gru", "simple")}


def architecture_controls(
    prefix: str, defaults: ArchitectureConfig | None = None, no_bidirectional: str = ""
) -> ArchitectureConfig:
    """`no_bidirectional`: why this task cannot read backwards; the toggle is then off and says why."""
    d = defaults or ArchitectureConfig()
    st.markdown("**Network**")
    c1, c2 = st.columns(2)
    cell = c1.selectbox(
        "Cell type",
        list(CELL_LABELS),
        index=list(CELL_LABELS).index(d.cell),
        format_func=CELL_LABELS.get,
        key=f"{prefix}_cell",
        help="How each step updates the memory. SimpleRNN is the plain version and forgets fast;"
        " LSTM and GRU have gates that decide what to keep, so they remember longer.",
    )
    units = c2.select_slider(
        "Units per layer",
        options=[4, 8, 16, 32, 64, 128, 256],
        value=d.units,
        key=f"{prefix}_units",
        help="How many numbers the memory (hidden state) holds. More units can learn more but train slower.",
    )
    layers = c1.slider(
        "Layers",
        1,
        4,
        d.layers,
        key=f"{prefix}_layers",
        help="Recurrent layers stacked on top of each other; each reads the sequence the layer below writes.",
    )
    dropout = c2.slider(
        "Dropout",
        0.0,
        0.5,
        d.dropout,
        0.05,
        key=f"{prefix}_dropout",
        help="Randomly hides this share of inputs while training so the network cannot memorise; 0 turns it off.",
    )
    bidirectional = st.toggle(
        "Bidirectional",
        d.bidirectional and not no_bidirectional,
        key=f"{prefix}_bi",
        disabled=bool(no_bidirectional),
        help=no_bidirectional
        or "Also read each sequence backwards and combine both readings. Useful when the whole"
        " sequence is known up front (a review); it doubles the work.",
    )
    with st.expander("More network settings"):
        rdrop = st.slider(
            "Recurrent dropout",
            0.0,
            0.5,
            d.recurrent_dropout,
            0.05,
            key=f"{prefix}_rdrop",
            help="Dropout on the memory connections between steps. Much slower: it disables the fast kernel.",
        )
        l2 = st.select_slider(
            "L2 weight penalty",
            options=[0.0, 1e-5, 1e-4, 1e-3, 1e-2],
            value=d.l2,
            key=f"{prefix}_l2",
            help="Pushes weights towards zero to fight overfitting; 0 turns it off.",
        )
        norm = st.toggle(
            "Layer normalisation between layers",
            d.layer_norm,
            key=f"{prefix}_norm",
            help="Rescales each layer's outputs so deep stacks train more steadily.",
        )
    return ArchitectureConfig(
        cell=cell,
        units=units,
        layers=layers,
        bidirectional=bidirectional,
        dropout=dropout,
        recurrent_dropout=rdrop,
        l2=l2,
        layer_norm=norm,
    )


def training_controls(prefix: str, defaults: TrainingConfig | None = None) -> TrainingConfig:
    d = defaults or TrainingConfig()
    st.markdown("**Training**")
    c1, c2 = st.columns(2)
    epochs = c1.slider(
        "Epochs",
        1,
        200,
        d.epochs,
        key=f"{prefix}_epochs",
        help="How many times the network sees the whole training split.",
    )
    budget_note = c1.empty()  # filled below, once the time budget's value is known
    batch = c2.select_slider(
        "Batch size",
        options=[8, 16, 32, 64, 128, 256],
        value=d.batch_size,
        key=f"{prefix}_batch",
        help="How many examples it looks at before each small weight update. Bigger is faster per"
        " epoch but makes fewer updates.",
    )
    lr = c1.select_slider(
        "Learning rate",
        options=[1e-4, 3e-4, 1e-3, 2e-3, 3e-3, 4e-3, 1e-2, 3e-2],
        value=d.learning_rate,
        key=f"{prefix}_lr",
        help="How big each weight update is. Too big and the loss jumps around; too small and it crawls.",
    )
    seed = c2.number_input(
        "Random seed",
        0,
        10**6,
        d.seed,
        key=f"{prefix}_seed",
        help="Fixes the random starting weights and shuffling: the same seed gives the same result.",
    )
    with st.expander("More training settings"):
        optimizer = st.selectbox(
            "Optimizer",
            ["adam", "rmsprop", "sgd"],
            index=["adam", "rmsprop", "sgd"].index(d.optimizer),
            key=f"{prefix}_opt",
            help="The rule that turns gradients into weight updates. Adam is a safe default.",
        )
        clip = st.select_slider(
            "Gradient clip norm",
            options=[0.0, 0.5, 1.0, 5.0],
            value=d.clip_norm,
            key=f"{prefix}_clip",
            help="Caps the size of each update so exploding gradients cannot wreck training; 0 turns it off.",
        )
        patience = st.slider(
            "Early-stopping patience",
            0,
            20,
            d.patience,
            key=f"{prefix}_patience",
            help="Stop when the validation loss has not improved for this many epochs and keep the"
            " best weights; 0 turns it off.",
        )
        plateau = st.toggle(
            "Halve the learning rate on plateaus",
            d.reduce_on_plateau,
            key=f"{prefix}_plateau",
            help="When the validation loss stalls, take smaller steps.",
        )
        val = st.slider(
            "Validation share",
            0.05,
            0.3,
            d.val_fraction,
            0.05,
            key=f"{prefix}_val",
            help="The share of data held back to check the model while it trains (never trained on).",
        )
        budget = st.number_input(
            "Time budget (seconds, 0 = none)",
            0,
            3600,
            int(d.budget_s),
            key=f"{prefix}_budget",
            help="Stop training after this many seconds, whatever the epoch count. The few seconds"
            " spent checking the model on the held-back data after each epoch are not counted.",
        )
    if budget:
        # A preset's 50 epochs with a 35 s budget ends on time, after about one epoch: say so here.
        budget_note.caption(
            f"Time budget {budget} s: training stops after {epochs} epochs or {budget} s, whichever comes"
            " first (More training settings)."
        )
    return TrainingConfig(
        epochs=epochs,
        batch_size=batch,
        learning_rate=lr,
        optimizer=optimizer,
        clip_norm=clip,
        patience=patience,
        reduce_on_plateau=plateau,
        val_fraction=val,
        seed=int(seed),
        budget_s=float(budget),
    )
