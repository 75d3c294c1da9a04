"""Runs: every training run, compared, reopened, exported or deleted. Loads no TensorFlow."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from core.charts import runs_loss_chart
from core.runs import STATUSES
from core.runs_view import compare_groups, table_row
from ui.owner import owner_id, teacher_box
from ui.panel import run_store
from ui.runs_views import import_box, run_card

P = "ru"
st.set_page_config(page_title="Runs · RNN Studio", page_icon="🗂️", layout="wide")
st.title("🗂️ Runs")
st.caption("Every training run from every page and the command line. Select runs to compare or reuse them.")
store = run_store()
owner_id()  # the browser keeps its id from the first page it opens
if store.warning:
    st.warning(store.warning)

rows = store.list()
if not rows:
    st.info("No runs yet: train a model on any page and it appears here.")
table = pd.DataFrame([table_row(r) for r in rows])

c1, c2, c3 = st.columns(3)
tasks = c1.multiselect(
    "Task",
    sorted(table["Task"].unique()) if rows else [],
    key=f"{P}_tasks",
    help="Show only runs of these tasks (empty: all).",
)
statuses = c2.multiselect(
    "Status",
    list(STATUSES),
    key=f"{P}_statuses",
    help="done: finished; stopped: you pressed Stop; interrupted: the server stopped mid-run.",
)
order = c3.selectbox(
    "Sort by",
    ["newest first", "oldest first", "longest first", "shortest first"],
    key=f"{P}_sort",
    help="Order of the table.",
)
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
    picked = st.multiselect(
        "Select runs to compare or use",
        list(labels),
        format_func=labels.get,
        key=f"{P}__picked",
        help="Pick one run for its details and downloads, several to compare them.",
    )
else:
    picked = []


if picked:
    chosen = {rid: row for rid in picked if (row := store.get(rid)) is not None}
    picked = list(chosen)
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
    flat = {rid: pd.json_normalize([row["config"]], sep=".").iloc[0] for rid, row in chosen.items()}
    configs = pd.DataFrame(flat).astype(str)
    differs = configs.nunique(axis=1) > 1
    st.markdown(f"**Settings side by side** ({int(differs.sum())} differ, highlighted)")
    st.dataframe(
        configs.style.apply(
            lambda r: ["background-color: #F0E442" if differs[r.name] else ""] * len(r), axis=1
        ),
        width="stretch",
        key=f"{P}__configs",
    )

if len(picked) == 1:
    run_card(store, chosen[picked[0]])

teacher_box()
import_box(store)
