"""Hostile run zips: bombs, lying sizes, malformed run.json. Each is refused in one sentence,
leaves no row and no files, and stays within bounded memory and time."""

from __future__ import annotations

import io
import json
import os
import sqlite3
import struct
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import pytest

from core import recipes
from core.config import ForecastConfig, to_dict
from core.datasets import DataError
from core.runs import RunStore

ROOT = Path(__file__).resolve().parents[2]


def good_row(**changes) -> dict:
    row = {
        "id": "20260101-000000-abcdef",
        "task": "forecast",
        "status": "done",
        "config": to_dict(ForecastConfig(data="synthetic")),
        "data_name": "synthetic",
        "fingerprint": "f" * 64,
        "versions": {"keras": "3.15.1"},
        "final": {"val_loss": 0.5},
        "error": "",
    }
    row.update(changes)
    return row


def make_zip(members: dict[str, bytes | str], compression=zipfile.ZIP_DEFLATED) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression) as z:
        for name, data in members.items():
            z.writestr(name, data)
    return buf.getvalue()


def run_zip(row=None, extra: dict | None = None) -> bytes:
    members = {
        "run.json": json.dumps(good_row() if row is None else row),
        "epochs.csv": "epoch,loss\n0,1.5\n1,1.2\n",
    }
    members["files/config.json"] = "{}"
    return make_zip({**members, **(extra or {})})


def lie_about_size(data: bytes, name: str, claimed: int) -> bytes:
    """Rewrite the uncompressed size the local header and the directory give for `name`."""
    info = zipfile.ZipFile(io.BytesIO(data)).getinfo(name)
    out = bytearray(data)
    struct.pack_into("<I", out, info.header_offset + 22, claimed)  # local header
    pos = data.find(b"PK\x01\x02")
    while pos != -1:  # the directory entry with this name
        if data[pos + 46 : pos + 46 + len(name)] == name.encode():
            struct.pack_into("<I", out, pos + 24, claimed)
        pos = data.find(b"PK\x01\x02", pos + 4)
    return bytes(out)


def leftovers(store: RunStore) -> list[str]:
    return [p.name for p in store.files.iterdir()]


def refused(data: bytes, fragment: str) -> None:
    store = RunStore()
    before = store.count()
    with pytest.raises(DataError, match=fragment) as info:
        recipes.import_zip(store, data)
    message = str(info.value)
    assert "\n" not in message and message.endswith(".")
    assert store.count() == before, "a refused import left a row"
    assert leftovers(store) == [], "a refused import left files"


def test_a_good_zip_imports_with_row_epochs_and_files():
    store = RunStore()
    new_id = recipes.import_zip(store, run_zip(extra={"files/model.keras": b"k" * 1000}), owner="alice")
    row = store.get(new_id)
    assert row["status"] == "done" and row["owner"] == "alice" and not row["damaged"]
    assert [e["loss"] for e in store.epochs(new_id)] == [1.5, 1.2]
    assert sorted(p.name for p in store.run_dir(new_id).iterdir()) == ["config.json", "model.keras"]
    assert not [p for p in store.files.iterdir() if p.name.startswith(".")]


@pytest.mark.parametrize(
    ("row", "fragment"),
    [
        (good_row(config="a string"), "config is not a JSON object"),
        (good_row(config=[1, 2]), "config is not a JSON object"),
        (good_row(task="weather"), "no known task"),
        (good_row(versions=["keras", "3"]), "versions"),
        (good_row(status=7), "status"),
        (good_row(config={**to_dict(ForecastConfig()), "lookback": "30"}), "lookback as str"),
        (good_row(config={**to_dict(ForecastConfig()), "lookback": 99999}), "valid forecast config"),
        (
            good_row(config={**to_dict(ForecastConfig()), "data": "/etc/passwd.csv"}),
            "outside the data directory",
        ),
        (good_row(data_name=["x"]), "data_name"),
        (good_row(final="done"), "final metrics"),
        ([1, 2, 3], "not a JSON object"),
    ],
)
def test_malformed_run_json_is_refused_before_any_row(row, fragment):
    refused(run_zip(row), fragment)


def test_deep_nesting_bad_crc_bad_epochs_long_names_are_refused():
    refused(make_zip({"run.json": "[" * 100_000 + "]" * 100_000}), "run.json is not readable JSON")
    refused(run_zip(extra={"epochs.csv": "epoch,loss\n0,lots\n"}), "epochs.csv")
    refused(run_zip(extra={"epochs.csv": "epoch,=HYPERLINK(1)\n0,1\n"}), "metric name")
    refused(run_zip(extra={"files/" + "a" * 300: b"x"}), "longer than")
    refused(run_zip(extra={"files/../evil": b"x"}), "unsafe file name")
    good = run_zip(extra={"files/model.keras": b"m" * 5000})
    bad_crc = bytearray(good)
    z = zipfile.ZipFile(io.BytesIO(good))
    info = z.getinfo("files/model.keras")
    start = info.header_offset + 30 + len(info.filename) + len(info.extra)
    bad_crc[start + 2] ^= 0xFF  # flip a byte of the compressed data
    refused(bytes(bad_crc), "damaged")
    refused(b"not a zip at all", "damaged")


def test_directory_limits_are_checked_before_reading():
    refused(make_zip({f"files/f{i}": b"x" for i in range(100)}), "at most 64")
    refused(run_zip(extra={"run.json": json.dumps(good_row(error="x" * 400_000))}), "run.json is larger")
    zeros = make_zip({"run.json": json.dumps(good_row()), "files/zeros": b"\0" * (20 * 1024 * 1024)})
    refused(zeros, "compressed more than")
    claims = lie_about_size(run_zip(extra={"files/big": b"x" * 1000}), "files/big", 2**31)
    refused(claims, "more than 100 MB")


def test_a_member_that_lies_about_its_size_is_cut_off():
    # 60 MB of real data that the directory says is 1 MB (so the ratio looks harmless).
    data = os.urandom(1024 * 1024)
    big = make_zip({"run.json": json.dumps(good_row()), "files/model.keras": data * 60}, zipfile.ZIP_STORED)
    refused(lie_about_size(big, "files/model.keras", 1024 * 1024), "damaged|larger than its directory")


BOMB = """
import io, json, resource, sys, zipfile
from tests.core.test_import_limits import good_row, lie_about_size
buf = io.BytesIO()
with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
    z.writestr("run.json", json.dumps(good_row()))
    for i in range(2):
        with z.open(f"files/m{i}", "w") as f:
            for _ in range(256):
                f.write(bytes(4 * 1024 * 1024))  # 1 GiB of zeros per member, ~1 MB compressed
data = buf.getvalue()
for i in range(2):
    data = lie_about_size(data, f"files/m{i}", 1024 * 1024)  # claims 1 MB each
open(sys.argv[1], "wb").write(data)
"""


# `python -m core runs import BOMB`, then its own peak memory into a file. VmHWM counts only
# this program's memory: ru_maxrss would carry over what the forked test process held (1.4 GB
# late in a full run), since Linux keeps that peak across exec.
MEASURED_IMPORT = """
import resource, runpy, sys
bomb, out = sys.argv[1], sys.argv[2]
sys.argv = ["core", "runs", "import", bomb]
try:
    runpy.run_module("core", run_name="__main__", alter_sys=True)
    code = 0
except SystemExit as exc:
    code = exc.code
try:
    hwm = next(line for line in open("/proc/self/status") if line.startswith("VmHWM:"))
    mb = int(hwm.split()[1]) / 1024
except OSError:  # no /proc (macOS): the whole process's peak, in bytes there
    mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024 / 1024
open(out, "w").write(str(mb))
sys.exit(code)
"""


@pytest.mark.slow
def test_a_two_gib_bomb_that_lies_stays_under_1_gb_and_30_s_on_the_command_line(tmp_path):
    bomb = tmp_path / "bomb.zip"
    subprocess.run([sys.executable, "-c", BOMB, str(bomb)], cwd=ROOT, check=True, timeout=300)
    assert bomb.stat().st_size < 5 * 1024 * 1024
    t0 = time.time()
    peak_file = tmp_path / "peak.txt"
    out = subprocess.run(
        [sys.executable, "-c", MEASURED_IMPORT, str(bomb), str(peak_file)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        env=os.environ.copy(),
    )
    took = time.time() - t0
    peak_mb = float(peak_file.read_text())
    assert out.returncode == 2 and "Traceback" not in out.stderr
    assert len(out.stderr.strip().splitlines()) == 1 and out.stderr.startswith("error: ")
    assert took < 30 and peak_mb < 1024, (took, peak_mb)
    store = RunStore()
    assert store.count() == 0 and leftovers(store) == []


def test_command_line_refusals_are_one_line_exit_2(tmp_path):
    for i, data in enumerate([run_zip(good_row(config="oops")), b"garbage", make_zip({"x": "y"})]):
        path = tmp_path / f"bad{i}.zip"
        path.write_bytes(data)
        out = subprocess.run(
            [sys.executable, "-m", "core", "runs", "import", str(path)],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=120,
            env=os.environ.copy(),
        )
        assert out.returncode == 2, out.stderr
        assert out.stderr.startswith("error: ") and len(out.stderr.strip().splitlines()) == 1
    assert RunStore().count() == 0


def damage(store: RunStore, run_id: str, column: str, value) -> None:
    con = sqlite3.connect(store.db_path)
    con.execute(f"UPDATE runs SET {column}=? WHERE id=?", (value, run_id))
    con.commit()
    con.close()


def test_a_damaged_row_lists_shows_and_deletes(tmp_path):
    store = RunStore()
    good = store.create("forecast", to_dict(ForecastConfig()))
    store.finish(good, "done")
    for column, value in [("config", '"a string"'), ("versions", "[1]"), ("task", "weather"), ("final", "{")]:
        rid = store.create("forecast", to_dict(ForecastConfig()))
        store.finish(rid, "done")
        damage(store, rid, column, value)
        rows = {r["id"]: r for r in store.list()}
        assert rows[rid]["damaged"] and not rows[good]["damaged"]
        assert recipes.summary(rows[rid])["model"].startswith("damaged")
        recipes.card(store, rows[rid])
        recipes.export_zip(store, rid)
        out = subprocess.run(
            [sys.executable, "-m", "core", "runs", "list"],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=120,
            env=os.environ.copy(),
        )
        assert out.returncode == 0 and "damaged" in out.stdout, out.stderr
        store.delete(rid)
        assert store.get(rid) is None


def test_metrics_csv_neutralises_formulas():
    store = RunStore()
    rid = store.create("forecast", to_dict(ForecastConfig()))
    store.add_epoch(rid, 0, {"epoch": 0, '=HYPERLINK("x")': 1.0, "loss": 2.0})
    store.finish(rid, "done")
    text = recipes.metrics_csv(store, rid)
    assert "'=HYPERLINK" in text and ",=" not in text
