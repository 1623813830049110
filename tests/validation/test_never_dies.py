"""Validation never dies on a file, and its two paths agree (issue 12).

Random bytes and random mutations of a valid CSV (quotes, line ends, cell
counts, encodings, byte-order marks, blank lines) go through the exact path
at several block sizes and through the fast path: every run returns a
report, all of them the same report with the same accepted rows, and the
report's SHA-256 is that of the input.
"""

from __future__ import annotations

import hashlib
import io
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from landingzone.validation import FAST_PATH_MIN_BYTES
from landingzone.validation.report import Report
from landingzone.validation.schema import parse_dataset_type
from landingzone.validation.validator import Validator
from tests.validation.test_validator import Collect

# The fuzz target's dataset (make fuzz): the two explore the same inputs.
DATASET = parse_dataset_type(
    (Path(__file__).parents[2] / "fuzz" / "dataset.json").read_text(encoding="utf-8")
)
HEADER = b"id,name,day"


@dataclass(frozen=True)
class Outcome:
    fatal: str | None
    rows_total: int
    rows_rejected: int
    error_count: int
    errors: list[tuple[int, int | None, str | None, str | None, str]]
    errors_truncated: bool
    rows: list[dict[str, Any]]
    sha256: str | None

    @classmethod
    def of(cls, report: Report, sink: Collect) -> Outcome:
        # Rows found repeated only at the end are dropped by the sink's owner.
        dropped = set(report.duplicate_rows)
        return cls(
            report.fatal,
            report.rows_total,
            report.rows_rejected,
            report.error_count,
            [(e.row, e.column, e.field, e.value, e.code) for e in report.errors],
            report.errors_truncated,
            [r for r in sink.rows if r["__row"] not in dropped],
            report.sha256,
        )


_validators: dict[tuple[int, int | None], Validator] = {}


def validator(block_size: int, threshold: int | None) -> Validator:
    """One per configuration: a validator is reusable, and making one costs ~0.1 s."""
    key = (block_size, threshold)
    if key not in _validators:
        _validators[key] = Validator(
            DATASET, error_cap=50, block_size=block_size, fast_path_min_bytes=threshold
        )
    return _validators[key]


def exact(data: bytes, block_size: int) -> Outcome:
    sink = Collect()
    report = validator(block_size, None).validate(io.BytesIO(data), sink, hash_all=True)
    return Outcome.of(report, sink)


def fast(data: bytes, path: Path, threshold: int = 0) -> Outcome:
    """The fast path wherever it takes the file (it hands the rest to the exact path)."""
    path.write_bytes(data)
    sink = Collect()
    with path.open("rb") as stream:
        report = validator(3 * 1024 * 1024, threshold).validate(stream, sink, path, hash_all=True)
    return Outcome.of(report, sink)


def row(i: int) -> bytes:
    return b"%d,name %d,%02d/%02d/2024" % (i, i, 1 + i % 28, 1 + i % 12)


MUTATIONS = [
    b'"',  # a stray quote, or one that opens a cell
    b'""',
    b"\r",
    b"\n",
    b"\r\n",
    b",",
    b"\x00",
    b"\xff",  # invalid UTF-8
    b"\xe9",  # Latin-1
    "é".encode(),
    b"\xef\xbb\xbf",
    b" ",
    b'27" monitor',
    b'"a\nb"',
]


@st.composite
def files(draw: st.DrawFn) -> bytes:
    if draw(st.integers(0, 4)) == 0:
        return draw(st.binary(max_size=300))
    count = draw(st.integers(0, 30))
    ends = draw(st.sampled_from([b"\n", b"\r\n", b"\r"]))
    lines = [HEADER, *(row(draw(st.integers(0, 40))) for _ in range(count))]
    data = bytearray(ends.join(lines) + draw(st.sampled_from([b"", ends])))
    for _ in range(draw(st.integers(0, 6))):
        position = draw(st.integers(0, len(data)))
        kind = draw(st.integers(0, 2))
        if kind == 0:  # insert
            data[position:position] = draw(st.sampled_from(MUTATIONS))
        elif kind == 1 and position < len(data):  # delete a few bytes
            del data[position : position + draw(st.integers(1, 8))]
        else:  # replace a byte
            if position < len(data):
                data[position] = draw(st.integers(0, 255))
    return bytes(data)


@settings(
    max_examples=20,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=files(), block_size=st.sampled_from([7, 64, 512]))
def test_a_report_always_comes_back_and_both_paths_agree(
    tmp_path: Path, data: bytes, block_size: int
) -> None:
    reference = exact(data, 1 << 20)
    assert reference.sha256 == hashlib.sha256(data).hexdigest()
    assert exact(data, block_size) == reference
    assert fast(data, tmp_path / "f.csv") == reference


@pytest.mark.slow
@pytest.mark.parametrize("offset", [-1, 1])
@pytest.mark.parametrize("mutation", [b"", b'27" monitor', b"\r", b"\xff,extra", b'"a\nb"\r\n\r\n'])
def test_around_the_fast_path_threshold_both_paths_agree(
    tmp_path: Path, offset: int, mutation: bytes
) -> None:
    """Files just under, at and over the 4 MiB threshold, with the default threshold."""
    body = b"\n".join(row(i) for i in range(FAST_PATH_MIN_BYTES // 20))
    data = HEADER + b"\n" + body[: FAST_PATH_MIN_BYTES - len(HEADER) - 1 + offset]
    middle = len(data) // 2
    data = data[:middle] + mutation + data[middle:]
    data = data[: FAST_PATH_MIN_BYTES + offset]
    assert len(data) == FAST_PATH_MIN_BYTES + offset
    reference = exact(data, 3 * 1024 * 1024)
    assert reference.rows_total > 100_000
    assert fast(data, tmp_path / "f.csv", FAST_PATH_MIN_BYTES) == reference
