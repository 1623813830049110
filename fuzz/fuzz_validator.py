"""atheris fuzz target for the validator: ``make fuzz`` (FUZZ_SECONDS=60 by default).

Every input must come back as a report (never an exception), the same from
the exact path at two block sizes and from the fast path, with the input's
SHA-256. A crash or a disagreement stops the run and leaves the input in
``crash-*`` for a regression test (tests/validation/test_never_dies.py).
"""

from __future__ import annotations

import hashlib
import io
import sys
import tempfile
from pathlib import Path

import atheris

with atheris.instrument_imports(include=["landingzone"]):
    from landingzone.validation.report import Report
    from landingzone.validation.schema import parse_dataset_type
    from landingzone.validation.validator import Validator

# The dataset the hypothesis test (tests/validation/test_never_dies.py) uses too.
DATASET = parse_dataset_type((Path(__file__).parent / "dataset.json").read_text())
EXACT = Validator(DATASET, error_cap=50, fast_path_min_bytes=None)
SMALL_BLOCKS = Validator(DATASET, error_cap=50, block_size=16, fast_path_min_bytes=None)
FAST = Validator(DATASET, error_cap=50, fast_path_min_bytes=0)
SCRATCH = Path(tempfile.mkdtemp(prefix="lz-fuzz-"))


def verdict(report: Report) -> tuple[object, ...]:
    errors = [(e.row, e.column, e.field, e.value, e.code) for e in report.errors]
    return (
        report.fatal, report.rows_total, report.rows_rejected, report.error_count, errors,
        report.duplicate_rows, report.sha256,
    )  # fmt: skip


def test_one_input(data: bytes) -> None:
    expected = hashlib.sha256(data).hexdigest()
    reference = EXACT.validate(io.BytesIO(data), hash_all=True)
    if reference.sha256 != expected:
        raise AssertionError("the report's SHA-256 is not the input's")
    small = SMALL_BLOCKS.validate(io.BytesIO(data), hash_all=True)
    if verdict(small) != verdict(reference):
        raise AssertionError(f"block size changed the verdict: {verdict(small)} {verdict(reference)}")
    path = SCRATCH / "input.csv"
    path.write_bytes(data)
    with path.open("rb") as stream:
        fast = FAST.validate(stream, None, path, hash_all=True)
    if verdict(fast) != verdict(reference):
        raise AssertionError(f"the fast path disagrees: {verdict(fast)} {verdict(reference)}")


def main() -> None:
    atheris.Setup(sys.argv, test_one_input)
    atheris.Fuzz()


if __name__ == "__main__":
    main()
