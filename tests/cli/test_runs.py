"""Run store and recipes: reload in a fresh process, reproduce, export/import, delete, crash recovery."""

from __future__ import annotations

import json
import os
import shlex
import signal
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import numpy as np
import pytest

from core import recipes
from core.__main__ import config_from_args, parser, recipe
from core.config import ArchitectureConfig, ForecastConfig, TrainingConfig, to_dict
from core.datasets import DataError
from core.runs import RunStore

ROOT = Path(__file__).resolve().parents[2]
TINY_ARGS = [
    "--data",
    "synthetic",
    "--synthetic-length",
    "400",
    "--lookback",
    "10",
    "--units",
    "8",
    "--epochs",
    "3",
    "--learning-rate",
    "0.01",
    "--seed",
    "5",
]


def cli(*args: str) -> dict:
    out = subprocess.run(
        [sys.executable, "-m", "core", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        env=os.environ.copy(),
    )
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout.strip().splitlines()[-1])


PREDICT = """
import json, sys
import numpy as np
from core import forecasting as fc
model, cfg, scaler = fc.load(sys.argv[1])
p = fc.prepare(cfg)
print(json.dumps(model.predict(p.x[p.masks[2]], verbose=0).ravel().tolist()))
"""


def predictions_in_fresh_process(run_dir: Path) -> np.ndarray:
    out = subprocess.run(
        [sys.executable, "-c", PREDICT, str(run_dir)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        env=os.environ.copy(),
    )
    assert out.returncode == 0, out.stderr
    return np.array(json.loads(out.stdout.strip().splitlines()[-1]))


def test_text_and_sentiment_recipes_round_trip():
    from core.config import MusicConfig, SentimentConfig, TextConfig

    for task, cfg in [
        (
            "sentiment",
            SentimentConfig(attention=True, arch=ArchitectureConfig(bidirectional=False, units=16)),
        ),
        ("text", TextConfig(seq_len=50, lr_decay=False, sample_every_s=30, arch=ArchitectureConfig(units=8))),
        ("music", MusicConfig(data="folk", track=2, temperature=0.5, top_k=5, primer_bars=0)),
    ]:
        args = recipe(task, to_dict(cfg))
        assert config_from_args(type(cfg), parser().parse_args(args[3:])) == cfg


def test_recipe_round_trips_through_the_command_line():
    cfg = ForecastConfig(
        data="stocks:IBM",
        column="close",
        features=("open",),
        horizon=5,
        scaler="standard",
        arch=ArchitectureConfig(cell="gru", bidirectional=True, layer_norm=True, layers=2, dropout=0.1),
        train=TrainingConfig(epochs=7, reduce_on_plateau=True, budget_s=30, seed=9),
    )
    args = recipe("forecast", to_dict(cfg))
    assert args[:4] == ["python", "-m", "core", "forecast"]
    assert config_from_args(ForecastConfig, parser().parse_args(args[3:])) == cfg


@pytest.mark.slow
def test_run_reloads_reproduces_exports_and_deletes(tmp_path, store_db):
    first = cli("forecast", *TINY_ARGS)
    store = RunStore()
    row = store.get(first["run_id"])
    run_dir = store.run_dir(first["run_id"])

    # A fresh process reloads the model and predicts exactly what the run reported.
    fresh = predictions_in_fresh_process(run_dir)
    reported = np.array(store.result(first["run_id"])["display"]["predictions"]["rnn"]).ravel()
    scaler = json.loads((run_dir / "scaler.json").read_text())
    np.testing.assert_allclose(fresh * scaler["scale"][0] + scaler["offset"][0], reported, atol=1e-5)

    # The recipe retrains to the same final loss.
    command = recipes.recipe_command(row)
    again = cli(*shlex.split(command)[3:])
    losses = [store.epochs(r)[-1]["loss"] for r in (first["run_id"], again["run_id"])]
    assert abs(losses[0] - losses[1]) <= 1e-4

    # Export, import under a new id, predict the same.
    zip_path = tmp_path / "run.zip"
    cli("runs", "export", first["run_id"], "--out", str(zip_path))
    names = zipfile.ZipFile(zip_path).namelist()
    assert {
        "run.json",
        "epochs.csv",
        "recipe.sh",
        "use_model.py",
        "files/model.keras",
        "files/scaler.json",
    } <= set(names)
    imported = cli("runs", "import", str(zip_path))["imported"]
    assert imported != first["run_id"]
    np.testing.assert_allclose(predictions_in_fresh_process(store.run_dir(imported)), fresh, atol=1e-6)
    assert (
        len(store.epochs(imported)) == 3 and store.get(imported)["final"]["imported_from"] == first["run_id"]
    )
    shown = cli("runs", "show", imported, "--json")
    assert shown["recipe"] == command and shown["fingerprint"] == row["fingerprint"]
    assert row["executor"] == "local" and row["node"] and shown["node"] == row["node"]

    # Delete removes the rows and the files.
    cli("runs", "delete", first["run_id"])
    assert store.get(first["run_id"]) is None and store.epochs(first["run_id"]) == []
    assert not (store.files / first["run_id"]).exists()
    listed = cli("runs", "list", "--json")
    assert {r["id"] for r in listed} == {imported, again["run_id"]}


@pytest.mark.slow
def test_usage_script_runs_standalone(tmp_path):
    first = cli("forecast", *TINY_ARGS)
    store = RunStore()
    script = recipes.usage_script(store.get(first["run_id"]), str(store.run_dir(first["run_id"])))
    out = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, timeout=300
    )
    assert out.returncode == 0, out.stderr
    assert "next 1 value(s) of temperature" in out.stdout


def test_unsafe_or_foreign_zips_are_refused(tmp_path, store_db):
    store = RunStore()
    bad = tmp_path / "bad.zip"
    with zipfile.ZipFile(bad, "w") as z:
        z.writestr("run.json", json.dumps({"task": "forecast", "config": {}, "status": "done"}))
        z.writestr("files/../../evil.py", "print('pwned')")
    with pytest.raises(DataError, match="unsafe"):
        recipes.import_zip(store, bad.read_bytes())
    with pytest.raises(DataError, match="not a run"):
        recipes.import_zip(store, b"not a zip at all")
    assert store.list() == []


SERVER = """
import sys, time
from core.config import ForecastConfig, TrainingConfig
from core.jobs import JobManager
mgr = JobManager()
quick = mgr.submit("forecast", ForecastConfig(data="synthetic", synthetic_length=300, lookback=5,
                   train=TrainingConfig(epochs=1)))
mgr.wait(quick, 300)
slow = mgr.submit("forecast", ForecastConfig(data="synthetic", train=TrainingConfig(epochs=500, batch_size=8)))
while not mgr.snapshot(slow)["epochs"]:
    time.sleep(0.1)
print(quick, slow, mgr.backend.pid, flush=True)
time.sleep(600)
"""


@pytest.mark.slow
def test_sigkill_mid_training_marks_the_run_interrupted_and_keeps_finished_runs(store_db):
    proc = subprocess.Popen(
        [sys.executable, "-c", SERVER],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    quick, slow, worker_pid = proc.stdout.readline().split()
    store = RunStore()
    assert store.get(slow)["status"] == "running"
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    # The training process notices its server is gone and exits instead of training on.
    for _ in range(100):
        try:
            os.kill(int(worker_pid), 0)
        except ProcessLookupError:
            break
        time.sleep(0.1)
    else:
        pytest.fail("the training process outlived its server")
    RunStore()  # the server starts again
    assert store.get(slow)["status"] == "interrupted"
    done = store.get(quick)
    assert done["status"] == "done" and done["final"]["test"]["rnn"]["mae"] > 0
    assert (store.run_dir(quick) / "model.keras").exists()
