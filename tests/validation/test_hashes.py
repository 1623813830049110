"""Repeated hashes across a whole file (validation/hashes.py)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from landingzone.validation import hashes
from landingzone.validation.hashes import HashPartitions, TooManyRepeats


def spread(count: int) -> np.ndarray:
    """Distinct hashes over every partition (a multiplicative hash of 0..count)."""
    return np.arange(count, dtype=np.uint64) * np.uint64(0x9E3779B97F4A7C15)


def test_repeats_are_found_across_writes_and_partitions(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(hashes, "WRITE_ROWS", 1000)
    values = spread(10_000)
    values[7000] = values[12]  # a repeat several writes later
    values[7001] = values[7002] = values[13]  # two, next to each other
    other = spread(10_000)[::-1].copy()
    other[9] = other[9999]
    table = HashPartitions([0, 3], tmp_path)
    try:
        for start in range(0, len(values), 700):
            rows = np.arange(start, min(start + 700, len(values)), dtype=np.int64) + 2
            table.add(0, values[start : start + 700], rows)
            table.add(3, other[start : start + 700], rows)
        assert table.repeated(0, limit=5).tolist() == [14, 15, 7002, 7003, 7004]
        assert table.repeated(3, limit=5).tolist() == [11, 10_001]
        parts = list(table.repeated_by_partition(0))
        assert sorted(np.concatenate(parts).tolist()) == [14, 15, 7002, 7003, 7004]
        with pytest.raises(TooManyRepeats):
            table.repeated(0, limit=4)
    finally:
        table.close()


def test_no_values_no_repeats(tmp_path: Path) -> None:
    table = HashPartitions([0], tmp_path)
    assert table.repeated(0, limit=0).tolist() == []
    table.close()
