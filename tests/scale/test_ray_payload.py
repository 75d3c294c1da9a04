"""What travels to a Ray node with a job, and what a run records about where it trained (no cluster needed)."""

from __future__ import annotations

import pytest

from core import music_corpus as mc
from core.datasets import DataError
from core.ray_executor import RayExecutor, _materialise_data, cluster_label
from tests.helpers.music import notes_track, scale_notes, smf

pytestmark = pytest.mark.scale


def test_the_executor_is_ray_and_its_address_never_the_setting_auto():
    assert cluster_label("auto", "10.0.0.5:6379") == "ray 10.0.0.5:6379"
    assert cluster_label("ray://head:10001") == "ray ray://head:10001"
    assert cluster_label("auto") == "ray"


def test_a_folder_of_midi_files_travels_with_the_job(tmp_path, data_dir, monkeypatch):
    files = [smf(notes_track(scale_notes(60 + i, 48))) for i in range(3)]
    folder = mc.save_midi_uploads(files)
    payload = RayExecutor._payload("j1", "music", {"data": folder, "track": -1}, 1.0)
    shipped = payload["data"]
    assert len(shipped["files"]) == 3
    node_dir = tmp_path / "node"  # the cluster node has its own, empty data directory
    monkeypatch.setenv("RNN_STUDIO_DATA", str(node_dir))
    config = _materialise_data(payload["config"], shipped)
    assert config["data"] != folder and config["data"].startswith(str(node_dir))
    assert len(mc.load_uploads(config["data"]).pieces) == len(mc.load_uploads(folder).pieces) >= 3


def test_a_damaged_or_oversized_folder_is_refused(data_dir, monkeypatch):
    folder = mc.save_midi_uploads([smf(notes_track(scale_notes(60 + i, 48))) for i in range(2)])
    shipped = RayExecutor._payload("j", "music", {"data": folder}, 1.0)["data"]
    shipped["files"][0]["bytes"] += b"x"
    with pytest.raises(DataError, match="damaged"):
        _materialise_data({"data": folder}, shipped)
    monkeypatch.setattr("core.ray_executor.MAX_SHIPPED_MB", 0)
    with pytest.raises(DataError, match="larger than 0 MB"):
        RayExecutor._payload("j", "music", {"data": folder}, 1.0)
