"""The training process: `python -m core.worker`, started and fed by core.process_backend.

It reads JSON lines on stdin ({"op": "run" | "stop" | "exit", ...}) and writes
JSON lines on its original stdout ({"job_id", "kind", "payload"}, then one
{"kind": "end", "status", "result", "error"} per job). Anything else that
prints (TensorFlow, a library) is sent to stderr so it cannot corrupt them.
If the server disappears (stdin closes) the process exits at once and leaves
the run as "running" in the store, so the next server marks it interrupted.
It runs at the server's CPU priority (RNN_STUDIO_WORKER_NICE raises its nice value).
"""

from __future__ import annotations

import json
import os
import queue
import sys
import threading
import traceback


def main() -> None:
    # Same priority as everything else on the machine. At nice 10 a teacher's laptop starved the
    # training (2026-12-01: beside four busy programs the quick Shakespeare run got so few steps it
    # lost to the trigram); clicks stay fast because the server's own work per poll is small.
    # RNN_STUDIO_WORKER_NICE=10 brings the old setting back for a server with nothing else on it.
    nice = int(os.environ.get("RNN_STUDIO_WORKER_NICE", "0"))
    if nice:
        os.nice(nice)
    protocol = os.fdopen(os.dup(1), "w", buffering=1)
    os.dup2(2, 1)
    sys.stdout = sys.stderr
    write_lock = threading.Lock()

    def emit(job_id: str, kind: str, **fields) -> None:
        with write_lock:
            protocol.write(json.dumps({"job_id": job_id, "kind": kind, **fields}) + "\n")

    jobs: queue.Queue = queue.Queue()
    stops: dict[str, threading.Event] = {}
    busy = threading.Event()  # set while a job trains

    def read_commands() -> None:
        for line in sys.stdin:
            msg = json.loads(line)
            if msg["op"] == "run":
                stops.setdefault(msg["job_id"], threading.Event())
                jobs.put(msg)
            elif msg["op"] == "stop":
                stops.setdefault(msg["job_id"], threading.Event()).set()
            elif msg["op"] == "exit":
                if not busy.is_set() and jobs.empty():
                    os._exit(0)  # idle (perhaps still importing TensorFlow): nothing to finish
                jobs.put(None)
                return
        os._exit(0)  # the server is gone

    threading.Thread(target=read_commands, daemon=True).start()

    from core.config import from_dict
    from core.execute import USER_ERRORS, execute, failure_message
    from core.runs import RunStore
    from core.tasks import TASK_CONFIGS
    from core.tf import keras_module

    keras_module()  # pay for the TensorFlow import before the first job arrives
    emit("", "ready")
    while (msg := jobs.get()) is not None:
        busy.set()
        job_id, task = msg["job_id"], msg["task"]
        status, result, error = "failed", None, ""
        try:
            # Opening the store is inside: on a full disk it fails too, and the job must still end.
            store = RunStore(msg["store"], msg.get("db"))
            config = from_dict(TASK_CONFIGS[task], msg["config"])
            status, result = execute(
                task,
                config,
                store,
                job_id,
                lambda kind, payload, jid=job_id: emit(jid, kind, payload=payload),
                stops[job_id],
            )
        except USER_ERRORS as exc:
            error = str(exc)
        except Exception as exc:
            traceback.print_exc()
            error = failure_message(exc, msg["store"])
        if error:  # `execute` recorded it; if the store could not even open, the server does
            status = "failed"
        emit(job_id, "end", status=status, result=result, error=error)
        stops.pop(job_id, None)
        busy.clear()


if __name__ == "__main__":
    main()
