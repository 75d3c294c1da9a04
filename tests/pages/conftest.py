"""Fixtures of the page tests."""

from __future__ import annotations

import pytest


@pytest.fixture
def fake_jobs(monkeypatch):
    """The pages' job manager is a `FakeJobs` (canned snapshots, nothing trains)."""
    import streamlit as st

    import ui.panel
    from tests.helpers.fake_jobs import FakeJobs

    jobs = FakeJobs()
    monkeypatch.setattr(ui.panel, "_manager", lambda: jobs)
    st.cache_resource.clear()
    yield jobs
    st.cache_resource.clear()
