"""Helpers for the scale-out tests: PostgreSQL (RNN_STUDIO_TEST_PG) and a local Ray cluster.

Without those, the tests skip with a reason; CI sets RNN_STUDIO_REQUIRE_SCALE=1 so that
there a missing database or a missing ray fails instead (as RNN_STUDIO_REQUIRE_BROWSER does).
"""

from __future__ import annotations

import os
import uuid
from contextlib import contextmanager
from urllib.parse import quote

import pytest


def require_scale(reason: str) -> None:
    if os.environ.get("RNN_STUDIO_REQUIRE_SCALE") == "1":
        pytest.fail(reason)
    pytest.skip(reason)


def require_ray():
    try:
        import ray
    except ImportError:
        require_scale("ray is not installed (pip install -r requirements-scale.txt)")
    return ray


@contextmanager
def postgres_schema():
    """A fresh, empty schema in the test database; yields a URL whose search_path points at it."""
    url = os.environ.get("RNN_STUDIO_TEST_PG", "")
    if not url:
        require_scale("RNN_STUDIO_TEST_PG is not set (a postgresql:// URL; .ci/run starts one)")
    try:
        import psycopg
    except ImportError:
        require_scale("psycopg is not installed (pip install -r requirements-scale.txt)")
    schema = "t_" + uuid.uuid4().hex[:12]
    with psycopg.connect(url, autocommit=True) as con:
        con.execute(f"CREATE SCHEMA {schema}")
    sep = "&" if "?" in url else "?"
    try:
        yield f"{url}{sep}options={quote(f'-csearch_path={schema}')}"
    finally:
        with psycopg.connect(url, autocommit=True) as con:
            con.execute(f"DROP SCHEMA {schema} CASCADE")
