"""One suite for the analytics store, run against both backends: local disk and S3 (moto)."""

from __future__ import annotations

import io
import uuid
from collections.abc import Iterator
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from landingzone.storage.analytics import AnalyticsStore
from landingzone.storage.local_analytics import LocalAnalyticsStore
from landingzone.storage.s3 import S3Location
from landingzone.storage.s3_analytics import AnalyticsBucket, S3AnalyticsStore
from tests.s3 import S3Server


def read_part(store: AnalyticsStore, s3: S3Server | None, file_id: str, attempt: int) -> pa.Table:
    if isinstance(store, LocalAnalyticsStore):
        return pq.read_table(store.part("tx", "acme", file_id, attempt))
    assert isinstance(store, S3AnalyticsStore) and s3 is not None
    body = s3.keys(store._bucket.name)[store.key("tx", "acme", file_id, attempt)]
    return pq.read_table(io.BytesIO(body))


@pytest.fixture(params=["local", "s3"])
def backend(
    request: pytest.FixtureRequest, tmp_path: Path
) -> Iterator[tuple[AnalyticsStore, S3Server | None]]:
    if request.param == "local":
        yield LocalAnalyticsStore(tmp_path / "analytics"), None
        return
    s3: S3Server = request.getfixturevalue("s3")
    bucket = AnalyticsBucket(s3.client(), S3Location(s3.new_bucket(), "lz/"))
    yield S3AnalyticsStore(bucket, tmp_path / "spool", s3.endpoint_url, "us-east-1"), s3


def rows(numbers: range) -> pa.Table:
    return pa.table({"amount": [float(n) for n in numbers], "__row": list(numbers)})


def test_a_committed_part_holds_the_rows_minus_late_duplicates(
    backend: tuple[AnalyticsStore, S3Server | None], tmp_path: Path
) -> None:
    store, s3 = backend
    file_id = str(uuid.uuid4())
    writer = store.writer("tx", "acme", file_id, 1)
    writer.write(rows(range(2, 52)))
    writer.write(rows(range(52, 102)))
    writer.commit(drop_rows=[5, 60])
    table = read_part(store, s3, file_id, 1)
    assert table.column_names == ["amount", "_row"]
    assert table.num_rows == 98
    # In order: the rewrite reads the next row group while it writes this one.
    assert table.column("_row").to_pylist() == [n for n in range(2, 102) if n not in (5, 60)]
    assert store.row_counts("tx", "acme", {file_id: 1, str(uuid.uuid4()): 1}) == {file_id: 98}
    if s3 is not None:
        assert list((tmp_path / "spool").iterdir()) == []  # the local temp part is gone


def test_retries_remove_older_parts_only_and_a_lost_claim_drops_its_own(
    backend: tuple[AnalyticsStore, S3Server | None],
) -> None:
    store, _ = backend
    file_id = str(uuid.uuid4())
    for attempt in (1, 2, 3):
        writer = store.writer("tx", "acme", file_id, attempt)
        writer.write(rows(range(2, 2 + attempt)))
        writer.commit([])
    store.remove_older("tx", "acme", file_id, 3)
    assert store.row_counts("tx", "acme", {file_id: 1}) == {}
    assert store.row_counts("tx", "acme", {file_id: 2}) == {}
    assert store.row_counts("tx", "acme", {file_id: 3}) == {file_id: 3}
    store.drop_part("tx", "acme", file_id, 3)
    assert store.row_counts("tx", "acme", {file_id: 3}) == {}


def test_an_aborted_or_empty_writer_leaves_no_part(
    backend: tuple[AnalyticsStore, S3Server | None],
) -> None:
    store, _ = backend
    file_id = str(uuid.uuid4())
    writer = store.writer("tx", "acme", file_id, 1)
    writer.write(rows(range(2, 10)))
    writer.abort()
    assert store.row_counts("tx", "acme", {file_id: 1}) == {}
    assert store.writer("tx", "acme", file_id, 2).commit([]) is None
    assert store.row_counts("tx", "acme", {file_id: 2}) == {}


def test_names_are_checked_before_they_become_paths_or_keys(
    backend: tuple[AnalyticsStore, S3Server | None],
) -> None:
    store, _ = backend
    with pytest.raises(ValueError, match="invalid"):
        store.writer("../etc", "acme", str(uuid.uuid4()), 1)
    with pytest.raises(ValueError, match="invalid file id"):
        store.drop_part("tx", "acme", "../../x", 1)
