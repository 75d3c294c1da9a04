"""How the Runs page reads a run: plain column names with units, and which runs compare.

The table used the store's own names (`val_loss`, `duration_s`, a sha256 path) and
numbers such as 1.2e-05; a teacher reads "Result on held-out data" with its unit.
Runs compare on one chart only when they share a task and data: a loss on another
data set is on another scale.
"""

from __future__ import annotations

from core.numbers import plain_number
from core.recipes import summary
from core.tasks import TASKS

# summary key -> header; the order is the table's. The run id starts with the date and time it
# was made and the seed is on the run's card, so neither takes a column: the table fits 1440 px.
COLUMNS = {
    "id": "Run",
    "task": "Task",
    "data": "Data",
    "model": "Network",
    "status": "Status",
    "result": "Result on held-out data",
    "duration_s": "Training time (s)",
    "where": "Trained on",
}
TASK_NAMES = {t.name: t.title for t in TASKS.values()}


def result(row: dict) -> str:
    """The run's headline number on held-out data, in words with its unit."""
    final, task = row.get("final") or {}, row["task"]
    test = final.get("test") if isinstance(final.get("test"), dict) else {}
    record = TASKS.get(task)
    if record and record.result and (words := record.result(final, test)):
        return words
    if isinstance(test.get("accuracy"), int | float):
        return f"{test['accuracy']:.1%} correct"
    if isinstance(final.get("val_loss"), int | float):
        return f"validation loss {plain_number(final['val_loss'])}"
    return ""


def table_row(row: dict) -> dict:
    s = summary(row)
    where = s["executor"] or "this computer"
    where = "this computer" if where == "local" else where
    if where.startswith("ray"):  # "ray 10.0.0.5:6379": the cluster's address
        where = f"Ray cluster {where[4:]}".strip()
    s.update(
        task=TASK_NAMES.get(s["task"], s["task"]),
        result=result(row),
        where=f"{where} ({s['node']})" if s["node"] else where,
    )
    return {header: s[key] for key, header in COLUMNS.items()}


def data_key(row: dict) -> tuple[str, str]:
    """(task, data): runs compare on one chart only when both match."""
    return row["task"], row.get("data_name") or str((row.get("config") or {}).get("data", ""))


def compare_groups(rows: list[dict]) -> list[tuple[str, list[str]]]:
    """Picked runs grouped by task and data, largest group first: (title, run ids)."""
    groups: dict[tuple[str, str], list[str]] = {}
    for row in rows:
        groups.setdefault(data_key(row), []).append(row["id"])
    ordered = sorted(groups.items(), key=lambda kv: -len(kv[1]))
    return [(f"{TASK_NAMES.get(t, t)} on {d}" if d else TASK_NAMES.get(t, t), ids) for (t, d), ids in ordered]
