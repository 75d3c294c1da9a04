"""Training jobs on a Ray cluster of two local nodes, through the app's job manager.

One cluster (two nodes of one CPU each) serves the whole module, so the nodes'
TensorFlow imports are paid once. The fault test kills a node and runs last.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from core.config import ArchitectureConfig, ForecastConfig, TrainingConfig
from core.datasets import DataError
from core.jobs import JobManager
from core.runs import RunStore
from tests.helpers.scale import require_ray

pytestmark = [pytest.mark.scale, pytest.mark.slow]  # a two-node Ray cluster per module

ROOT = Path(__file__).resolve().parents[2]
QUICK = ForecastConfig(
    data="synthetic",
    synthetic_length=300,
    lookback=5,
    arch=ArchitectureConfig(units=4),
    train=TrainingConfig(epochs=2),
)


def endless(**train) -> ForecastConfig:
    """A job that trains until it is stopped (or its time budget ends)."""
    return ForecastConfig(**{**QUICK.__dict__, "train": TrainingConfig(epochs=1000, batch_size=8, **train)})


@pytest.fixture(scope="module")
def cluster():
    ray = require_ray()
    from ray.cluster_utils import Cluster

    small = {"num_cpus": 1, "object_store_memory": 80 * 1024**2}
    c = Cluster(initialize_head=True, head_node_args={**small, "include_dashboard": False})
    worker = c.add_node(**small)
    c.wait_for_nodes()
    yield c, worker
    ray.shutdown()
    c.shutdown()


@pytest.fixture
def managers():
    """Job managers on the cluster, shut down after the test even if it fails."""
    made: list[JobManager] = []

    def make(address: str, **kwargs) -> JobManager:
        made.append(JobManager(RunStore(), executor=address, **kwargs))
        return made[-1]

    yield make
    for mgr in made:
        mgr.shutdown()


def node_names(ray) -> dict[str, str]:
    """node id prefix -> whether it is alive, as the store records nodes (IP/id[:8])."""
    return {n["NodeID"][:8]: n["Alive"] for n in ray.nodes()}


def wait_for(predicate, timeout: float = 240):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if value := predicate():
            return value
        time.sleep(0.1)
    raise TimeoutError("condition not met in time")


def test_three_jobs_on_two_nodes_stream_progress_stop_and_store_their_models(cluster, managers):
    import ray

    c, _ = cluster
    mgr = managers(c.address, max_per_session=3)
    assert mgr.executor == c.address and "2 node(s)" in mgr.describe_executor()
    long = mgr.submit("forecast", endless(), session="ann")
    quick = [mgr.submit("forecast", QUICK, session="ann") for _ in range(2)]
    with pytest.raises(DataError, match="limit is 3"):  # the per-session limit holds on a cluster too
        mgr.submit("forecast", QUICK, session="ann")
    # Live progress streams back while the long job trains; then Stop reaches it on its node.
    wait_for(lambda: len(mgr.snapshot(long)["epochs"]) >= 2 and mgr.snapshot(long)["batches"])
    assert mgr.snapshot(long)["status"] == "running" and 0 < mgr.snapshot(long)["progress"] < 1
    mgr.stop(long)
    snaps = {jid: mgr.wait(jid, 300) for jid in [long, *quick]}
    assert snaps[long]["status"] == "stopped" and snaps[long]["result"]["stop_reason"] == "user"
    store = mgr.store
    nodes = set()
    for jid, snap in snaps.items():
        row = store.get(jid)
        assert row["status"] == snap["status"] and row["executor"] == f"ray {c.address}"
        assert (
            row["versions"]["keras"] and store.epochs(jid) and len(store.epochs(jid)) == len(snap["epochs"])
        )
        assert {"model.keras", "config.json", "scaler.json"} <= {p.name for p in store.run_dir(jid).iterdir()}
        nodes.add(row["node"].split("/")[-1])
    for jid in quick:
        assert snaps[jid]["status"] == "done" and [e["epoch"] for e in snaps[jid]["epochs"]] == [1, 2]
        assert store.get(jid)["final"]["test"]["rnn"]["mae"] > 0
        assert store.result(jid)["display"]["predictions"]["rnn"]  # the page's result came back too
    assert len(store.epochs(long)) < 1000
    # The long job and the first quick one ran at the same time, one per node.
    assert nodes == set(node_names(ray))


def test_the_command_line_trains_on_the_cluster_and_names_the_node(cluster):
    c, _ = cluster
    env = {**os.environ, "RNN_STUDIO_EXECUTOR": c.address, "PYTHONPATH": str(ROOT)}
    args = [
        "--data",
        "synthetic",
        "--synthetic-length",
        "300",
        "--lookback",
        "5",
        "--units",
        "4",
        "--epochs",
        "1",
    ]
    out = subprocess.run(
        [sys.executable, "-m", "core", "forecast", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert out.returncode == 0, out.stderr
    run_id = json.loads(out.stdout.strip().splitlines()[-1])["run_id"]
    shown = subprocess.run(
        [sys.executable, "-m", "core", "runs", "show", run_id, "--json"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    card = json.loads(shown.stdout.strip().splitlines()[-1])
    assert card["executor"] == f"ray {c.address}" and card["node"].split("/")[-1] in node_names(
        __import__("ray")
    )
    assert card["status"] == "done" and "model.keras" in card["files"]


def test_a_node_dying_mid_job_fails_only_its_run(cluster, managers):
    import ray

    c, worker = cluster
    mgr = managers(c.address)
    victim_id = worker.node_id[:8]
    jobs = [mgr.submit("forecast", endless(budget_s=15)) for _ in range(2)]
    wait_for(lambda: all(mgr.store.get(j)["node"] and mgr.snapshot(j)["epochs"] for j in jobs))
    on_victim = [j for j in jobs if mgr.store.get(j)["node"].endswith(victim_id)]
    assert len(on_victim) == 1, [mgr.store.get(j)["node"] for j in jobs]
    c.remove_node(worker, allow_graceful=False)  # as if the machine lost power
    lost = mgr.wait(on_victim[0], 120)
    assert lost["status"] == "failed" and "stopped in the middle" in lost["error"]
    assert mgr.store.get(on_victim[0])["status"] == "failed"
    (survivor,) = set(jobs) - set(on_victim)
    end = mgr.wait(survivor, 120)
    assert end["status"] == "done", end["error"]  # its time budget ended it normally
    again = mgr.submit("forecast", QUICK)  # the app keeps serving on the nodes left
    assert mgr.wait(again, 120)["status"] == "done"
    # Ray marks the node dead once its health checks have failed for a while (seconds): the
    # quick forecast above can finish before that.
    wait_for(lambda: node_names(ray)[victim_id] is False, timeout=90)


def test_a_folder_of_midi_uploads_trains_on_the_cluster(cluster, managers):
    """Only single uploaded files used to travel with a job; a folder of MIDI files stayed behind.

    End to end with the folder shipped; on local nodes the folder would be readable anyway, so
    tests/scale/test_ray_payload.py checks what travels and where the node writes it."""
    from core import music_corpus as mc
    from core.config import MusicConfig
    from tests.helpers.music import notes_track, scale_notes, smf

    c, _ = cluster
    folder = mc.save_midi_uploads([smf(notes_track(scale_notes(40, start=60 + i))) for i in range(3)])
    train = TrainingConfig(epochs=1, val_fraction=0.2)
    cfg = MusicConfig(data=folder, seq_len=8, generate=8, arch=ArchitectureConfig(units=4), train=train)
    mgr = managers(c.address)
    snap = mgr.wait(mgr.submit("music", cfg), 300)
    assert snap["status"] == "done", snap["error"]
    assert mgr.store.get(snap["id"])["executor"] == f"ray {c.address}"
