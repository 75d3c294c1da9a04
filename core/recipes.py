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

from core.datasets import DataError
from core.runs import RunStore

MAX_IMPORT_MB = 200

# Per task: how a saved run is reused from Python, as a short standalone script.
USAGE = {
    "forecast": """
from core import forecasting

model, cfg, scaler = forecasting.load(RUN_DIR)
series = forecasting.load_series(cfg)  # the same data the run trained on
window = scaler.transform(series.values[-cfg.lookback :])[None]  # (1, lookback, features)
forecast = scaler.inverse_target(model.predict(window, verbose=0))[0]
print(f"next {cfg.horizon} value(s) of {series.columns[0]}:", forecast.round(3).tolist())
""",
    "text": """
from core import textgen

generation = textgen.generate_saved(RUN_DIR, "ROMEO:", 400, temperature=0.8, seed=0)
print(generation.text)
""",
    "music": """
from core import music

melody = music.compose(RUN_DIR, primer=[], n=64, temperature=1.0, top_k=0, seed=0)
print(len(melody["events"]), "events; measures:", melody["measures"])
""",
    "sentiment": """
from core import sentiment

model, cfg = sentiment.load(RUN_DIR)  # the model takes raw strings
for review in ["a gripping, beautifully acted film", "not funny, not moving, not worth it"]:
    print(f"{sentiment.analyse(model, review)['positive']:.3f} positive: {review}")
""",
    "memory": """
import json

from core import memory
from core.tf import keras_module

cfg = json.loads(open(f"{RUN_DIR}/config.json").read())
model = keras_module().saving.load_model(f"{RUN_DIR}/model.keras", safe_mode=True)
x, y, _ = memory.long_test(cfg["length"], 1000, cfg["train"]["seed"])  # the run's long-memory test
print("accuracy on the long-memory test:", memory.accuracy(model, x, y))
""",
}


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
    """One line of the runs table."""
    cfg = row["config"]
    arch = cfg.get("arch", {})
    model = ""
    if arch:
        name = {"simple": "SimpleRNN", "lstm": "LSTM", "gru": "GRU"}.get(arch.get("cell"), "?")
        bi = "Bi-" if arch.get("bidirectional") else ""
        model = f"{arch.get('layers', 1)}x {bi}{name}({arch.get('units')})"
    duration = (row["finished"] or time.time()) - row["started"] if row.get("started") else None
    return {
        "id": row["id"],
        "task": row["task"],
        "data": row.get("data_name") or cfg.get("data", ""),
        "model": model,
        "status": row["status"],
        "best": _best(row),
        "duration_s": round(duration, 1) if duration is not None else None,
        "created": time.strftime("%Y-%m-%d %H:%M", time.localtime(row["created"])),
        "seed": cfg.get("train", {}).get("seed"),
        "executor": row.get("executor") or "",
        "node": row.get("node") or "",
    }


def recipe_command(row: dict) -> str:
    from core.__main__ import recipe

    return shlex.join(recipe(row["task"], row["config"]))


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
    writer.writerow(["epoch", *keys])
    for e in epochs:
        writer.writerow([e["epoch"], *(e.get(k, "") for k in keys)])
    return out.getvalue()


def card(store: RunStore, row: dict) -> dict:
    """Everything needed to reproduce or audit a run."""
    return {
        **summary(row),
        "config": row["config"],
        "final": row["final"],
        "error": row["error"],
        "fingerprint": row["fingerprint"],
        "versions": row["versions"],
        "machine": row["versions"].get("machine", ""),
        "host": row["host"],
        "recipe": recipe_command(row),
        "files": sorted(p.name for p in store.run_dir(row["id"]).iterdir()),
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


def import_zip(store: RunStore, data: bytes) -> str:
    """Add an exported run to this store under a new id; returns the id."""
    if len(data) > MAX_IMPORT_MB * 1024 * 1024:
        raise DataError(f"The zip is larger than {MAX_IMPORT_MB} MB.")
    try:
        z = zipfile.ZipFile(io.BytesIO(data))
        names = z.namelist()
        row = json.loads(z.read("run.json"))
    except (zipfile.BadZipFile, KeyError, ValueError) as exc:
        raise DataError("This is not a run exported from RNN Studio (no readable run.json).") from exc
    files = {}
    for name in names:
        if not name.startswith("files/") or name.endswith("/"):
            continue
        leaf = name[len("files/") :]
        if "/" in leaf or "\\" in leaf or leaf in ("", ".", "..") or leaf.startswith("."):
            raise DataError(f"The zip holds an unsafe file name ({name!r}); it was not imported.")
        files[leaf] = z.read(name)
    if not isinstance(row, dict) or not {"task", "config", "status"} <= row.keys():
        raise DataError("run.json is missing the task, config or status of the run.")
    epochs = []
    rows = list(csv.DictReader(io.StringIO(z.read("epochs.csv").decode()))) if "epochs.csv" in names else []
    for r in rows:
        epochs.append({k: float(v) for k, v in r.items() if v not in ("", None)})
    new_id = store.create(row["task"], row["config"], data_name=row.get("data_name", ""))
    store.start(new_id, fingerprint=row.get("fingerprint", ""), versions=row.get("versions") or {},
                executor=row.get("executor") or "local", node=row.get("node") or "")  # fmt: skip
    for e in epochs:
        epoch = int(e.pop("epoch"))
        store.add_epoch(new_id, epoch, {"epoch": epoch, **e})
    folder = store.run_dir(new_id)
    for leaf, content in files.items():
        (folder / leaf).write_bytes(content)
    status = row["status"] if row["status"] in ("done", "stopped", "failed") else "interrupted"
    final = dict(row.get("final") or {}, imported_from=row.get("id", ""))
    store.finish(new_id, status, final=final, error=row.get("error", ""))
    return new_id
