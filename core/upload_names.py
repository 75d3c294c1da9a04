"""The name a person gave an uploaded file, beside the file stored under its sha256.

The stored file's name is its hash (a user's file name never becomes a path), so the
Runs page listed uploads by a 64-digit hash. The original name is kept in a small
side file and copied into each run's metadata when the run is submitted.
"""

from __future__ import annotations

from pathlib import Path

MAX_NAMES = 20  # names listed for a folder of several files


def _side(path: Path) -> Path:
    return path.with_name(path.name + ".name")


def remember(stored: str | Path, names: str | list[str]) -> str:
    """Keep the uploaded name(s) of a stored file or folder (the latest upload's names win).

    Returns the stored path as a string, the form a config's `data` takes."""
    names = [names] if isinstance(names, str) else list(names)
    clean = [" ".join(str(n).split())[:120] for n in names if str(n).strip()]
    if clean:
        _side(Path(stored)).write_text("\n".join(clean[:MAX_NAMES]) + "\n", encoding="utf-8")
    return str(stored)


def label(data: str) -> str:
    """How a run's data reads in a table: the uploaded name(s), else the data as given."""
    side = _side(Path(data)) if data else None
    if side is None or not side.is_file():
        return data
    names = side.read_text(encoding="utf-8").split("\n")[:-1]
    if len(names) == 1:
        return f"{names[0]} (uploaded)"
    shown = ", ".join(names[:3]) + (", ..." if len(names) > 3 else "")
    return f"{len(names)} uploaded files: {shown}"
