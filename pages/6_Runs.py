"""Runs: every training run, compared, reopened, exported or deleted. Loads no TensorFlow."""

from __future__ import annotations

import json

import pandas as pd
import streamlit as st

from core import recipes
from core.charts import runs_loss_chart
from core.datasets import DataError
from core.runs import STATUSES
from core.runs_view import compare_groups, table_row
from ui.panel import TASK_PAGES, open_run, run_store

P = "ru"
st.set_page_config(page_title="Runs · RNN Studio", page_icon="🗂️", layout="wide")
st.title("🗂️ Runs")
st.caption("Every training run from every page and the command line. Select runs to compare or reuse them.")
store = run_store()
if store.warning:
    st.warning(store.warning)

rows = store.list()
if not rows:
    st.info("No runs yet: train a model on any page and it appears here.")
table = pd.DataFrame([table_row(r) for r in rows])

c1, c2, c3 = st.columns(3)
tasks = c1.multiselect("Task", sorted(table["Task"].unique()) if rows else [], key=f"{P}_tasks",
                       help="Show only runs of these tasks (empty: all).")  # fmt: skip
statuses = c2.multiselect("Status", list(STATUSES), key=f"{P}_statuses",
                          help="done: finished; stopped: you pressed Stop; interrupted: the server stopped mid-run.")  # fmt: skip
order = c3.selectbox("Sort by", ["newest first", "oldest first", "longest first", "shortest first"],
                     key=f"{P}_sort", help="Order of the table.")  # fmt: skip
if rows:
    keep = table["Task"].isin(tasks or table["Task"]) & table["Status"].isin(statuses or table["Status"])
    shown = table[keep]
    time_col = "Training time (s)"
    sorts = {"newest first": ("Run", False), "oldest first": ("Run", True)}  # ids start with the time
    sorts |= {"longest first": (time_col, False), "shortest first": (time_col, True)}
    by, asc = sorts[order]
    shown = shown.sort_values(by, ascending=asc, na_position="last").reset_index(drop=True)
    fmt = {"Training time (s)": st.column_config.NumberColumn(format="%.0f")}
    st.dataframe(shown, hide_index=True, key=f"{P}__table", width="stretch", column_config=fmt)
    labels = {
        r["Run"]: f"{r['Run']} · {r['Task']} · {r['Network']} · {r['Status']}"
        for r in shown.to_dict("records")
    }
    picked = st.multiselect("Select runs to compare or use", list(labels), format_func=labels.get, key=f"{P}__picked",
                            help="Pick one run for its details and downloads, several to compare them.")  # fmt: skip
else:
    picked = []


def delete_run(rid: str) -> None:
    """A callback, so it runs before the widgets that show the deleted run are drawn."""
    store.delete(rid)
    st.session_state[f"{P}__picked"] = [r for r in st.session_state.get(f"{P}__picked", []) if r != rid]
    st.session_state[f"{P}__sure"] = False


if picked:
    chosen = {rid: store.get(rid) for rid in picked}
    groups = compare_groups(list(chosen.values()))
    if len(groups) > 1:
        st.info(
            "Runs on different data are on separate charts: a loss on other data is on another scale,"
            " so only runs of the same task and data share one."
        )
    for i, (title, ids) in enumerate(groups):
        fig, summary = runs_loss_chart({rid: store.epochs(rid) for rid in ids}, title)
        st.plotly_chart(fig, width="stretch", key=f"{P}__curves_{i}")
        st.caption(summary)
    flat = {rid: pd.json_normalize(row["config"], sep=".").iloc[0] for rid, row in chosen.items()}
    configs = pd.DataFrame(flat).astype(str)
    differs = configs.nunique(axis=1) > 1
    st.markdown(f"**Settings side by side** ({int(differs.sum())} differ, highlighted)")
    st.dataframe(configs.style.apply(lambda r: ["background-color: #F0E442" if differs[r.name] else ""] * len(r), axis=1),
                 width="stretch", key=f"{P}__configs")  # fmt: skip

if len(picked) == 1:
    row = chosen[picked[0]]
    rid = row["id"]
    st.subheader(f"Run {rid}")
    card = recipes.card(store, row)
    c1, c2 = st.columns(2)
    with c1:
        st.markdown("**Reproducibility card**")
        st.markdown(
            f"- Seed: `{row['config'].get('train', {}).get('seed')}`\n- Data: `{card['data']}`, sha256 `{row['fingerprint'][:16]}…`\n"
            f"- Libraries: {', '.join(f'{k} {v}' for k, v in row['versions'].items() if k != 'machine')}\n"
            f"- Machine: {card['machine']} ({row['host']})"
        )
        if row["error"]:
            st.warning(f"Ended with: {row['error']}")
        st.markdown("**Recipe**: this command retrains the run with the same settings and seed.")
        st.code(card["recipe"], language="bash")
    with c2:
        page = TASK_PAGES.get(row["task"])
        if page and row["status"] in ("done", "stopped") and st.button("Open in its page", key=f"{P}__open",
                                                                        help="Show this run's results and use its model there."):  # fmt: skip
            open_run(row["task"], rid)
            st.switch_page(page[0])
        st.download_button("Download model and companions (zip)", recipes.export_zip(store, rid), f"{rid}.zip",
                           "application/zip", key=f"{P}__zip", help="The .keras model, its config, scaler or vocabulary, metrics and recipe.")  # fmt: skip
        st.download_button("Download metrics per epoch (CSV)", recipes.metrics_csv(store, rid), f"{rid}-metrics.csv",
                           "text/csv", key=f"{P}__csv", help="Loss and other metrics after every epoch.")  # fmt: skip
        script = recipes.usage_script(row)
        if script:
            st.download_button("Download a Python script that reuses the model", script, f"use_{rid}.py", "text/x-python",
                               key=f"{P}__py", help="Reloads the model through RNN Studio's core and predicts.")  # fmt: skip
        sure = st.checkbox(
            f"Yes, delete run {rid} and its files", key=f"{P}__sure", help="Deleting cannot be undone."
        )
        st.button("Delete run", disabled=not sure, key=f"{P}__delete", help="Tick the box above first.",
                  on_click=delete_run, args=(rid,))  # fmt: skip
    with st.expander("Final metrics (JSON)"):
        st.code(json.dumps(row["final"], indent=2), language="json")

with st.expander("Import a run exported from RNN Studio"):
    up = st.file_uploader(
        "Run zip", type=["zip"], key=f"{P}__import", help="A zip made by 'Download model and companions'."
    )
    if up is not None and st.button(
        "Import", key=f"{P}__do_import", help="Add it to this store as a new run."
    ):
        try:
            st.success(f"Imported as run {recipes.import_zip(store, up.getvalue())}.")
        except DataError as exc:
            st.error(str(exc))
