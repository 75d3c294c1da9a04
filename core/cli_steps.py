"""What the command line does per task around training: each task's record names its steps.

A check runs before TensorFlow loads, so bad input fails in a second with one line; an
after-step adds to the JSON the command line prints (a text's sample, a review's reading,
a copy of the composed melody).
"""

from __future__ import annotations

import argparse
import sys

from core.cli import UsageError


def check_forecast(config, a: argparse.Namespace) -> None:
    from core.forecasting import prepare

    p = prepare(config)  # check the data before TensorFlow loads
    if p.series.date_column:
        print(
            f"dates: column {p.series.date_column!r} ({p.series.date_how}), {p.series.freq or 'irregular'}",
            file=sys.stderr,
        )
    for note in p.series.notes:
        print(f"note: {note}", file=sys.stderr)
    print(f"season: {p.season} steps ({p.season_how})", file=sys.stderr)


def check_text(config, a: argparse.Namespace) -> None:
    from core.textgen import check_generation, prepare

    check_generation(a.generate, a.temperature, a.top_k)
    prepare(config)


def check_music(config, a: argparse.Namespace) -> None:
    from core.music import prepare as prepare_music

    prepare_music(config, _print_parse)  # parse (once) and check the data before TensorFlow loads
    if a.out and not a.out.lower().endswith((".mid", ".midi")):
        raise UsageError("--out must name a .mid file")


def check_sentiment(config, a: argparse.Namespace) -> None:
    if config.data != "imdb":  # IMDB needs Keras to load
        from core.reviews import prepare

        prepare(config)


def after_text(final: dict, a: argparse.Namespace, store, run_id: str) -> dict:
    """Write --generate characters with the saved model, as the page would."""
    from core import textgen

    gen = textgen.generate_saved(
        store.run_dir(run_id), a.prompt, a.generate, a.temperature, a.top_k, a.sample_seed, a.greedy
    )
    for note in gen.notes:
        print(f"note: {note}", file=sys.stderr, flush=True)
    return dict(final, sample=gen.text, generate_chars_per_s=round(gen.chars_per_s))


def after_music(final: dict, a: argparse.Namespace, store, run_id: str) -> dict:
    """--out: a copy of the composed melody."""
    if not a.out:
        return final
    import shutil
    from pathlib import Path

    shutil.copyfile(final["midi"], a.out)
    return dict(final, midi=str(Path(a.out).resolve()))


def after_sentiment(final: dict, a: argparse.Namespace, store, run_id: str) -> dict:
    prediction = _prediction(store, run_id, a.predict) if a.predict is not None else None
    return {k: final[k] for k in ("task", "test", "baseline")} | {
        "prediction": prediction,
        "train_seconds": final["train_seconds"],
        "run_id": run_id,
    }


def _print_parse(done: int, total: int) -> None:
    from core.music_corpus import parse_line

    if line := parse_line(done, total):  # every 25 files, and the parse time at the end
        print(line, file=sys.stderr, flush=True)


def _text_sample(a, run_dir) -> dict:
    """Write --generate characters with the saved model, as the page would."""
    from core import textgen

    gen = textgen.generate_saved(
        run_dir, a.prompt, a.generate, a.temperature, a.top_k, a.sample_seed, a.greedy
    )
    for note in gen.notes:
        print(f"note: {note}", file=sys.stderr, flush=True)
    return {"sample": gen.text, "generate_chars_per_s": round(gen.chars_per_s)}


def _prediction(store, run_id: str, text: str) -> dict:
    """--predict: the saved model, reloaded from the run's folder, reads the text word by word."""
    from core import sentiment

    model, _ = sentiment.load(store.run_dir(run_id))
    analysis = sentiment.analyse(model, text)
    if analysis["message"]:
        print(f"note: {analysis['message']}", file=sys.stderr)
    return {"text": text, "positive": analysis.get("positive"), "per_word": sentiment.per_word(analysis)}
