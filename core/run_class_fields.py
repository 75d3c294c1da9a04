"""The run store's class-mode columns (schema 5): a display name, a lesson, the teacher's hidden
flag and the request's fingerprint. A part of `core.runs.RunStore` (a base class of it), kept apart
so the board and the sharing of identical requests never reach into the store's private methods."""

from __future__ import annotations

CLASS_COLUMNS = ("display_name", "lesson", "hidden", "request_key")


class ClassFields:
    """Mixed into RunStore, which gives `_write`, `_connect` and `_row`."""

    def set_class_fields(self, run_id: str, **values) -> None:
        """Set some of the class-mode columns of one run."""
        unknown = set(values) - set(CLASS_COLUMNS)
        if unknown:
            raise ValueError(f"not a class-mode column: {', '.join(sorted(unknown))}")
        if values:
            names = ", ".join(f"{k}=?" for k in values)
            self._write(f"UPDATE runs SET {names} WHERE id=?", (*values.values(), run_id))

    def set_owner_display_name(self, owner: str, name: str) -> None:
        """Put this display name on every run of one browser."""
        self._write("UPDATE runs SET display_name=? WHERE owner=?", (name, owner))

    def owner_display_name(self, owner: str) -> str:
        """The name this browser gave last, or ""."""
        with self._connect() as con:
            row = con.execute(
                "SELECT display_name FROM runs WHERE owner=? AND display_name != ''"
                " ORDER BY created DESC LIMIT 1",
                (owner,),
            ).fetchone()
        return row["display_name"] if row else ""

    def created_since(self, start: float) -> list[dict]:
        """Every run created at or after `start` (seconds since the epoch), oldest first."""
        with self._connect() as con:
            rows = con.execute("SELECT * FROM runs WHERE created >= ? ORDER BY created", (start,)).fetchall()
        return [self._row(r) for r in rows]

    def done_with_key(self, key: str, limit: int = 3) -> list[str]:
        """The ids of the newest finished runs with this request fingerprint."""
        with self._connect() as con:
            rows = con.execute(
                "SELECT id FROM runs WHERE request_key=? AND status='done' ORDER BY finished DESC LIMIT ?",
                (key, limit),
            ).fetchall()
        return [r["id"] for r in rows]
