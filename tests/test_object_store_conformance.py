"""One suite for the ObjectStore port, run against every backend: local disk and S3 (moto)."""

from __future__ import annotations

import io
import os
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from landingzone.errors import StorageUnavailable
from landingzone.storage.base import ObjectStore
from landingzone.storage.local import LocalObjectStore
from landingzone.storage.s3 import S3Location, S3ObjectStore
from tests.s3 import S3Server

MISSING = "0" * 32


@pytest.fixture(params=["local", "s3"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[ObjectStore]:
    if request.param == "local":
        yield LocalObjectStore(tmp_path / "objects-root")
        return
    s3: S3Server = request.getfixturevalue("s3")
    yield S3ObjectStore(s3.client(), S3Location(s3.new_bucket(), "conformance/"))


@pytest.mark.parametrize("size", [0, 1, 5 * 1024 * 1024 + 3])
def test_put_then_read_back_every_way(store: ObjectStore, tmp_path: Path, size: int) -> None:
    body = os.urandom(size)
    sid = store.put(io.BytesIO(body))
    assert len(sid) == 32 and int(sid, 16) >= 0
    with store.open(sid) as source:
        assert source.read() == body
    assert store.size(sid) == size
    copy = tmp_path / "copy"
    store.download(sid, copy)
    assert copy.read_bytes() == body
    local = store.local_path(sid)
    assert local is None or local.read_bytes() == body


def test_ids_are_fresh_and_objects_independent(store: ObjectStore) -> None:
    first = store.put(io.BytesIO(b"one"))
    second = store.put(io.BytesIO(b"one"))
    assert first != second
    store.delete(first)
    with store.open(second) as source:
        assert source.read() == b"one"


def test_a_missing_object_is_file_not_found_and_delete_is_idempotent(
    store: ObjectStore, tmp_path: Path
) -> None:
    with pytest.raises(FileNotFoundError):
        store.open(MISSING)
    with pytest.raises(FileNotFoundError):
        store.size(MISSING)
    with pytest.raises(FileNotFoundError):
        store.download(MISSING, tmp_path / "nothing")
    store.delete(MISSING)
    sid = store.put(io.BytesIO(b"x"))
    store.delete(sid)
    store.delete(sid)
    with pytest.raises(FileNotFoundError):
        store.open(sid)


def test_ids_that_are_not_storage_ids_never_reach_the_backend(store: ObjectStore) -> None:
    for bad in ("../../etc/passwd", "A" * 32, "", "0" * 31):
        with pytest.raises(ValueError, match="storage id"):
            store.open(bad)
        with pytest.raises(ValueError, match="storage id"):
            store.delete(bad)


def test_orphan_reconciliation_and_cleanup(store: ObjectStore) -> None:
    sid = store.put(io.BytesIO(b"kept"))
    now = time.time()
    assert store.storage_ids_older_than(3600, now) == []
    assert store.storage_ids_older_than(3600, now + 7200) == [sid]
    assert store.cleanup_staging() >= 0
    with store.open(sid) as source:
        assert source.read() == b"kept"
    store.ping()


def test_an_unreachable_s3_store_is_storage_unavailable(s3: S3Server) -> None:
    from landingzone.storage.s3 import make_client

    client = make_client("http://127.0.0.1:9", "us-east-1")
    store = S3ObjectStore(client, S3Location("nowhere", ""))
    with pytest.raises(StorageUnavailable, match="S3 "):
        store.ping()
    with pytest.raises(StorageUnavailable):
        store.put(io.BytesIO(b"x"))


def test_open_range_reads_exactly_the_range(store: ObjectStore) -> None:
    body = os.urandom(3 * 1024 * 1024 + 5)
    sid = store.put(io.BytesIO(body))
    for start, length in (
        (0, len(body)),
        (3, 10),
        (len(body) - 1, 1),
        (1024 * 1024 - 2, 5),
        (7, 0),
    ):
        with store.open_range(sid, start, length) as source:
            assert source.read() == body[start : start + length], (start, length)
            assert source.read() == b""
    with pytest.raises(FileNotFoundError):
        store.open_range(MISSING, 0, 1)
    with pytest.raises(FileNotFoundError):
        store.open_range(MISSING, 0, 0)
    with pytest.raises(ValueError, match="storage id"):
        store.open_range("../x", 0, 1)
