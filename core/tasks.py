"""Every task in one place: one frozen `Task` record each.

A task is its config class, the function that trains it, what the command line checks
before TensorFlow loads, the script that reuses a saved run, its headline number in
words, the names people read, the page that shows it and a tiny config for tests.
Everything that differs by task reads its record here; code in other modules is named
in a record as "module:attribute" and loaded only when used, so this module imports no
task code (the store, the landing page and the command line's parser load it cheaply).

Adding a task: its module (a config class in core/config.py and `train(config, ctx)`),
its view, its page and one record below.
"""

from __future__ import annotations

import importlib
import random
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from core.config import (
    ArchitectureConfig,
    ForecastConfig,
    MemoryConfig,
    MusicConfig,
    SentimentConfig,
    TextConfig,
    TrainingConfig,
)
from core.numbers import plain_number


def load(ref: str) -> Any:
    """The attribute a "module:attribute" reference names, imported now."""
    module, attr = ref.split(":")
    return getattr(importlib.import_module(module), attr)


@dataclass(frozen=True)
class Task:
    name: str  # the name runs are stored under and the command line's sub-command
    config: type  # its frozen config class (core.config)
    runner: str  # "module:function": train(config, ctx) -> result
    title: str  # the name people read (the Runs page, its page's title)
    compare_title: str  # the name in the cell comparison of the "Inside the RNN" page
    page: str  # the page file that shows its runs
    prefix: str  # that page's widget-key prefix
    usage: str  # how a saved run is reused from Python, as a short standalone script
    cli_help: str  # the sub-command's help line
    cli_flags: str  # "module:function": add(subparser) the task's own options
    check: str = ""  # "module:function": check(config, args) the command line runs before TF loads
    after: str = ""  # "module:function": after(final, args, store, run_id) -> the JSON it prints
    adapter: str = ""  # "module:attribute": its InputAdapter for the hidden-state view
    fetched_data: str = ""  # the prefix of data names fetched by name (an imported run may use them)
    loss_name: str = "validation loss"  # the loss curve's label in the cell comparison
    result: Callable[[dict, dict], str] | None = None  # (final, test) -> the Runs table's words
    held_out: Callable[[dict, dict], str] | None = None  # (final, test) -> the comparison's words
    compare_preset: Callable[[], Any] | None = None  # small, quick settings for the cell comparison
    tiny: Callable[[Path], Any] | None = None  # folder -> a config that trains in seconds (tests)
    data_sets: tuple[str, ...] = ()  # its built-in data sets (core.datasets.REGISTRY names)
    # The held-out number its page reports, for ranking runs (the class board): final -> number,
    # what it is called, and whether a larger one is better.
    headline: Callable[[dict], float | None] | None = None
    headline_label: str = ""
    higher_is_better: bool = False

    def trainer(self) -> Callable:
        """The task's train(config, ctx), imported now."""
        return load(self.runner)


# --- headline numbers in words ------------------------------------------------------------
def _forecast_result(final: dict, test: dict) -> str:
    if isinstance(test.get("rnn"), dict):
        return f"mean error {plain_number(test['rnn'].get('mae'))} ({final.get('column', 'data units')})"
    return ""


def _text_result(final: dict, test: dict) -> str:
    return f"{plain_number(final['bits_per_char'])} bits per character" if "bits_per_char" in final else ""


def _music_result(final: dict, test: dict) -> str:
    return f"{plain_number(final['val_nll'])} nats per note" if "val_nll" in final else ""


def _forecast_held_out(final: dict, test: dict) -> str:
    if "rnn" in test:
        return f"test MAE {test['rnn']['mae']:.3g} (persistence {test['persistence']['mae']:.3g})"
    return ""


def _memory_held_out(final: dict, test: dict) -> str:
    return f"accuracy {test['accuracy']:.2f} (chance {test['chance']:.2f})" if "accuracy" in test else ""


def _number(value) -> float | None:
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None


def _at(final: dict, *path: str) -> float | None:
    node = final
    for key in path:
        node = node.get(key) if isinstance(node, dict) else None
    return _number(node)


# --- tiny configs: each trains in seconds on data it writes itself ----------------------------
_TINY_ARCH = ArchitectureConfig(units=4)
_TINY_TRAIN = TrainingConfig(epochs=1, batch_size=32, learning_rate=1e-2)


def _tiny_forecast(folder: Path) -> ForecastConfig:
    return ForecastConfig(
        data="synthetic", synthetic_length=300, lookback=5, arch=_TINY_ARCH, train=_TINY_TRAIN
    )


def _tiny_text(folder: Path) -> TextConfig:
    rng = random.Random(0)
    words = [
        "to",
        "be",
        "or",
        "not",
        "that",
        "is",
        "the",
        "question",
        "whether",
        "tis",
        "nobler",
        "in",
        "mind",
        "suffer",
    ]
    lines = [" ".join(rng.choice(words) for _ in range(8)).capitalize() + "." for _ in range(300)]
    path = folder / "tiny.txt"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")  # about 13,000 characters
    return TextConfig(data=str(path), seq_len=20, embed_dim=8, arch=_TINY_ARCH, train=_TINY_TRAIN)


def _tiny_sentiment(folder: Path) -> SentimentConfig:
    rng = random.Random(0)
    good, bad, plain = ["great", "moving", "fine"], ["dull", "awful", "flat"], ["the", "film", "plot", "was"]
    rows = ["text,label"]
    for i in range(120):
        lean = good if i % 2 else bad
        rows.append(" ".join(rng.choice(plain + lean) for _ in range(8)) + f",{i % 2}")
    path = folder / "tiny.csv"
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    return SentimentConfig(
        data=str(path),
        vocab=100,
        max_len=8,
        embed_dim=4,
        word_vectors=False,
        arch=_TINY_ARCH,
        train=_TINY_TRAIN,
    )


def _tiny_music(folder: Path) -> MusicConfig:
    from core.midi import write_midi

    songs = folder / "midi"
    songs.mkdir(exist_ok=True)
    scale = (0, 2, 4, 5, 7, 9, 11, 12)
    for k in range(3):
        events = [(60 + k + scale[i % len(scale)], 1.0) for i in range(48)]
        (songs / f"song{k}.mid").write_bytes(write_midi(events))
    train = TrainingConfig(epochs=1, batch_size=16, learning_rate=1e-2, val_fraction=0.2)
    return MusicConfig(data=str(songs), seq_len=8, embed_dim=4, generate=8, arch=_TINY_ARCH, train=train)


def _tiny_memory(folder: Path) -> MemoryConfig:
    return MemoryConfig(length=10, samples=300, arch=_TINY_ARCH, train=_TINY_TRAIN)


# --- the records ----------------------------------------------------------------------------
_FORECAST_USAGE = """
from core import forecasting

model, cfg, scaler = forecasting.load(RUN_DIR)
series = forecasting.load_series(cfg)  # the same data the run trained on
window = scaler.transform(series.values[-cfg.lookback :])[None]  # (1, lookback, features)
forecast = scaler.inverse_target(model.predict(window, verbose=0))[0]
print(f"next {cfg.horizon} value(s) of {series.columns[0]}:", forecast.round(3).tolist())
"""
_TEXT_USAGE = """
from core import textgen

generation = textgen.generate_saved(RUN_DIR, "ROMEO:", 400, temperature=0.8, seed=0)
print(generation.text)
"""
_MUSIC_USAGE = """
from core import music

melody = music.compose(RUN_DIR, primer=[], n=64, temperature=1.0, top_k=0, seed=0)
print(len(melody["events"]), "events; measures:", melody["measures"])
"""
_SENTIMENT_USAGE = """
from core import sentiment

model, cfg = sentiment.load(RUN_DIR)  # the model takes raw strings
for review in ["a gripping, beautifully acted film", "not funny, not moving, not worth it"]:
    print(f"{sentiment.analyse(model, review)['positive']:.3f} positive: {review}")
"""
_MEMORY_USAGE = """
import json

from core import memory
from core.tf import keras_module

cfg = json.loads(open(f"{RUN_DIR}/config.json").read())
model = keras_module().saving.load_model(f"{RUN_DIR}/model.keras", safe_mode=True)
x, y, _ = memory.long_test(cfg["length"], 1000, cfg["train"]["seed"])  # the run's long-memory test
print("accuracy on the long-memory test:", memory.accuracy(model, x, y))
"""

FORECAST = Task(
    headline=lambda f: _at(f, "test", "rnn", "mae"),
    headline_label="test mean error (MAE, data units)",
    higher_is_better=False,
    data_sets=("employment", "seattle", "synthetic", "stocks"),
    name="forecast",
    config=ForecastConfig,
    runner="core.forecasting:train",
    title="Forecasting",
    compare_title="Forecasting (synthetic temperatures)",
    page="app_pages/1_Forecasting.py",
    prefix="fc",
    usage=_FORECAST_USAGE,
    cli_help="forecast a time series",
    cli_flags="core.cli:forecast_flags",
    check="core.cli_steps:check_forecast",
    adapter="core.inspect_inputs:FORECAST",
    fetched_data="stocks:",
    loss_name="validation loss (mean squared error, scaled values)",
    result=_forecast_result,
    held_out=_forecast_held_out,
    compare_preset=lambda: ForecastConfig(data="synthetic", synthetic_length=1461, lookback=30),
    tiny=_tiny_forecast,
)
TEXT = Task(
    headline=lambda f: _at(f, "bits_per_char"),
    headline_label="bits per character on held-out text",
    higher_is_better=False,
    data_sets=("shakespeare",),
    name="text",
    config=TextConfig,
    runner="core.textgen:train",
    title="Shakespeare",
    compare_title="Shakespeare (characters)",
    page="app_pages/2_Shakespeare.py",
    prefix="tx",
    usage=_TEXT_USAGE,
    cli_help="learn a text character by character, then write more of it",
    cli_flags="core.cli:text_flags",
    check="core.cli_steps:check_text",
    after="core.cli_steps:after_text",
    adapter="core.inspect_inputs:TEXT",
    loss_name="validation loss (nats per character)",
    result=_text_result,
    tiny=_tiny_text,
)
SENTIMENT = Task(
    headline=lambda f: _at(f, "test", "accuracy"),
    headline_label="test accuracy",
    higher_is_better=True,
    data_sets=("mr", "imdb"),
    name="sentiment",
    config=SentimentConfig,
    runner="core.sentiment:train",
    title="Sentiment",
    compare_title="Sentiment (reviews)",
    page="app_pages/4_Sentiment.py",
    prefix="se",
    usage=_SENTIMENT_USAGE,
    cli_help="read the sentiment of movie reviews",
    cli_flags="core.cli:sentiment_flags",
    check="core.cli_steps:check_sentiment",
    after="core.cli_steps:after_sentiment",
    adapter="core.inspect_inputs:WORDS",
    tiny=_tiny_sentiment,
)
MUSIC = Task(
    headline=lambda f: _at(f, "val_nll"),
    headline_label="nats per note on held-out melodies",
    higher_is_better=False,
    data_sets=("bach", "folk"),
    name="music",
    config=MusicConfig,
    runner="core.music:train",
    title="Music",
    compare_title="Music (notes)",
    page="app_pages/3_Music.py",
    prefix="mu",
    usage=_MUSIC_USAGE,
    cli_help="learn melodies and compose new ones",
    cli_flags="core.cli:music_flags",
    check="core.cli_steps:check_music",
    after="core.cli_steps:after_music",
    result=_music_result,
    tiny=_tiny_music,
)
MEMORY = Task(
    headline=lambda f: _at(f, "test", "accuracy"),
    headline_label="accuracy on the long-memory test",
    higher_is_better=True,
    name="memory",
    config=MemoryConfig,
    runner="core.memory:train",
    title="Inside the RNN",
    compare_title="Long-memory toy task",
    page="app_pages/5_Inside_the_RNN.py",
    prefix="in",
    usage=_MEMORY_USAGE,
    cli_help="long-memory toy task: gradients before and after a short training",
    cli_flags="core.cli:memory_flags",
    adapter="core.inspect_inputs:MEMORY",
    loss_name="validation loss (cross-entropy, nats)",
    held_out=_memory_held_out,
    compare_preset=lambda: MemoryConfig(length=50, samples=4000),
    tiny=_tiny_memory,
)

# name -> record, in the order the store and its messages list them
TASKS: dict[str, Task] = {t.name: t for t in (FORECAST, TEXT, SENTIMENT, MUSIC, MEMORY)}
# The orders people see them in: the command line's help, and the cell comparison's choices.
CLI_ORDER = tuple(t.name for t in (FORECAST, SENTIMENT, TEXT, MUSIC, MEMORY))
COMPARE_ORDER = tuple(t.name for t in (MEMORY, FORECAST, TEXT, MUSIC, SENTIMENT))

TASK_CONFIGS: dict[str, type] = {t.name: t.config for t in TASKS.values()}
RUNNERS: dict[str, str] = {t.name: t.runner for t in TASKS.values()}
