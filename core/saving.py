"""A run's files, written and read the same way by every task.

Each run's folder holds `model.keras` (the trained Keras model), `config.json` (the
task config, so the run can be repeated), `result.json` (what the page draws) and any
task companions (a scaler, a vocabulary) as `<name>.json`. Models are always loaded
with `safe_mode=True`: a file from an imported zip can never run code.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, TypeVar

from core.config import from_dict, to_dict

C = TypeVar("C")


def save_run(run_dir: Path, model, cfg, final: dict, display: dict, **companions: Any) -> None:
    run_dir = Path(run_dir)
    run_dir.mkdir(parents=True, exist_ok=True)
    model.save(run_dir / "model.keras")
    (run_dir / "config.json").write_text(json.dumps(to_dict(cfg), indent=2))
    for name, value in companions.items():
        (run_dir / f"{name}.json").write_text(json.dumps(value))
    (run_dir / "result.json").write_text(json.dumps({"final": final, "display": display}))


def read_companion(run_dir: Path, name: str) -> Any:
    return json.loads((Path(run_dir) / f"{name}.json").read_text())


def load_run(run_dir: Path, cls: type[C]) -> tuple[Any, C]:
    """(Keras model, config) of a saved run."""
    from core.tf import keras_module

    run_dir = Path(run_dir)
    model = keras_module().saving.load_model(run_dir / "model.keras", safe_mode=True)
    return model, from_dict(cls, read_companion(run_dir, "config"))
