"""Shared fixtures: every test gets its own data directory and a fresh job manager."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

WORKERS_ENV = "RNN_STUDIO_TEST_WORKERS"
ROOT = Path(__file__).resolve().parents[1]
# Read-only corpora: CI points RNN_STUDIO_DATA at a copy of ../shared/data.
SOURCE_DATA = Path(os.environ.get("RNN_STUDIO_DATA") or ROOT.parent / "shared" / "data")


@pytest.fixture(autouse=True)
def data_dir(tmp_path, monkeypatch) -> Path:
    """A private data directory (run store, uploads) with links to the shared corpora."""
    path = tmp_path / "data"
    path.mkdir()
    if SOURCE_DATA.is_dir():
        for item in SOURCE_DATA.iterdir():
            # Caches and run data stay private: a test must never write into the source directory.
            if item.name not in ("runs", "runs.db", "uploads", "music", "cache") and not item.name.startswith(
                "runs.db"
            ):
                (path / item.name).symlink_to(item.resolve())
    monkeypatch.setenv("RNN_STUDIO_DATA", str(path))
    yield path


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.scale)])
def store_db(request, monkeypatch):
    """Run the test once on the default SQLite file and once on PostgreSQL (RNN_STUDIO_DB):
    RunStore() and the command line in subprocesses both pick the setting up."""
    if request.param == "sqlite":
        monkeypatch.delenv("RNN_STUDIO_DB", raising=False)
        yield "sqlite"
        return
    from tests.helpers.scale import postgres_schema

    with postgres_schema() as url:
        monkeypatch.setenv("RNN_STUDIO_DB", url)
        yield "postgresql"


@pytest.fixture(scope="session")
def tiny_bach_store(tmp_path_factory) -> Path:
    """The first 10 Bach chorales, parsed once per session (the full corpus takes minutes)."""
    from tests.helpers.music import build_tiny_bach

    return build_tiny_bach(tmp_path_factory.mktemp("tiny-bach"))


@pytest.fixture
def bach_cache(tiny_bach_store, data_dir) -> Path:
    """This test's data directory holds the tiny Bach cache, so `--data bach` uses it."""
    from tests.helpers.music import install_cache

    return install_cache(tiny_bach_store, data_dir)


@pytest.fixture
def fresh_app(monkeypatch):
    """A fresh cached job manager per page test, whose training process is shut down after."""
    import streamlit as st

    import ui.panel
    from core.jobs import JobManager

    made: list[JobManager] = []

    class Recorded(JobManager):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            made.append(self)

    monkeypatch.setattr(ui.panel, "JobManager", Recorded)
    st.cache_resource.clear()
    st.cache_data.clear()
    yield
    for mgr in made:
        mgr.shutdown(timeout=30)
    st.cache_resource.clear()


def pytest_collection_modifyitems(items):
    """Browser tests start a server and a browser: they belong to the slow lane too."""
    for item in items:
        if item.get_closest_marker("browser"):
            item.add_marker(pytest.mark.slow)


@pytest.hookimpl(tryfirst=True)
def pytest_cmdline_main(config):
    """The fast lane (`-m "not slow"`) spreads over worker processes, one per core up to 4
    (pytest-xdist): on 2 cores it answers in about 3.5 minutes instead of 6, since most tests
    keep one core busy. The whole suite stays in one process: its browser tests time what a
    user sees and must not share the cores. `-n N` or RNN_STUDIO_TEST_WORKERS=N (1: none) sets it."""
    if hasattr(config, "workerinput") or not hasattr(config.option, "numprocesses"):
        return  # an xdist worker, or xdist not installed (or `-p no:xdist`)
    if config.option.numprocesses is not None or config.option.usepdb or config.option.collectonly:
        return
    wanted = os.environ.get(WORKERS_ENV)
    if wanted is None and (config.option.markexpr or "").replace(" ", "") != "notslow":
        return
    workers = int(wanted) if wanted else min(os.cpu_count() or 1, 4)
    if workers > 1:
        config.option.numprocesses = workers
