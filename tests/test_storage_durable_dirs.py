"""New directories under the data directory are synced into their parents before anything
that depends on them is acknowledged (issue 12 point 3).

The real ``os.fsync`` is wrapped to record which paths it synced, through
``/proc/self/fd``: the test sees the system calls, not our helper's arguments.
"""

from __future__ import annotations

import os
from pathlib import Path

import pyarrow as pa
import pytest

from landingzone.storage.local import LocalObjectStore
from landingzone.storage.local_analytics import LocalAnalyticsStore

FILE_ID = "0f8fad5b-d9cb-469f-a165-70867728950e"


@pytest.fixture
def synced(monkeypatch: pytest.MonkeyPatch) -> list[Path]:
    paths: list[Path] = []
    real_fsync = os.fsync

    def recording_fsync(fd: int) -> None:
        paths.append(Path(os.readlink(f"/proc/self/fd/{fd}")))
        real_fsync(fd)

    monkeypatch.setattr(os, "fsync", recording_fsync)
    return paths


def test_an_objects_new_shard_directories_are_synced_into_their_parents(
    tmp_path: Path, synced: list[Path]
) -> None:
    store = LocalObjectStore(tmp_path)
    staged = store.begin_upload("upload1")
    staged.write(b"bytes")
    storage_id = staged.commit()
    shard = store.path_for(storage_id).parent  # objects/ab/cd, both new
    for directory in (store.objects_dir, shard.parent, shard):
        assert directory in synced, directory
    # Each parent is synced after its child exists, and all before commit returned.
    assert synced.index(store.objects_dir) < synced.index(shard)


def test_a_parquet_parts_new_directories_are_synced_before_the_part_is_published(
    tmp_path: Path, synced: list[Path]
) -> None:
    root = tmp_path / "analytics"
    store = LocalAnalyticsStore(root)
    writer = store.writer("transactions", "acme", FILE_ID, 1)
    writer.write(pa.table({"a": [1, 2, 3], "__row": [1, 2, 3]}))
    assert writer.commit([]) == 3
    part = store.part("transactions", "acme", FILE_ID, 1)
    assert part.exists()
    for directory in (root, root / "transactions", root / "transactions" / "customer=acme"):
        assert directory in synced, directory
    assert part.parent in synced
