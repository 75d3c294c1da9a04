"""Scale-out: what a Ray cluster costs per job, and what a second node buys.

Quick job: the synthetic forecast (300 days, lookback 5, an LSTM of 4 units,
2 epochs), submitted through the app's JobManager and timed from
submit to done. Reference in the same run: the local executor (the default
training process beside the app), warmed up first as a server's would be.
On Ray (a local cluster made here, one CPU per node), after one warm-up job
per node (the node's first job pays its TensorFlow import, reported apart):
- overhead_s: mean seconds per quick job on Ray minus on the local executor
  (target, issue 10: under 2 s);
- jobs_per_min: 8 quick jobs submitted at once, on one node and on two.
Run: `flock /tmp/rnn-cpu.lock python -m benchmarks scale`.
"""

from __future__ import annotations

import os
import tempfile
import time

REPEATS = 3
BATCH = 8


def _config():
    from core.config import ArchitectureConfig, ForecastConfig, TrainingConfig

    return ForecastConfig(
        data="synthetic",
        synthetic_length=300,
        lookback=5,
        arch=ArchitectureConfig(units=4),
        train=TrainingConfig(epochs=2),
    )


def _one(mgr) -> float:
    t0 = time.perf_counter()
    snap = mgr.wait(mgr.submit("forecast", _config()), 600)
    assert snap["status"] == "done", snap["error"]
    return time.perf_counter() - t0


def _batch(mgr, n: int) -> float:
    t0 = time.perf_counter()
    ids = [mgr.submit("forecast", _config()) for _ in range(n)]
    for jid in ids:
        assert mgr.wait(jid, 900)["status"] == "done"
    return time.perf_counter() - t0


def run() -> list[dict]:
    from ray.cluster_utils import Cluster

    from core.jobs import JobManager
    from core.runs import RunStore

    records = []
    with tempfile.TemporaryDirectory() as tmp:
        os.environ["RNN_STUDIO_DATA"] = tmp
        local = JobManager(RunStore(tmp), executor="local", max_queue=50, max_per_session=50)
        while not local.engine_ready:
            time.sleep(0.1)
        _one(local)  # the first fit traces its functions
        local_s = sum(_one(local) for _ in range(REPEATS)) / REPEATS
        local_batch = _batch(local, BATCH)
        local.shutdown()

        node = {"num_cpus": 1, "object_store_memory": 80 * 1024**2}
        cluster = Cluster(initialize_head=True, head_node_args={**node, "include_dashboard": False})
        try:
            mgr = JobManager(RunStore(tmp), executor=cluster.address, max_queue=50, max_per_session=50)
            first = _one(mgr)
            ray_s = sum(_one(mgr) for _ in range(REPEATS)) / REPEATS
            one_node = _batch(mgr, BATCH)
            cluster.add_node(**node)
            cluster.wait_for_nodes()
            _batch(mgr, 2)  # the new node's first job imports TensorFlow
            two_nodes = _batch(mgr, BATCH)
            mgr.shutdown()
        finally:
            import ray

            ray.shutdown()
            cluster.shutdown()
    records.append(
        {
            "benchmark": "scale_overhead",
            "local_s_per_job": round(local_s, 2),
            "ray_s_per_job": round(ray_s, 2),
            "overhead_s": round(ray_s - local_s, 2),
            "target_overhead_s": 2.0,
            "ray_first_job_s": round(first, 1),
            "repeats": REPEATS,
            "cores": os.cpu_count(),
        }
    )
    records.append(
        {
            "benchmark": "scale_throughput",
            "jobs": BATCH,
            "local_jobs_per_min": round(60 * BATCH / local_batch, 1),
            "ray_1_node_jobs_per_min": round(60 * BATCH / one_node, 1),
            "ray_2_nodes_jobs_per_min": round(60 * BATCH / two_nodes, 1),
            "cpus_per_node": 1,
            "cpus_per_job": 1,
            "cores": os.cpu_count(),
        }
    )
    return records
