"""The unique index finds every repeat, in memory, on disk, and across the move between."""

from __future__ import annotations

import hashlib
import io
import random
from pathlib import Path

import pyarrow as pa
import pytest

from landingzone.domain.datasets import shipped_datasets
from landingzone.validation.schema import parse_dataset_type
from landingzone.validation.unique import RepeatFinder, UniqueIndex
from landingzone.validation.validator import Validator

TRANSACTIONS = {d.name: d for d in shipped_datasets()}["transactions"]
ID_FIELD = 0  # transaction_id, the unique field


def fill(index: UniqueIndex, values: list[str], block: int = 97) -> None:
    for start in range(0, len(values), block):
        chunk = values[start : start + block]
        index.add(
            ID_FIELD,
            pa.table(
                {
                    "v": chunk,
                    "rec": list(range(1, len(chunk) + 1)),
                    "bad": [i % 7 == 0 for i in range(len(chunk))],
                }
            ),
            offset=start + 1,  # file rows start at 2 (row 1 is the header)
        )


@pytest.mark.parametrize("disk_rows", [0, 450, 10_000])
def test_repeats_are_found_in_memory_on_disk_and_across_the_move(
    tmp_path: Path, disk_rows: int
) -> None:
    rng = random.Random(disk_rows)
    values = [f"tx{rng.randint(0, 400)}" for _ in range(1000)]
    index = UniqueIndex(TRANSACTIONS, tmp_path, disk_rows=disk_rows)
    try:
        fill(index, values)
        assert index.on_disk is (disk_rows < len(values))
        found = index.duplicates()
    finally:
        index.close()
    seen: set[str] = set()
    expected = []
    for position, value in enumerate(values):
        if value in seen:
            expected.append((ID_FIELD, position + 2, value, (position % 97) % 7 == 0))
        seen.add(value)
    assert found == expected
    assert len(expected) > 500  # the case is not trivial


def hash64(value: str) -> int:
    return int.from_bytes(hashlib.blake2b(value.encode(), digest_size=8).digest(), "big")


@pytest.mark.parametrize("disk_rows", [0, 10_000])
def test_the_exact_paths_finder_compares_only_repeated_hashes(
    tmp_path: Path, disk_rows: int
) -> None:
    """Every row repeats an id: all of them reach the index, through files, not memory."""
    values = [f"tx{i % 300}" for i in range(1000)] + ["only-once"]
    finder = RepeatFinder(TRANSACTIONS, tmp_path, disk_rows)
    finder.column_of_field = {ID_FIELD: 0}
    try:
        for c, start in enumerate(range(0, len(values), 97)):
            chunk = values[start : start + 97]
            finder.add(
                ID_FIELD,
                pa.table({
                    "v": [*chunk, None],  # a missing value takes no part
                    "h": pa.array([*(hash64(v) for v in chunk), 0], pa.uint64()),
                    "rec": [*range(1, len(chunk) + 1), 99],
                    "bad": [False] * (len(chunk) + 1),
                }),
                offset=c * 100,
            )  # fmt: skip
        index = finder.index()
        try:
            assert index.on_disk is (disk_rows == 0)
            found = index.duplicates()
        finally:
            index.close()
    finally:
        finder.close()
    rows = [c * 100 + k + 1 for c in range(11) for k in range(97)]  # value i's row
    expected = [(ID_FIELD, rows[i], values[i], False) for i in range(300, 1000)]
    assert found == expected


def test_a_repeated_datetime_is_reported_in_utc_whatever_the_hosts_zone(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # DuckDB takes a new connection's zone from TZ: the unique index's must not.
    monkeypatch.setenv("TZ", "America/New_York")
    dataset = parse_dataset_type(
        {
            "name": "t",
            "schema": {
                "fields": [{"name": "at", "type": "datetime", "constraints": {"unique": True}}]
            },
        }
    )
    data = b"at\n2025-01-01T10:00:00Z\n2025-01-01T10:00:00Z\n"
    report = Validator(dataset, fast_path_min_bytes=None).validate(io.BytesIO(data))
    assert [(e.row, e.value) for e in report.errors] == [(3, "2025-01-01 10:00:00+00")]
