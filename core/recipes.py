"""What a stored run can be turned into: a summary row, a reproducibility card,
a command line that retrains it, a script that reuses it, a zip that travels.

A zip holds `run.json` (the store's row), `epochs.csv`, `recipe.sh`,
`use_model.py` and `files/` (the model and its companions). Importing checks
every name in it, so a crafted zip cannot write outside the run's folder, and
models inside are only ever loaded with `safe_mode=True`.
"""

from __future__ import annotations

import csv
import io
import json
import shlex
import time
import zipfile

from core.config import CELL_NAMES
from core.datasets import DataError
from core.runs import RunStore
from core.tasks import TASKS

# Per task: how a saved run is reused from Python, as a short standalone script.
USAGE = {t.name: t.usage for t in TASKS.values()}


def _best(row: dict, epochs: list[dict] | None = None) -> str:
    final = row.get("final") or {}
    for key in ("val_loss", "val_nll"):
        if isinstance(final.get(key), int | float):
            return f"{key} {final[key]:.4g}"
    test = final.get("test")
    if isinstance(test, dict) and isinstance(test.get("accuracy"), int | float):
        return f"test accuracy {test['accuracy']:.3f}"
    return ""


def summary(row: dict) -> dict:
    """One line of the runs table (a damaged row says so in its model column)."""
    cfg = row["config"]
    arch = cfg.get("arch", {})
    model = ""
    if arch:
        name = CELL_NAMES.get(arch.get("cell"), "?")
        bi = "Bi-" if arch.get("bidirectional") else ""
        model = f"{arch.get('layers', 1)}x {bi}{name}({arch.get('units')})"
    started, finished = row.get("started"), row.get("finished")
    duration = None
    if isinstance(started, int | float) and started:
        duration = (finished if isinstance(finished, int | float) and finished else time.time()) - started
    return {
        "id": row["id"],
        "task": str(row["task"]),
        "data": str(row.get("data_name") or cfg.get("data", "")),
        "model": f"damaged: {row['damaged']}" if row.get("damaged") else model,
        "status": str(row["status"]),
        "best": _best(row),
        "duration_s": round(duration, 1) if duration is not None else None,
        "created": time.strftime("%Y-%m-%d %H:%M", time.localtime(row["created"])),
        "seed": cfg.get("train", {}).get("seed") if isinstance(cfg.get("train"), dict) else None,
        "executor": row.get("executor") or "",
        "node": row.get("node") or "",
    }


def recipe_command(row: dict) -> str:
    from core.cli import recipe

    if row.get("damaged"):
        return ""
    try:
        return shlex.join(recipe(row["task"], row["config"]))
    except (KeyError, TypeError, ValueError, AttributeError):
        return ""  # settings this version cannot express on the command line


def usage_script(row: dict, run_dir: str = "files") -> str:
    body = USAGE.get(row["task"])
    if body is None:
        return ""
    return (
        f'"""Reload RNN Studio run {row["id"]} ({row["task"]}) and use it.\n\n'
        "Run it from the RNN Studio folder (it imports `core`), with RUN_DIR the folder\n"
        'that holds model.keras and its companions (the "files" folder of an export)."""\n\n'
        f"RUN_DIR = {run_dir!r}\n" + body
    )


def metrics_csv(store: RunStore, run_id: str) -> str:
    epochs = store.epochs(run_id)
    keys = sorted({k for e in epochs for k in e} - {"epoch"})
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["epoch", *(_cell(k) for k in keys)])
    for e in epochs:
        writer.writerow([e["epoch"], *(_cell(e.get(k, "")) for k in keys)])
    return out.getvalue()


def _cell(value):
    """A CSV cell a spreadsheet shows as text: one starting with = + - @ (or a tab or return) would
    run as a formula, and imported runs bring names and values from someone else's file."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value


def card(store: RunStore, row: dict) -> dict:
    """Everything needed to reproduce or audit a run."""
    return {
        **summary(row),
        "config": row["config"],
        "final": row["final"],
        "error": row["error"],
        "fingerprint": row["fingerprint"],
        "versions": row["versions"],
        "machine": str(row["versions"].get("machine", "")),
        "host": row["host"],
        "recipe": recipe_command(row),
        "files": sorted(p.name for p in store.run_dir(row["id"]).iterdir()),
        "damaged": row.get("damaged", ""),
    }


def export_zip(store: RunStore, run_id: str) -> bytes:
    row = store.get(run_id)
    if row is None:
        raise DataError(f"No run with id {run_id!r}.")
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("run.json", json.dumps(row, indent=2))
        z.writestr("epochs.csv", metrics_csv(store, run_id))
        z.writestr("recipe.sh", recipe_command(row) + "\n")
        script = usage_script(row)
        if script:
            z.writestr("use_model.py", script)
        for path in sorted(store.run_dir(run_id).iterdir()):
            if path.is_file():
                z.write(path, f"files/{path.name}")
    return buf.getvalue()


def import_zip(store: RunStore, data: bytes | str, owner: str = "") -> str:
    """Add an exported run to this store under a new id (see core.run_import); returns the id."""
    from core.run_import import import_zip as bounded_import

    return bounded_import(store, data, owner=owner)
