"""The local object store: the default backend, so its safety properties are tested directly."""

from __future__ import annotations

import io
import os
from pathlib import Path

import pytest

from landingzone.storage.base import UploadInFlight
from landingzone.storage.local import LocalObjectStore


@pytest.fixture
def store(tmp_path: Path) -> LocalObjectStore:
    return LocalObjectStore(tmp_path / "store")


def test_put_open_size_delete(store: LocalObjectStore) -> None:
    sid = store.put(io.BytesIO(b"abc" * 1_000_000))
    assert store.size(sid) == 3_000_000
    with store.open(sid) as handle:
        assert handle.read() == b"abc" * 1_000_000
    store.delete(sid)
    with pytest.raises(FileNotFoundError):
        store.open(sid)
    store.delete(sid)  # idempotent


@pytest.mark.parametrize("bad", ["../../etc/passwd", "g" * 32, "0" * 31, "/" + "0" * 31, ""])
def test_storage_ids_cannot_escape_the_root(store: LocalObjectStore, bad: str) -> None:
    with pytest.raises(ValueError, match="invalid storage id"):
        store.path_for(bad)


@pytest.mark.parametrize("bad", ["../x", "a/b", "", "x" * 65])
def test_upload_ids_cannot_escape_staging(store: LocalObjectStore, bad: str) -> None:
    with pytest.raises(ValueError, match="invalid upload id"):
        store.begin_upload(bad)


def test_staged_bytes_are_invisible_until_commit(store: LocalObjectStore) -> None:
    staged = store.begin_upload("u1")
    staged.write(b"hello")
    assert store.storage_ids() == []
    sid = staged.commit()
    assert store.storage_ids() == [sid]
    assert list(store.staging_dir.iterdir()) == []
    assert store.open(sid).read() == b"hello"


def test_abort_leaves_nothing(store: LocalObjectStore) -> None:
    staged = store.begin_upload("u1")
    staged.write(b"partial")
    staged.abort()
    staged.abort()
    assert list(store.staging_dir.iterdir()) == []
    assert store.storage_ids() == []


def test_one_writer_per_upload_id(store: LocalObjectStore) -> None:
    first = store.begin_upload("u1")
    with pytest.raises(UploadInFlight):
        store.begin_upload("u1")
    first.abort()
    second = store.begin_upload("u1")
    second.write(b"ok")
    assert store.open(second.commit()).read() == b"ok"


def test_a_new_writer_truncates_what_a_dead_one_left(store: LocalObjectStore) -> None:
    (store.staging_dir / "u1.part").write_bytes(b"stale bytes from a crash")
    staged = store.begin_upload("u1")
    staged.write(b"new")
    assert store.open(staged.commit()).read() == b"new"


def test_cleanup_removes_abandoned_but_not_live_temp_files(store: LocalObjectStore) -> None:
    (store.staging_dir / "dead.part").write_bytes(b"left by a killed process")
    live = store.begin_upload("live")
    live.write(b"in progress")
    assert store.cleanup_staging() == 1
    assert [p.name for p in store.staging_dir.iterdir()] == ["live.part"]
    live.write(b" and more")
    assert store.open(live.commit()).read() == b"in progress and more"


def test_committed_objects_are_private_files(store: LocalObjectStore) -> None:
    staged = store.begin_upload("u1")
    staged.write(b"x")
    sid = staged.commit()
    assert os.stat(store.path_for(sid)).st_mode & 0o077 == 0
