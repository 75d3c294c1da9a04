"""Importing a run zip that someone else made: bounded, validated, all or nothing.

A zip from another person is untrusted. Its directory is checked before
anything is read (how many members, how large each says it is, the total, the
compression ratio), and every member is then streamed with the same limits
enforced on what actually comes out, so a member that lies about its size is
cut off. `run.json` is checked against a schema (types, a known task, a config
that builds) before any row exists. The files go to a hidden folder first and
the store adds the row, its epochs and the folder in one transaction.
"""

from __future__ import annotations

import csv
import dataclasses
import io
import json
import re
import shutil
import uuid
import zipfile
import zlib
from pathlib import Path

from core.config import ConfigError, from_dict, to_dict
from core.datasets import REGISTRY, DataError, data_dir
from core.runs import STATUSES, RunStore
from core.tasks import TASK_CONFIGS, TASKS

MAX_IMPORT_MB = 200  # the zip itself
MAX_MEMBERS = 64
MAX_MEMBER_MB = 100  # each member, uncompressed
MAX_TOTAL_MB = 250  # all members, uncompressed
MAX_RATIO = 100  # uncompressed / compressed, per member (text models compress ~5-20x)
MAX_RUN_JSON_KB = 256
MAX_EPOCHS_CSV_MB = 5
MAX_NAME = 100  # characters in a member's file name
MAX_TEXT = 2000  # characters in a free-text field of run.json
METRIC_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_.]{0,63}$")
MB = 1024 * 1024
CHUNK = 1024 * 1024
FINISHED = ("done", "stopped", "failed", "interrupted")


def _refuse(sentence: str) -> DataError:
    return DataError(f"{sentence} The run was not imported.")


def check_directory(z: zipfile.ZipFile) -> list[zipfile.ZipInfo]:
    """Refuse a zip from what its directory claims, before reading any member."""
    infos = z.infolist()
    if len(infos) > MAX_MEMBERS:
        raise _refuse(f"The zip holds {len(infos)} files; a run zip holds at most {MAX_MEMBERS}.")
    total = 0
    for info in infos:
        if len(info.filename) > MAX_NAME + len("files/"):
            raise _refuse(f"The zip holds a file name longer than {MAX_NAME} characters.")
        if info.file_size > MAX_MEMBER_MB * MB:
            raise _refuse(f"A file in the zip unpacks to more than {MAX_MEMBER_MB} MB.")
        if info.file_size > 1 * MB and info.file_size > MAX_RATIO * max(info.compress_size, 1):
            raise _refuse(f"A file in the zip is compressed more than {MAX_RATIO} times (a zip bomb?).")
        total += info.file_size
    if total > MAX_TOTAL_MB * MB:
        raise _refuse(f"The zip unpacks to more than {MAX_TOTAL_MB} MB.")
    return infos


def _stream(z: zipfile.ZipFile, info: zipfile.ZipInfo, out, limit: int) -> int:
    """Copy one member to `out` in chunks, cutting it off past what it claimed or `limit`."""
    cap = min(limit, info.file_size)
    written = 0
    with z.open(info) as src:
        while chunk := src.read(CHUNK):
            written += len(chunk)
            if written > cap:
                raise _refuse(
                    f"A file in the zip ({info.filename[:60]!r}) is larger than its directory says."
                )
            out.write(chunk)
    return written


def _read_small(z: zipfile.ZipFile, info: zipfile.ZipInfo, limit: int, what: str) -> bytes:
    if info.file_size > limit:
        raise _refuse(f"{what} is larger than {limit // 1024:,} KB.")
    buf = io.BytesIO()
    _stream(z, info, buf, limit)
    return buf.getvalue()


def _safe_leaf(name: str) -> str:
    leaf = name[len("files/") :]
    if "/" in leaf or "\\" in leaf or leaf in ("", ".", "..") or leaf.startswith(".") or "\x00" in leaf:
        raise DataError(f"The zip holds an unsafe file name ({name[:80]!r}); it was not imported.")
    return leaf


def _check_types(cls: type, data: dict, path: str = "config") -> None:
    """Every known key of a saved config has the type of the field's default (JSON could say "32"
    for 32, or nest a list where a number goes), checked before the config class sees it."""
    defaults = cls()
    kinds = {bool: (bool,), int: (int,), float: (int, float), str: (str,), tuple: (list, tuple)}
    for f in dataclasses.fields(cls):
        if f.name not in data:
            continue
        value, default = data[f.name], getattr(defaults, f.name)
        if dataclasses.is_dataclass(default):
            if not isinstance(value, dict):
                raise _refuse(f"run.json gives {path}.{f.name} as {type(value).__name__}, not an object.")
            _check_types(type(default), value, f"{path}.{f.name}")
            continue
        wanted = kinds.get(type(default))
        if wanted is None:
            continue
        if not isinstance(value, wanted) or (bool not in wanted and isinstance(value, bool)):
            raise _refuse(
                f"run.json gives {path}.{f.name} as {type(value).__name__}, not {type(default).__name__}."
            )
        if isinstance(value, list | tuple) and not all(isinstance(v, str | int | float) for v in value):
            raise _refuse(f"run.json gives {path}.{f.name} with values that are not plain text or numbers.")


def _check_data(task: str, data: str) -> None:
    """An imported config may name a built-in set or a file in the data directory, nothing else:
    Inside the RNN and the task pages read what it names."""
    if data in REGISTRY or data in ("seattle", "synthetic", "bach", "folk", "shakespeare", "mr", "imdb"):
        return
    prefix = TASKS[task].fetched_data  # stocks:TICKER, fetched by name
    if prefix and data.startswith(prefix) and "/" not in data:
        return
    try:
        inside = Path(data).resolve().is_relative_to(data_dir().resolve())
    except (OSError, ValueError):
        inside = False
    if not inside:
        raise _refuse("run.json names a data file outside the data directory.")


def validate_row(row) -> dict:
    """run.json as a dict the store can take, or DataError with the first thing wrong."""
    if not isinstance(row, dict):
        raise _refuse("run.json is not a JSON object.")
    task = row.get("task")
    if task not in TASK_CONFIGS:
        raise _refuse(f"run.json names no known task (one of {', '.join(TASK_CONFIGS)}).")
    if row.get("status") not in STATUSES:
        raise _refuse(f"run.json's status is not one of {', '.join(STATUSES)}.")
    config = row.get("config")
    if not isinstance(config, dict):
        raise _refuse("run.json's config is not a JSON object.")
    _check_types(TASK_CONFIGS[task], config)
    try:
        built = from_dict(TASK_CONFIGS[task], config)
    except (ConfigError, TypeError, ValueError, AttributeError) as exc:
        raise _refuse(f"run.json's config is not a valid {task} config ({str(exc)[:120]}).") from exc
    if hasattr(built, "data"):
        _check_data(task, built.data)
    clean = {"task": task, "config": to_dict(built), "status": row["status"]}
    for key in ("id", "data_name", "fingerprint", "error", "executor", "node"):
        value = row.get(key) or ""
        if not isinstance(value, str) or len(value) > MAX_TEXT:
            raise _refuse(f"run.json's {key} is not a text of at most {MAX_TEXT} characters.")
        clean[key] = value
    versions = row.get("versions") or {}
    if not isinstance(versions, dict) or not all(
        isinstance(k, str) and isinstance(v, str) and len(v) < 200 for k, v in versions.items()
    ):
        raise _refuse("run.json's versions are not library names with version texts.")
    clean["versions"] = versions
    final = row.get("final") or {}
    if not isinstance(final, dict):
        raise _refuse("run.json's final metrics are not a JSON object.")
    clean["final"] = final
    return clean


def _epochs(data: bytes) -> list[tuple[int, dict]]:
    try:
        rows = list(csv.DictReader(io.StringIO(data.decode("utf-8"))))
    except (UnicodeDecodeError, csv.Error) as exc:
        raise _refuse("epochs.csv is not readable CSV text.") from exc
    out = []
    for r in rows:
        if None in r or not all(METRIC_NAME.match(k or "") for k in r):
            raise _refuse("epochs.csv has a metric name that is not letters, digits, dots or underscores.")
        try:
            metrics = {k: float(v) for k, v in r.items() if v not in ("", None)}
            epoch = int(metrics.pop("epoch"))
        except (KeyError, ValueError) as exc:
            raise _refuse(
                "epochs.csv has a row without an epoch number or with a value that is not a number."
            ) from exc
        out.append((epoch, {"epoch": epoch, **metrics}))
    return out


def import_zip(store: RunStore, source: bytes | str | Path, owner: str = "") -> str:
    """Add an exported run to this store under a new id; returns the id. `source`: the zip's bytes
    or its path (a path is read member by member, never whole)."""
    size = len(source) if isinstance(source, bytes) else Path(source).stat().st_size
    if size > MAX_IMPORT_MB * MB:
        raise _refuse(f"The zip is larger than {MAX_IMPORT_MB} MB.")
    staging = store.files / f".import-{uuid.uuid4().hex[:8]}"
    try:
        with zipfile.ZipFile(io.BytesIO(source) if isinstance(source, bytes) else source) as z:
            infos = {i.filename: i for i in check_directory(z)}
            if "run.json" not in infos:
                raise DataError(
                    "This is not a run exported from RNN Studio (no run.json); it was not imported."
                )
            text = _read_small(z, infos["run.json"], MAX_RUN_JSON_KB * 1024, "run.json")
            try:
                row = json.loads(text)
            except (ValueError, RecursionError) as exc:
                raise _refuse("run.json is not readable JSON.") from exc
            clean = validate_row(row)
            epochs = []
            if "epochs.csv" in infos:
                epochs = _epochs(_read_small(z, infos["epochs.csv"], MAX_EPOCHS_CSV_MB * MB, "epochs.csv"))
            staging.mkdir()
            for name, info in infos.items():
                if not name.startswith("files/") or name.endswith("/"):
                    continue
                with open(staging / _safe_leaf(name), "wb") as out:
                    _stream(z, info, out, MAX_MEMBER_MB * MB)
    except (zipfile.BadZipFile, zlib.error, EOFError, NotImplementedError, RuntimeError) as exc:
        shutil.rmtree(staging, ignore_errors=True)
        # A bad CRC, an unknown compression method, an encrypted member or a truncated file.
        raise DataError(
            "This is not a run exported from RNN Studio, or the zip is damaged or uses a format this"
            f" app cannot read ({str(exc)[:80]}); it was not imported."
        ) from exc
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    status = clean["status"] if clean["status"] in FINISHED else "interrupted"
    final = dict(clean["final"], imported_from=clean["id"])
    return store.add_imported(clean, status, final, epochs, staging, owner=owner)
