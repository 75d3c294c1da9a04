"""Training jobs on a Ray cluster: `RNN_STUDIO_EXECUTOR=ray://HOST:PORT`, `auto` or `HOST:PORT`.

Each job is one Ray task asking for `RNN_STUDIO_RAY_CPUS` CPUs (default 1) and a
GPU where the cluster has one (`RNN_STUDIO_RAY_GPUS` overrides). Its payload is
plain data: the task name, the config dict and, for an uploaded file, its bytes
and sha256 (a node need not share the app's disk). The task trains in a
temporary folder and returns the model and its companions as bytes; the app
stores them and records every row itself, so nodes never touch the run store.

Live events go through one small actor per app (`Channel`, no CPU, on the app's
node): the task pushes events and polls a stop flag every 0.2 s, so Stop takes
effect at the next batch end as it does locally; `ray.cancel` is the fallback
if the task does not end within STOP_GRACE_S. Tasks are never retried: a node
that dies mid-job fails that run with a sentence saying so.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import shutil
import tempfile
import threading
import time
import traceback
from pathlib import Path
from typing import TYPE_CHECKING

from core.datasets import DataError
from core.execute import EventFn, Outcome, RunRecorder

if TYPE_CHECKING:
    from core.job import Job

ROOT = Path(__file__).resolve().parents[1]
STOP_GRACE_S = 30.0
POLL_S = 0.2
MAX_SHIPPED_MB = 200


def executor_spec() -> str:
    """RNN_STUDIO_EXECUTOR, or "local"."""
    return os.environ.get("RNN_STUDIO_EXECUTOR", "").strip() or "local"


def _ray():
    try:
        import ray
    except ImportError as exc:
        raise DataError(
            "RNN_STUDIO_EXECUTOR asks for a Ray cluster, but ray is not installed:"
            " pip install -r requirements-scale.txt"
        ) from exc
    return ray


class Channel:
    """The app's mailbox on the cluster (a Ray actor): events up, stop flags down."""

    def __init__(self) -> None:
        self.events: dict[str, list] = {}
        self.stops: set[str] = set()

    def push(self, job_id: str, kind: str, payload: dict) -> None:
        self.events.setdefault(job_id, []).append((kind, payload))

    def pull(self, job_id: str) -> list:
        return self.events.pop(job_id, [])

    def stop(self, job_id: str) -> None:
        self.stops.add(job_id)

    def stopped(self, job_id: str) -> bool:
        return job_id in self.stops

    def forget(self, job_id: str) -> None:
        self.events.pop(job_id, None)
        self.stops.discard(job_id)

    def flush(self) -> bool:
        """Called by a task before it returns: its earlier pushes have all been handled by then."""
        return True


def _node_name(ray) -> str:
    return f"{ray.util.get_node_ip_address()}/{ray.get_runtime_context().get_node_id()[:8]}"


def cluster_label(spec: str, address: str = "") -> str:
    """What a run records as its executor: "ray" and the cluster's address, never the setting
    `auto` (which says only "find the cluster"), so the Runs page says where it trained."""
    if spec in ("auto", "ray"):
        return f"ray {address}" if address else "ray"
    return f"ray {spec}"


def _ship(path: Path) -> dict:
    raw = path.read_bytes()
    digest = hashlib.sha256(raw).hexdigest()
    return {"name": f"{digest}{path.suffix}", "sha256": digest, "bytes": raw}


def ship_data(data: str) -> dict | None:
    """An uploaded file, or a folder of uploaded MIDI files, as bytes that travel with a job."""
    limit = DataError(f"The upload is larger than {MAX_SHIPPED_MB} MB: use a smaller one on a cluster.")
    if os.path.isfile(data):
        if os.path.getsize(data) > MAX_SHIPPED_MB * 1024 * 1024:
            raise limit
        return _ship(Path(data))
    if os.path.isdir(data):  # several MIDI files: the folder travels, bounded like a single upload
        from core.music_corpus import MAX_FILES

        files = sorted(
            p for p in Path(data).iterdir() if p.suffix.lower() in (".mid", ".midi") and p.is_file()
        )
        if len(files) > MAX_FILES:
            raise DataError(f"The folder holds more than {MAX_FILES} MIDI files: use fewer on a cluster.")
        if sum(p.stat().st_size for p in files) > MAX_SHIPPED_MB * 1024 * 1024:
            raise limit
        return {"folder": Path(data).name, "files": [_ship(p) for p in files]}
    return None


def _write_shipped(folder: Path, shipped: dict) -> Path:
    data = shipped["bytes"]
    if hashlib.sha256(data).hexdigest() != shipped["sha256"]:
        raise DataError("The uploaded file was damaged on its way to the cluster node: train again.")
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / Path(shipped["name"]).name  # a bare name: nothing shipped writes outside the folder
    if not path.exists():
        path.write_bytes(data)
    return path


def _materialise_data(config: dict, shipped: dict | None) -> dict:
    """Write an upload (a file or a folder of files) shipped with the job into this node's data directory."""
    if not shipped:
        return config
    from core.datasets import data_dir

    uploads = data_dir() / "uploads"
    if "files" not in shipped:
        return {**config, "data": str(_write_shipped(uploads, shipped))}
    folder = uploads / Path(shipped["folder"]).name
    for item in shipped["files"]:
        _write_shipped(folder, item)
    return {**config, "data": str(folder)}


def remote_train(payload: dict, channel) -> dict:
    """The Ray task: train one job on whichever node Ray chose; returns status, result and files."""
    import ray

    job_id, task = payload["job_id"], payload["task"]
    os.environ.setdefault("RNN_STUDIO_TF_THREADS", str(max(1, int(payload["cpus"]))))
    node = _node_name(ray)
    stop, done = threading.Event(), threading.Event()

    def emit(kind: str, event: dict) -> None:
        channel.push.remote(job_id, kind, event)

    def poll_stop() -> None:
        while not done.is_set():
            try:
                if ray.get(channel.stopped.remote(job_id)):
                    stop.set()
                    return
            except Exception:  # the app went away: finish quietly
                return
            done.wait(POLL_S)

    threading.Thread(target=poll_stop, daemon=True).start()
    run_dir = Path(tempfile.mkdtemp(prefix="rnn-studio-run-"))
    status, result, error = "failed", None, ""
    try:
        from core.config import from_dict
        from core.execute import train_in_dir
        from core.tasks import TASK_CONFIGS
        from core.tf import versions

        config = from_dict(TASK_CONFIGS[task], _materialise_data(payload["config"], payload.get("data")))
        emit("_started", {"node": node, "versions": versions()})
        fingerprint = lambda fp: emit("_fingerprint", {"fingerprint": fp})  # noqa: E731
        status, result = train_in_dir(task, config, run_dir, emit, stop, fingerprint)
    except Exception as exc:
        from core.execute import USER_ERRORS, failure_message

        if not isinstance(exc, USER_ERRORS):
            traceback.print_exc()
        error = failure_message(exc)
    files = {p.name: p.read_bytes() for p in sorted(run_dir.iterdir()) if p.is_file()}
    shutil.rmtree(run_dir, ignore_errors=True)
    done.set()
    with contextlib.suppress(ray.exceptions.RayError):  # the app's channel may be gone; the result is not
        ray.get(channel.flush.remote())  # every event pushed above has reached the channel
    return {
        "status": status,
        "result": result,
        "error": error,
        "files": files,
        "node": node,
        "run_dir": str(run_dir),
    }


def _cluster_failure(exc: Exception) -> str:
    ray = _ray()
    name = exc.__class__.__name__
    if isinstance(exc, ray.exceptions.NodeDiedError | ray.exceptions.WorkerCrashedError) or "died" in str(
        exc
    ):
        return (
            f"The cluster machine training this run stopped in the middle of it (Ray: {name}), so the"
            " run was lost: train again, and it will run on a machine that is still up."
        )
    if isinstance(exc, ray.exceptions.OutOfMemoryError):
        return f"The cluster machine ran out of memory training this run (Ray: {name}): try a smaller model."
    return f"The cluster could not finish this run (Ray: {name}): {str(exc).splitlines()[0][:300]}"


class RayExecutor:
    """Runs jobs as Ray tasks; any number at once (the cluster's free CPUs decide). A backend with
    the face of every other (`core.execute.InThreadBackend`)."""

    def __init__(self, spec: str) -> None:
        ray = _ray()
        self.spec = spec
        if not ray.is_initialized():
            address = spec if spec != "ray" else "auto"
            # Ship the `core` package with the jobs so nodes need only the libraries, not the app.
            try:
                ray.init(
                    address=address,
                    runtime_env={"py_modules": [str(ROOT / "core")]},
                    log_to_driver=False,
                    logging_level="ERROR",
                )
            except Exception as exc:  # unreachable, refused, version mismatch: one sentence, not a trace
                raise DataError(
                    f"Cannot reach the Ray cluster at {spec} ({str(exc).strip()[:200]}). Start it, fix"
                    " RNN_STUDIO_EXECUTOR, or unset it to train on this machine."
                ) from exc
        address = ""
        with contextlib.suppress(Exception):  # a Ray client (ray://) may not know the GCS address
            address = ray.get_runtime_context().gcs_address
        self.where = cluster_label(spec, address)
        from ray.util.scheduling_strategies import NodeAffinitySchedulingStrategy

        here = NodeAffinitySchedulingStrategy(ray.get_runtime_context().get_node_id(), soft=True)
        self.channel = ray.remote(Channel).options(num_cpus=0, scheduling_strategy=here).remote()
        self._task = ray.remote(remote_train)
        self.cpus = float(os.environ.get("RNN_STUDIO_RAY_CPUS", "") or 1)
        gpus = os.environ.get("RNN_STUDIO_RAY_GPUS", "")
        self.gpus = float(gpus) if gpus else (1.0 if ray.cluster_resources().get("GPU", 0) >= 1 else 0.0)
        self.ready = threading.Event()  # the nodes load TensorFlow themselves
        self.ready.set()

    def describe(self) -> str:
        ray = _ray()
        res = ray.cluster_resources()
        nodes = sum(1 for n in ray.nodes() if n.get("Alive"))
        return (
            f"Ray cluster {self.spec}: {nodes} node(s), {res.get('CPU', 0):g} CPUs, {res.get('GPU', 0):g} GPUs;"
            f" each job asks for {self.cpus:g} CPU(s) and {self.gpus:g} GPU(s)"
        )

    @staticmethod
    def _payload(job_id: str, task: str, config: dict, cpus: float) -> dict:
        payload = {"job_id": job_id, "task": task, "config": config, "cpus": cpus}
        data = config.get("data")
        shipped = ship_data(data) if isinstance(data, str) and data else None
        if shipped:  # an upload: its bytes travel
            payload["data"] = shipped
        return payload

    def run(self, job: Job, store, on_event: EventFn) -> Outcome:
        """Train one job on the cluster and record it in `store`; returns (status, result, error).
        Sends a "running" event (with the node's name) once a node starts it."""
        try:
            return self._run(job, RunRecorder(store, job.id, on_event))
        except Exception as exc:  # the cluster is unreachable: keep the app serving
            traceback.print_exc()
            error = str(exc) if isinstance(exc, DataError) else _cluster_failure(exc)
            RunRecorder(store, job.id).failed(error)
            return "failed", None, error

    def _run(self, job: Job, recorder: RunRecorder) -> Outcome:
        from core.config import to_dict

        ray, store = _ray(), recorder.store
        ref = self._task.options(num_cpus=self.cpus, num_gpus=self.gpus, max_retries=0).remote(
            self._payload(job.id, job.task, to_dict(job.config), self.cpus), self.channel
        )
        started, stop_sent, cancelled = "", 0.0, False

        def drain() -> None:
            nonlocal started
            for kind, event in ray.get(self.channel.pull.remote(job.id)):
                if kind == "_started":
                    started = event["node"]
                    recorder.started(versions=event["versions"], executor=self.where, node=started)
                    recorder.on_event("running", {"node": started})
                elif kind == "_fingerprint":
                    recorder.fingerprint(event["fingerprint"])
                else:
                    recorder.event(kind, event)

        while True:
            ready, _ = ray.wait([ref], timeout=POLL_S)
            with contextlib.suppress(
                ray.exceptions.RayError
            ):  # the channel is gone: the task's error says why
                drain()
            if job.stop_event.is_set() and not stop_sent:
                stop_sent = time.time()
                self.channel.stop.remote(job.id)
                if not started:
                    ray.cancel(ref)  # still waiting for a free CPU: it never starts
                    cancelled = True
            elif stop_sent and not cancelled and time.time() - stop_sent > STOP_GRACE_S:
                ray.cancel(ref, force=True)  # it did not reach a batch end in time
                cancelled = True
            if ready:
                break
        try:
            out = ray.get(ref)
        except ray.exceptions.TaskCancelledError:
            error = "" if started else "cancelled before it started"
            out = {"status": "stopped", "result": None, "files": {}, "node": started, "error": error}
        except ray.exceptions.RayError as exc:
            out = {
                "status": "failed",
                "result": None,
                "files": {},
                "node": started,
                "error": _cluster_failure(exc),
            }
        try:
            drain()
            self.channel.forget.remote(job.id)
        except ray.exceptions.RayError:
            pass
        if out.get("node") and not started:  # it failed before its first event
            recorder.started(executor=self.where, node=out["node"])
        result = out["result"]
        if out["files"]:
            store.put_files(job.id, out["files"])
        if result is not None:  # paths in the result named the node's folder: name ours
            local = str(store.run_dir(job.id))
            result = json.loads(json.dumps(result).replace(json.dumps(out["run_dir"])[1:-1], local))
        if out["status"] == "failed":
            recorder.failed(out["error"])
        else:
            recorder.finished(out["status"], result, error=out["error"])
        return out["status"], result, out["error"]

    def stop(self, job_id: str) -> None:
        """Nothing to do here: `run` polls the job's stop event and passes it on to the node."""

    def close(self) -> None:
        with contextlib.suppress(Exception):
            _ray().kill(self.channel)
