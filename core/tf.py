"""Lazy, configured import of TensorFlow and Keras.

`import tensorflow` costs seconds, so nothing in `core` imports it at module
import time: code that trains calls `keras_module()`. Thread counts can only be
set before TensorFlow's first op, so they are set here, once, on first use.
"""

from __future__ import annotations

import os
import sys
import tempfile
import threading
from contextlib import contextmanager

_lock = threading.Lock()
_keras = None

# TensorFlow's C++ libraries write these straight to file descriptor 2 while they load and
# on the first device query, before TF_CPP_MIN_LOG_LEVEL is read: on a machine without a
# GPU they are noise that opened every command's stderr. Anything else written meanwhile
# is passed on.
NOISE = (
    "absl::InitializeLog",
    "oneDNN custom operations",
    "Could not find cuda drivers",
    "failed call to cuInit",
    "Unable to register cu",
    "TF-TRT Warning",
    "This TensorFlow binary is optimized",
    "computation placer already registered",
)


@contextmanager
def filtered_stderr():
    """Hold back TensorFlow's start-up log lines (NOISE) written to fd 2; pass the rest on."""
    sys.stderr.flush()
    saved = os.dup(2)
    with tempfile.TemporaryFile() as tmp:
        os.dup2(tmp.fileno(), 2)
        try:
            yield
        finally:
            sys.stderr.flush()
            os.dup2(saved, 2)
            os.close(saved)
            tmp.seek(0)
            lines = tmp.read().decode("utf-8", "replace").splitlines(keepends=True)
            kept = "".join(line for line in lines if not any(n in line for n in NOISE))
            if kept:
                sys.stderr.write(kept)
                sys.stderr.flush()


def _count(name: str, default: int) -> int:
    """A positive whole number from the environment variable `name`, else `default`."""
    value = os.environ.get(name, "")
    return int(value) if value.isdigit() and int(value) > 0 else default


def thread_count() -> int:
    """Intra-op threads for training: RNN_STUDIO_TF_THREADS, else every core."""
    return _count("RNN_STUDIO_TF_THREADS", max(1, os.cpu_count() or 1))


def interop_count() -> int:
    """Operations TensorFlow runs side by side: RNN_STUDIO_TF_INTEROP, else 2.

    Measured on 2 cores (2026-12-01): 2 instead of 1 trained the bidirectional sentiment
    model in 8.2 s instead of 10.6 s (its two directions run at once) and Keras's own GRU
    loop at 62k characters/s instead of 39k; the XLA-compiled text model did not change
    (71-73k either way, within the noise)."""
    return _count("RNN_STUDIO_TF_INTEROP", 2)


def is_loaded() -> bool:
    """True once TensorFlow is imported in this process (a page can say the next step is quick)."""
    return _keras is not None


def keras_module():
    """Import Keras on the TensorFlow backend with the thread settings applied."""
    global _keras
    if _keras is not None:
        return _keras
    with _lock:
        if _keras is None:
            os.environ.setdefault("KERAS_BACKEND", "tensorflow")
            os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
            n = str(thread_count())
            os.environ.setdefault("TF_NUM_INTRAOP_THREADS", n)
            inter = str(interop_count())
            os.environ.setdefault("TF_NUM_INTEROP_THREADS", inter)
            with filtered_stderr():
                import tensorflow as tf

                tf.config.list_physical_devices("GPU")  # the CUDA probe logs here, once
            try:
                tf.config.threading.set_intra_op_parallelism_threads(int(n))
                tf.config.threading.set_inter_op_parallelism_threads(int(inter))
            except RuntimeError:
                pass  # TensorFlow already ran an op in this process; keep its settings.
            import keras

            _keras = keras
            # The app's fast recurrent layers, registered before any saved model is loaded.
            from core.fast_layers import fast_layers

            fast_layers()
    return _keras


def versions() -> dict:
    """Library versions for a run's reproducibility card (imports TensorFlow)."""
    import platform

    import numpy
    import pandas
    import sklearn

    keras = keras_module()
    import tensorflow as tf

    return {
        "python": platform.python_version(),
        "tensorflow": tf.__version__,
        "keras": keras.__version__,
        "numpy": numpy.__version__,
        "pandas": pandas.__version__,
        "scikit-learn": sklearn.__version__,
        "machine": f"{platform.system()} {platform.machine()}, {os.cpu_count()} cores",
    }
