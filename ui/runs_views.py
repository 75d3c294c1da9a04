"""The Runs page's one-run view: the reproducibility card, downloads, delete, and the import box.

Text in a run (its data name, error, library versions, an imported run's every field)
may come from someone else's file, so it is drawn as plain text, never Markdown: a
link or an image in it would otherwise work on everyone's page.
"""

from __future__ import annotations

import json

import streamlit as st

from core import recipes
from core.datasets import DataError
from core.runs import ACTIVE, RunStore
from core.storage_errors import user_message
from ui.owner import is_teacher, owner_id
from ui.panel import TASK_PAGES, open_run

P = "ru"


def _delete(store: RunStore, rid: str) -> None:
    """A callback, so it runs before the widgets that show the deleted run are drawn."""
    try:
        store.delete(rid, owner=owner_id(), teacher=is_teacher())
    except DataError as exc:
        st.session_state[f"{P}__delete_error"] = str(exc)
        return
    st.session_state[f"{P}__picked"] = [r for r in st.session_state.get(f"{P}__picked", []) if r != rid]
    st.session_state[f"{P}__sure"] = False


def delete_controls(store: RunStore, row: dict) -> None:
    rid = row["id"]
    mine = row.get("owner") == owner_id()
    if row["status"] in ACTIVE:
        why = "It is still training or waiting: stop it on its page first."
    elif not mine and not is_teacher():
        why = "It was made from another browser: only that person or the teacher can delete it."
    else:
        why = ""
    sure = st.checkbox(
        f"Yes, delete run {rid} and its files",
        key=f"{P}__sure",
        help="Deleting cannot be undone.",
        disabled=bool(why),
    )
    st.button(
        "Delete run",
        disabled=bool(why) or not sure,
        key=f"{P}__delete",
        help=why or "Tick the box above first.",
        on_click=_delete,
        args=(store, rid),
    )
    if why:
        st.caption(why)
    error = st.session_state.pop(f"{P}__delete_error", "")
    if error:
        st.error(error)


def run_card(store: RunStore, row: dict) -> None:
    rid = row["id"]
    st.subheader(f"Run {rid}")
    if row.get("damaged"):
        st.warning(f"This run's record is damaged ({row['damaged']}): it can only be deleted.")
        delete_controls(store, row)
        return
    card = recipes.card(store, row)
    c1, c2 = st.columns(2)
    with c1:
        st.markdown("**Reproducibility card**")
        libraries = ", ".join(f"{k} {v}" for k, v in row["versions"].items() if k != "machine")
        st.text(
            f"Seed: {card['seed']}\nData: {card['data']}, sha256 {row['fingerprint'][:16]}…\n"
            f"Libraries: {libraries}\nMachine: {card['machine']} ({row['host']})"
        )
        if row["error"]:
            st.markdown("**Ended with**")
            st.text(row["error"])
        st.markdown("**Recipe**: this command retrains the run with the same settings and seed.")
        st.code(card["recipe"], language="bash")
    with c2:
        page = TASK_PAGES.get(row["task"])
        if (
            page
            and row["status"] in ("done", "stopped")
            and st.button(
                "Open in its page", key=f"{P}__open", help="Show this run's results and use its model there."
            )
        ):
            open_run(row["task"], rid)
            st.switch_page(page[0])
        st.download_button(
            "Download model and companions (zip)",
            recipes.export_zip(store, rid),
            f"{rid}.zip",
            "application/zip",
            key=f"{P}__zip",
            help="The .keras model, its config, scaler or vocabulary, metrics and recipe.",
        )
        st.download_button(
            "Download metrics per epoch (CSV)",
            recipes.metrics_csv(store, rid),
            f"{rid}-metrics.csv",
            "text/csv",
            key=f"{P}__csv",
            help="Loss and other metrics after every epoch.",
        )
        script = recipes.usage_script(row)
        if script:
            st.download_button(
                "Download a Python script that reuses the model",
                script,
                f"use_{rid}.py",
                "text/x-python",
                key=f"{P}__py",
                help="Reloads the model through RNN Studio's core and predicts.",
            )
        delete_controls(store, row)
    with st.expander("Final metrics (JSON)"):
        st.code(json.dumps(row["final"], indent=2), language="json")


def import_box(store: RunStore) -> None:
    from core.run_import import MAX_IMPORT_MB, MAX_MEMBER_MB, MAX_MEMBERS, MAX_TOTAL_MB

    with st.expander("Import a run exported from RNN Studio"):
        up = st.file_uploader(
            "Run zip",
            type=["zip"],
            key=f"{P}__import",
            help=f"A zip made by 'Download model and companions': at most {MAX_IMPORT_MB} MB, {MAX_MEMBERS} files,"
            f" {MAX_MEMBER_MB} MB per file and {MAX_TOTAL_MB} MB unpacked.",
        )
        if up is not None and st.button(
            "Import", key=f"{P}__do_import", help="Add it to this store as a new run."
        ):
            try:
                st.success(f"Imported as run {recipes.import_zip(store, up.getvalue(), owner=owner_id())}.")
            except (DataError, OSError) as exc:
                st.error(user_message(exc))
