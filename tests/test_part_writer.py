"""PartWriter gathers small writes into row groups (storage/parquet.py)."""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from landingzone.storage import parquet
from landingzone.storage.parquet import local_part_writer


@pytest.fixture
def part(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Where a part goes, with row groups of at least 100 rows."""
    monkeypatch.setattr(parquet, "ROW_GROUP_ROWS", 100)
    return tmp_path / "part-1.parquet"


def rows(start: int, count: int) -> pa.Table:
    return pa.table({"id": range(start, start + count), "__row": range(start, start + count)})


def test_small_writes_become_row_groups_of_the_minimum_size(part: Path) -> None:
    writer = local_part_writer(part)
    for start in range(0, 250, 30):  # 30 rows a write, the last one 10
        writer.write(rows(start, min(30, 250 - start)))
    writer.write(rows(250, 150))  # large enough alone
    assert writer.commit([]) == 400
    source = pq.ParquetFile(part)
    sizes = [source.metadata.row_group(i).num_rows for i in range(source.num_row_groups)]
    assert sizes == [120, 120, 160]  # the rest (10 rows) went out with the large write
    assert source.read().column("_row").to_pylist() == list(range(400))


def test_an_aborted_part_leaves_nothing_and_a_restart_starts_empty(part: Path) -> None:
    writer = local_part_writer(part)
    writer.write(rows(0, 150))
    writer.write(rows(150, 20))  # still waiting for its row group
    writer.restart()
    writer.write(rows(1000, 5))
    assert writer.commit([]) == 5
    assert pq.read_table(part).column("id").to_pylist() == list(range(1000, 1005))


def test_wide_rows_make_row_groups_by_bytes(part: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # 30 rows of two int64 columns are 480 bytes: two writes pass a 900-byte bound.
    monkeypatch.setattr(parquet, "ROW_GROUP_BYTES", 900)
    writer = local_part_writer(part)
    for start in range(0, 90, 30):
        writer.write(rows(start, 30))
    assert writer.commit([]) == 90
    source = pq.ParquetFile(part)
    sizes = [source.metadata.row_group(i).num_rows for i in range(source.num_row_groups)]
    assert sizes == [60, 30]
