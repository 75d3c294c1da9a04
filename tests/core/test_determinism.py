"""What sharing rests on: the same request trained twice gives identical weights and metrics,
for every task, on one machine with one thread count (as the training process runs them:
one after another in one process, each after clear_session and set_random_seed)."""

from __future__ import annotations

import threading
from pathlib import Path

import numpy as np
import pytest

from core.execute import train_in_dir
from core.tasks import TASKS

# measured times and speeds differ run to run, and "midi" is a path inside the run's own folder;
# everything else must be equal
TIMING = {
    "train_seconds",
    "chars_per_s",
    "generate_chars_per_s",
    "cpu_share",
    "elapsed",
    "lr_elapsed",
    "midi",
}


def _strip(value):
    if isinstance(value, dict):
        return {k: _strip(v) for k, v in value.items() if k not in TIMING}
    if isinstance(value, list | tuple):
        return [_strip(v) for v in value]
    return value


def _weights(run_dir: Path) -> list[np.ndarray]:
    from core.tf import keras_module

    model = keras_module().saving.load_model(run_dir / "model.keras", safe_mode=False)
    return [np.asarray(w) for w in model.get_weights()]


@pytest.mark.slow
@pytest.mark.parametrize("task", sorted(TASKS))
def test_the_same_request_trains_to_the_same_network(task, tmp_path):
    config = TASKS[task].tiny(tmp_path)
    outcomes = []
    for attempt in ("first", "second"):
        run_dir = tmp_path / attempt
        run_dir.mkdir()
        status, result = train_in_dir(task, config, run_dir, lambda kind, payload: None, threading.Event())
        assert status == "done"
        outcomes.append((_weights(run_dir), _strip(result["final"]), _strip(result.get("history", []))))
    (w1, f1, h1), (w2, f2, h2) = outcomes
    assert len(w1) == len(w2) and all(np.array_equal(a, b) for a, b in zip(w1, w2, strict=True))
    assert f1 == f2
    assert h1 == h2
