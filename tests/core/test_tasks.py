"""Every task record: its tiny config trains, saves, reloads to the same outputs, and its recipe
parses back to the same config."""

from __future__ import annotations

import threading
from pathlib import Path

import numpy as np
import pytest

from core.cli import config_from_args, parser, recipe
from core.config import to_dict
from core.tasks import CLI_ORDER, COMPARE_ORDER, TASKS, load

ROOT = Path(__file__).resolve().parents[2]


def test_every_record_names_what_exists():
    assert sorted(CLI_ORDER) == sorted(COMPARE_ORDER) == sorted(TASKS)
    assert len({t.prefix for t in TASKS.values()}) == len(TASKS)
    for task in TASKS.values():
        assert (ROOT / task.page).is_file(), task.page
        assert task.config().train.epochs >= 1  # a config class with defaults
        for ref in (task.cli_flags, task.check, task.after):
            if ref:
                assert callable(load(ref)), ref
        assert task.runner.split(":")[1] == "train"


def test_the_registries_read_the_records():
    from core import execute, inspect_inputs, recipes, runs, runs_view
    from core.execute import RUNNERS

    assert RUNNERS == execute.RUNNERS == {t.name: t.runner for t in TASKS.values()}
    assert tuple(TASKS) == runs.TASKS
    assert {t.name: t.usage for t in TASKS.values()} == recipes.USAGE
    assert {t.name: t.title for t in TASKS.values()} == runs_view.TASK_NAMES
    assert set(inspect_inputs.ADAPTERS) == {t.name for t in TASKS.values() if t.adapter}


@pytest.mark.parametrize("name", list(TASKS))
def test_a_tiny_config_trains_saves_reloads_and_parses_back(name, tmp_path, monkeypatch):
    from core.execute import execute
    from core.runs import RunStore
    from core.tf import keras_module

    task = TASKS[name]
    cfg = task.tiny(tmp_path)
    assert isinstance(cfg, task.config)

    # The recipe's command line builds the same config again.
    args = recipe(name, to_dict(cfg))
    assert args[:4] == ["python", "-m", "core", name]
    assert config_from_args(task.config, parser().parse_args(args[3:])) == cfg

    # It trains in seconds, and the saved model is the trained one.
    keras = keras_module()
    saved = []
    original = keras.Model.save

    def save(model, path, *a, **kw):
        saved.append((model, Path(path)))
        return original(model, path, *a, **kw)

    monkeypatch.setattr(keras.Model, "save", save)
    store = RunStore()
    run_id = store.create(name, to_dict(cfg))
    status, result = execute(name, cfg, store, run_id, lambda kind, payload: None, threading.Event())
    assert status == "done" and store.get(run_id)["status"] == "done"
    assert result["final"] and (store.run_dir(run_id) / "model.keras").is_file()
    model, path = next((m, p) for m, p in saved if p.name == "model.keras")
    assert path == store.run_dir(run_id) / "model.keras"

    reloaded = keras.saving.load_model(path, safe_mode=True)
    x = _inputs(model)
    for ours, theirs in zip(_outputs(model, x), _outputs(reloaded, x), strict=True):
        np.testing.assert_allclose(ours, theirs, rtol=0, atol=1e-6)


def _inputs(model) -> list[np.ndarray]:
    """A batch of two for each of the model's inputs (raw strings for a model that reads text)."""
    rng = np.random.default_rng(0)
    out = []
    for tensor in model.inputs:
        shape = [2, *(5 if d is None else d for d in tensor.shape[1:])]
        dtype = str(tensor.dtype)
        if "string" in dtype:
            out.append(np.full(shape, "the film was great", dtype=object))
        elif "int" in dtype:
            out.append(rng.integers(0, 2, size=shape).astype(dtype))
        else:
            out.append(rng.normal(size=shape).astype(dtype))
    return out


def _outputs(model, x: list[np.ndarray]) -> list[np.ndarray]:
    from core.tf import keras_module

    tensors = [keras_module().ops.convert_to_tensor(v) for v in x]
    y = model(tensors if len(tensors) > 1 else tensors[0], training=False)
    return [np.asarray(v) for v in (y if isinstance(y, list | tuple) else [y])]
