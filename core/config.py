"""Frozen configuration dataclasses shared by every task.

A config is plain data: it is saved as JSON next to each model, travels to the
training worker (or, later, to another machine) and is rebuilt with
`Config.from_dict(saved)`. Validation happens in `__post_init__`, so an invalid
combination can never reach the model builder.
"""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass, field
from typing import Any, ClassVar, TypeVar

from core.errors import ConfigError  # re-exported: pages and tests import it here

CELLS = ("simple", "lstm", "gru")
# Each cell's display name, also the Keras layer class that builds it.
CELL_NAMES = {"simple": "SimpleRNN", "lstm": "LSTM", "gru": "GRU"}
OPTIMIZERS = ("adam", "rmsprop", "sgd")
SCALERS = ("minmax", "standard")
POOLINGS = ("last", "max_mean")
PREDICTS = ("change", "level")
MISSING = ("interpolate", "drop")


def setting(default, help: str = "", choices: tuple | None = None, nargs: str | None = None):
    """A config field and what the command line says of it: `core.cli` gives every field an
    option `--name-with-dashes` whose default is the field's, with this help and these choices."""
    return field(default=default, metadata={"help": help, "choices": choices, "nargs": nargs})


def _check(cond: bool, message: str) -> None:
    if not cond:
        raise ConfigError(message)


@dataclass(frozen=True)
class ArchitectureConfig:
    """The recurrent stack: which cell, how wide, how deep, how regularised."""

    cell: str = setting("lstm", "the recurrent cell", CELLS)
    units: int = setting(32, "numbers in each layer's hidden state")
    layers: int = setting(1, "recurrent layers stacked")
    bidirectional: bool = setting(False, "also read each sequence backwards")
    dropout: float = setting(0.0, "share of each layer's outputs hidden at random while training")
    recurrent_dropout: float = setting(0.0, "share of the hidden state hidden at random while training")
    l2: float = setting(0.0, "weight penalty (0: none)")
    layer_norm: bool = setting(False, "normalise each layer's outputs")

    def __post_init__(self) -> None:
        _check(self.cell in CELLS, f"cell must be one of {', '.join(CELLS)}, not {self.cell!r}")
        _check(1 <= self.units <= 1024, "units must be between 1 and 1024")
        _check(1 <= self.layers <= 4, "layers must be between 1 and 4")
        _check(0.0 <= self.dropout < 1.0, "dropout must be in [0, 1)")
        _check(0.0 <= self.recurrent_dropout < 1.0, "recurrent dropout must be in [0, 1)")
        _check(self.l2 >= 0.0, "the L2 penalty cannot be negative")

    def summary(self) -> str:
        name = CELL_NAMES[self.cell]
        bi = "Bi-" if self.bidirectional else ""
        return f"{self.layers}x {bi}{name}({self.units})"


@dataclass(frozen=True)
class TrainingConfig:
    """How the model is fitted. Zero means "off" for clip_norm, patience and budget_s."""

    epochs: int = setting(20, "passes over the training data")
    batch_size: int = setting(32, "sequences per training step")
    learning_rate: float = setting(1e-3, "step size of the optimiser")
    optimizer: str = setting("adam", "the optimiser", OPTIMIZERS)
    clip_norm: float = setting(1.0, "largest gradient norm (0: no clipping)")
    patience: int = setting(0, "stop after this many epochs without a better validation loss (0: never)")
    reduce_on_plateau: bool = setting(False, "halve the learning rate when the validation loss stalls")
    val_fraction: float = setting(0.15, "share of the training data held out for validation")
    seed: int = setting(0, "the same seed trains the same model")
    budget_s: float = setting(
        0.0, "stop after this many seconds of training, not counting the held-out scoring (0: no limit)"
    )

    def __post_init__(self) -> None:
        _check(1 <= self.epochs <= 1000, "epochs must be between 1 and 1000")
        _check(1 <= self.batch_size <= 4096, "batch size must be between 1 and 4096")
        _check(0.0 < self.learning_rate <= 1.0, "learning rate must be in (0, 1]")
        _check(self.optimizer in OPTIMIZERS, f"optimizer must be one of {', '.join(OPTIMIZERS)}")
        _check(self.clip_norm >= 0.0, "clip norm cannot be negative (0 turns clipping off)")
        _check(self.patience >= 0, "patience cannot be negative (0 turns early stopping off)")
        _check(0.0 < self.val_fraction < 0.5, "validation fraction must be in (0, 0.5)")
        _check(self.budget_s >= 0.0, "time budget cannot be negative (0 means no budget)")


@dataclass(frozen=True)
class ForecastConfig:
    """A forecasting job: which series, how it is windowed and split, and the model."""

    data: str = setting("employment", "employment, seattle, synthetic, stocks:TICKER or FILE.csv")
    column: str = setting("", "the column to forecast")
    date_column: str = setting("", "the column of dates (default: found from the values, if any)")
    detect_date: bool = setting(True, "look for a column of dates when --date-column is not given")
    group_column: str = setting(
        "", "a file of several series stacked on repeated dates: the column that tells them apart"
    )
    group_value: str = setting("", "which of those series (default: the first)")
    features: tuple[str, ...] | None = setting(
        None, "extra input columns (default: the data set's suggestion; --features alone: none)", nargs="*"
    )
    calendar: bool = setting(
        True, "time of day, day of week and day of year as extra inputs, where there are dates"
    )
    predict: str = setting(
        "change", "change: from the window's last value; level: the value itself", PREDICTS
    )
    highway: bool = setting(True, "add a linear path from the window to the forecast")
    # Chosen on validation splits only (seeds 0-2, 2026-12-01; MAE of the RNN / best baseline):
    # - US jobs (nonfarm, the default): predicting the change took the RNN from 5.2x the best
    #   baseline (levels) to 0.83x, the frozen linear highway to 0.80x; look-back 14 beat 12.
    # - Seattle temp_max: change + calendar inputs took it from 2.60 to 1.99 deg C, about the
    #   linear model (2.00: the two tie on test too), so it is not the default. temp_min as an
    #   extra input beat none (1.95 vs 1.99) and tied all three weather columns.
    lookback: int = setting(14, "steps of the past the model reads")
    horizon: int = setting(1, "how many steps ahead it predicts")
    scaler: str = setting("minmax", "how values are scaled before training", SCALERS)
    # A quarter of the series: US jobs (120 months) keeps 30 of them for the test, enough to judge
    # (at 15% it was 18, and the page rightly warned that so few cannot judge a model).
    test_fraction: float = setting(0.25, "share of the series, at its end, kept for the test")
    season: int = setting(0, "seasonal period in steps (0: detect)")
    missing: str = setting("interpolate", "what to do with missing values", MISSING)
    synthetic_length: int = setting(1461, "days of synthetic data")
    synthetic_amplitude: float = setting(10.0, "the synthetic season's amplitude")
    synthetic_noise: float = setting(2.0, "the synthetic series' noise")
    arch: ArchitectureConfig = field(default_factory=ArchitectureConfig)
    # Up to 40 epochs, keeping the weights of the best validation epoch (5 epochs' patience).
    train: TrainingConfig = field(default_factory=lambda: TrainingConfig(epochs=40, patience=5))
    # Runs saved before these settings existed trained without them: reproducing them must too.
    ABSENT: ClassVar[dict] = {
        "detect_date": False,
        "calendar": False,
        "predict": "level",
        "highway": False,
        "features": (),
    }

    def __post_init__(self) -> None:
        _check(
            self.predict in PREDICTS, f"predict must be one of {', '.join(PREDICTS)}, not {self.predict!r}"
        )
        _check(2 <= self.lookback <= 365, "look-back window must be between 2 and 365 steps")
        _check(1 <= self.horizon <= 30, "horizon must be between 1 and 30 steps")
        _check(self.scaler in SCALERS, f"scaler must be one of {', '.join(SCALERS)}")
        _check(0.05 <= self.test_fraction <= 0.4, "test fraction must be between 0.05 and 0.4")
        _check(self.season >= 0, "season cannot be negative (0 detects it)")
        _check(self.missing in MISSING, "missing must be interpolate or drop")
        _check(100 <= self.synthetic_length <= 20000, "synthetic length must be 100-20000")
        _check(self.synthetic_noise >= 0.0, "noise cannot be negative")
        if self.features is not None:
            object.__setattr__(self, "features", tuple(self.features))


@dataclass(frozen=True)
class SentimentConfig:
    """A sentiment job: which reviews, how words become numbers, and the classifier."""

    data: str = setting("mr", "mr, imdb (downloads about 17 MB once) or FILE.csv")
    text_column: str = setting("", "the CSV column with the texts (default: guessed)")
    label_column: str = setting("", "the CSV column with two label values (default: guessed)")
    # The most frequent words of the training split; the rest are "unknown".
    vocab: int = setting(10000, "vocabulary size (words)")
    max_len: int = setting(40, "words read per review; longer ones are cut")
    embed_dim: int = setting(64, "numbers per word")
    word_dropout: float = setting(0.25, "share of words hidden at random while training")
    attention: bool = setting(False, "attention over every word's output instead of the last state")
    pooling: str = setting(
        "last", "without attention: the state after the last word, or max and mean over all words", POOLINGS
    )
    # PPMI-SVD vectors of the training split; the lean is a naive-Bayes ratio.
    word_vectors: bool = setting(
        True, "start the embedding from word vectors learned from the training split"
    )
    word_polarity: bool = setting(
        True, "also read how much each word leans positive or negative in the training split"
    )
    # Runs saved before a setting existed trained without it: reproducing them must too.
    ABSENT: ClassVar[dict] = {"word_polarity": False}
    test_fraction: float = setting(0.15, "share of the reviews kept for the test")
    split_seed: int = setting(0, "which reviews go to the test")
    # Measured on MR (issue 5): a small bidirectional GRU with strong dropout overfits
    # least; MR's 7,500 training sentences make a wide network memorise within 2 epochs.
    # Chosen on the validation split (mean of seeds 0 and 1): word vectors from the training
    # split and 64 numbers per word took it from 0.767 to 0.774-0.776; batch 256 at a learning
    # rate of 4e-3 keeps that in ~35 s of fitting instead of ~60 s with batch 128 (the 90 s
    # budget includes TensorFlow's start). Max+mean pooling (0.763), 32 units (0.768) and
    # less word dropout (0.1: 0.769), dropout 0.4 (0.769), vocabulary 20,000 (0.772) and
    # 30 words per review (0.773) scored lower; learning rate 3e-3 tied (0.7743). Adding each
    # word's lean in the training split beside its vector took validation accuracy from 0.771
    # to 0.777 (mean of seeds 0-4; a lean scaled to +-3); a lexicon that a package ships (VADER)
    # in its place scored lower (0.769, seeds 0-1), and so did an average of two networks (0.769).
    arch: ArchitectureConfig = field(
        default_factory=lambda: ArchitectureConfig(cell="gru", units=16, bidirectional=True, dropout=0.5)
    )
    train: TrainingConfig = field(
        default_factory=lambda: TrainingConfig(epochs=8, batch_size=256, learning_rate=4e-3)
    )

    def __post_init__(self) -> None:
        _check(100 <= self.vocab <= 100_000, "vocabulary size must be between 100 and 100,000 words")
        _check(5 <= self.max_len <= 1000, "maximum length must be between 5 and 1,000 words")
        _check(4 <= self.embed_dim <= 512, "embedding size must be between 4 and 512")
        _check(0.0 <= self.word_dropout < 0.9, "word dropout must be in [0, 0.9)")
        _check(
            self.pooling in POOLINGS, f"pooling must be one of {', '.join(POOLINGS)}, not {self.pooling!r}"
        )
        _check(0.05 <= self.test_fraction <= 0.4, "test fraction must be between 0.05 and 0.4")
        _check(self.split_seed >= 0, "the split seed cannot be negative")


# Small enough to train in about 20 s on two cores: a demo, not the best accuracy.
SENTIMENT_QUICK = SentimentConfig(
    vocab=5000,
    max_len=25,
    embed_dim=16,
    word_dropout=0.0,
    arch=ArchitectureConfig(cell="gru", units=8, bidirectional=True, dropout=0.2),
    train=TrainingConfig(epochs=2, batch_size=128, learning_rate=3e-3),
)


SHORT_RUN_S = 90.0  # a text run with a time budget up to this trains without output dropout
AUTO_DROPOUT = 0.2


def _text_arch() -> ArchitectureConfig:
    return ArchitectureConfig(cell="gru", units=256)


def _text_train() -> TrainingConfig:
    # Measured on Tiny Shakespeare (2 shared cores): in 60 s, learning rate 1e-2 reached 1.84
    # nats/char and 3e-3 2.14. Batch 64 trains 3x more characters per second than batch 32
    # (14.7k vs 4.7k: each time step has a fixed TensorFlow cost), which the 60 s run needs.
    return TrainingConfig(epochs=20, batch_size=64, learning_rate=1e-2, val_fraction=0.1)


@dataclass(frozen=True)
class TextConfig:
    """A character-level text job: which text, how it is cut into sequences, and the model.

    The held-out split is the last `train.val_fraction` of the text (10% by default).
    """

    data: str = setting("shakespeare", "shakespeare or FILE.txt (UTF-8, else Latin-1)")
    seq_len: int = setting(100, "characters per training sequence")
    embed_dim: int = setting(64, "size of each character's embedding")
    sample_temperature: float = setting(0.8, "temperature of the live samples written while training")
    sample_every_s: float = setting(20.0, "seconds between live samples")
    # After 80% of the run (by its budget or its epochs), and after 48 s at most (HOLD_S).
    lr_decay: bool = setting(
        True,
        "near the end of the run (after 80% of it, 48 s at most), lower the learning rate linearly to 10%",
    )
    # Output dropout, one mask per sequence (a mask per character made the XLA step 4x slower),
    # 2026-12-01, GRU 256, 300 s: none 1.526 nats/char (memorised), 0.2 1.488, 0.35 1.499; in 30 s
    # 0.2 cost 0.03: AUTO_DROPOUT for long runs. Embeddings ~ N(0, embed_init^2), 2026-12-02, 60 s,
    # seeds 0, 1: Keras's uniform +-0.05 1.650, 1.666; 0.5 1.643; 1.0 1.611, 1.639; 2.0 1.623
    # (large inputs move the gates from the first step). Old runs trained without either.
    ABSENT: ClassVar[dict] = {"output_dropout": 0.0, "embed_init": 0.0}
    embed_init: float = setting(
        1.0, "spread (standard deviation) of the characters' starting embeddings (0: Keras's uniform +-0.05)"
    )
    output_dropout: float = setting(
        -1.0,
        "share of the network's outputs hidden while training, the same ones for a whole"
        f" sequence (-1: none for runs of {SHORT_RUN_S:.0f} s or less, which end before the model"
        f" memorises the text, {AUTO_DROPOUT} for longer ones)",
    )
    arch: ArchitectureConfig = field(default_factory=_text_arch)
    train: TrainingConfig = field(default_factory=_text_train)

    def __post_init__(self) -> None:
        _check(
            not self.arch.bidirectional,
            "text generation cannot use a bidirectional network: it writes one character at a time"
            " and a backward reading would need the characters it has not written yet",
        )
        _check(10 <= self.seq_len <= 500, "sequence length must be between 10 and 500 characters")
        _check(4 <= self.embed_dim <= 512, "embedding size must be between 4 and 512")
        _check(0.0 <= self.embed_init <= 10.0, "the embeddings' starting spread must be between 0 and 10")
        _check(0.1 <= self.sample_temperature <= 2.0, "sample temperature must be between 0.1 and 2.0")
        _check(5.0 <= self.sample_every_s <= 600.0, "samples come every 5 to 600 seconds")
        _check(
            self.output_dropout == -1.0 or 0.0 <= self.output_dropout < 0.9,
            "output dropout must be -1 (automatic) or between 0 and 0.9",
        )

    def dropout_rate(self) -> float:
        """The output dropout this run trains with (the automatic choice resolved)."""
        if self.output_dropout >= 0:
            return self.output_dropout
        short = 0 < self.train.budget_s <= SHORT_RUN_S
        return 0.0 if short else AUTO_DROPOUT


def _music_arch() -> ArchitectureConfig:
    # Measured on the Bach chorales (2 cores, 20 epochs): GRU(128) reached a held-out NLL of 2.08 nats
    # per note in about 55 s, LSTM(128) 2.24 in about the same time, LSTM(256) 2.22 in four times as long.
    return ArchitectureConfig(cell="gru", units=128)


def _music_train() -> TrainingConfig:
    return TrainingConfig(epochs=20, batch_size=32, learning_rate=3e-3, val_fraction=0.1)


@dataclass(frozen=True)
class MusicConfig:
    """A melody job: which corpus, how notes become training windows, how a melody is sampled.

    `train.val_fraction` is the share of pieces held out (10% by default): the
    validation loss, the held-out NLL and the primers all come from those pieces.
    """

    data: str = setting("bach", "bach, folk, FILE.mid or a folder of .mid files")
    track: int = setting(-1, "MIDI voice to learn, counted from 0 (-1: the top voice of every track)")
    seq_len: int = setting(64, "notes per training window")
    embed_dim: int = setting(64, "numbers per note")
    generate: int = setting(64, "notes (and rests) to compose")
    temperature: float = setting(1.0, "0: always the likeliest note; high is bold")
    top_k: int = setting(0, "sample among the k likeliest notes (0: all)")
    sample_seed: int = setting(0, "the same seed composes the same melody")
    primer_bars: int = setting(2, "bars of a held-out piece that start the melody (0: none)")
    arch: ArchitectureConfig = field(default_factory=_music_arch)
    train: TrainingConfig = field(default_factory=_music_train)

    def __post_init__(self) -> None:
        _check(
            not self.arch.bidirectional,
            "bidirectional is not available for music: a melody is composed one note at a time,"
            " left to right, and a bidirectional layer reads notes that do not exist yet",
        )
        _check(self.track >= -1, "track must be -1 (the top voice) or a voice number from 0")
        _check(8 <= self.seq_len <= 512, "the training window must be between 8 and 512 notes")
        _check(2 <= self.embed_dim <= 256, "the note embedding size must be between 2 and 256")
        _check(1 <= self.generate <= 2000, "generate between 1 and 2000 notes")
        _check(0.0 <= self.temperature <= 5.0, "temperature must be between 0 (greedy) and 5")
        _check(self.top_k >= 0, "top-k cannot be negative (0 keeps every note)")
        _check(0 <= self.primer_bars <= 16, "the primer must be between 0 and 16 bars")


def _memory_arch() -> ArchitectureConfig:
    return ArchitectureConfig(cell="lstm", units=32)


def _memory_train() -> TrainingConfig:
    return TrainingConfig(epochs=5, batch_size=64, learning_rate=3e-3)


@dataclass(frozen=True)
class MemoryConfig:
    """The long-memory toy task: remember the sign of one marked number among `length` random ones."""

    length: int = setting(50, "steps per sequence (the memory distance)")
    # Above 1 the gradients explode, below 1 they vanish.
    recurrent_scale: float = setting(1.0, "multiplies the initial recurrent weights")
    samples: int = setting(4000, "training sequences")
    arch: ArchitectureConfig = field(default_factory=_memory_arch)
    train: TrainingConfig = field(default_factory=_memory_train)

    def __post_init__(self) -> None:
        _check(5 <= self.length <= 500, "sequence length must be between 5 and 500 steps")
        _check(0.0 < self.recurrent_scale <= 10.0, "recurrent weight scale must be in (0, 10]")
        _check(200 <= self.samples <= 100_000, "training sequences must be between 200 and 100000")


C = TypeVar("C")

_NESTED = {"arch": ArchitectureConfig, "train": TrainingConfig}


def to_dict(config: Any) -> dict:
    return dataclasses.asdict(config)


def from_dict(cls: type[C], data: dict) -> C:
    """Rebuild a config saved with `to_dict`, ignoring keys a newer version dropped."""
    names = {f.name for f in dataclasses.fields(cls)}
    kwargs = {k: v for k, v in getattr(cls, "ABSENT", {}).items() if k not in data}
    for key, value in data.items():
        if key not in names:
            continue
        if key in _NESTED and isinstance(value, dict):
            value = from_dict(_NESTED[key], value)
        elif isinstance(value, list):
            value = tuple(value)
        kwargs[key] = value
    return cls(**kwargs)


def to_json(config: Any) -> str:
    return json.dumps(to_dict(config), sort_keys=True)
