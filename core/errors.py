"""The errors a user can fix, in one place: each message is a sentence that says how.

`USER_ERRORS` is what a run's failure is stored and shown as, word for word; any other
exception is a bug or a resource problem and is told with its class name.
"""

from __future__ import annotations


class DataError(ValueError):
    """Bad or missing input that the user can fix; the message says how."""


class ConfigError(ValueError):
    """A setting a user can choose is out of range; the message says which and why."""


class TrainingError(RuntimeError):
    """Training went wrong in a way the user can fix (the message says how)."""


USER_ERRORS = (DataError, ConfigError, TrainingError)
