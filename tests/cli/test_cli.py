"""The headless contract: JSON on the last stdout line, exit 2 with one line on bad input."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def run_cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "core", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        env=os.environ.copy(),
    )


@pytest.mark.slow
def test_forecast_prints_the_promised_json():
    out = run_cli(
        "forecast",
        "--data",
        "synthetic",
        "--epochs",
        "2",
        "--lookback",
        "10",
        "--units",
        "8",
        "--horizon",
        "3",
    )
    assert out.returncode == 0, out.stderr
    result = json.loads(out.stdout.strip().splitlines()[-1])
    assert result["task"] == "forecast" and result["horizon"] == 3 and result["epochs"] == 2
    assert set(result["test"]) == {"rnn", "persistence", "seasonal_naive", "linear"}
    for scores in result["test"].values():
        assert set(scores) == {"mae", "rmse", "mase"} and scores["mae"] > 0
    assert result["train_seconds"] > 0 and result["run_id"]
    assert "epoch 2:" in out.stderr


@pytest.mark.parametrize(
    "content,words",
    [
        ("", "empty"),
        ("a,b\n", "no data rows"),
        ("name\n" + "x\n" * 50, "no numeric column"),
        ("value\n" + "1\n" * 12, "too few"),
        ("value,word\n" + "".join(f"{i},w\n" for i in range(200)), "not numeric"),
    ],
)
def test_bad_csv_exits_2_with_one_line(tmp_path, content, words):
    path = tmp_path / "bad.csv"
    path.write_text(content)
    column = ["--column", "word"] if "word" in content else []
    out = run_cli("forecast", "--data", str(path), *column)
    assert out.returncode == 2
    lines = out.stderr.strip().splitlines()
    assert len(lines) == 1 and words in lines[0] and lines[0].startswith("error: ")
    assert out.stdout == ""


def test_bad_options_exit_2():
    assert run_cli("forecast", "--horizon", "99").returncode == 2
    assert run_cli("forecast", "--cell", "transformer").returncode == 2
    assert run_cli("forecast", "--data", "nope.csv").returncode == 2


def test_tensorflow_start_up_lines_are_held_back_and_other_stderr_passes(tmp_path):
    """A CPU machine's stderr used to open with "Could not find cuda drivers" and "failed call to cuInit"."""
    code = (
        "import os\n"
        "from core.tf import filtered_stderr, keras_module\n"
        "keras_module()\n"
        "with filtered_stderr():\n"
        "    os.write(2, b'a real warning\\n')\n"
    )
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "0"}  # even when a user asks for every log line
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert "cuda" not in out.stderr.lower() and "oneDNN" not in out.stderr and "absl" not in out.stderr
    assert "a real warning" in out.stderr
