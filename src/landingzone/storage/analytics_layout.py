"""Where the analytics store puts a part, the same on local disk and in the bucket.

Layout (Hive-style, so DuckDB, Spark, Trino and Athena read it as it is):
``<root>/{datasetType}/customer={customer}/file={id}/part-{attempt}.parquet``.
Every name in the path comes from a validated catalog value (dataset type and
customer names match strict patterns, file ids are UUIDs), checked again here.
Each attempt writes its own part, so a worker whose claim was taken over cannot
overwrite the part of the attempt that commits.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")
_FILE_ID = re.compile(r"[0-9a-f-]{36}")
_PART = re.compile(r"\.?part-(\d+)\.parquet(?:\.tmp)?")


def part_name(dataset: str, customer: str, file_id: str, attempt: int) -> str:
    """``{dataset}/customer={customer}/file={id}/part-{attempt}.parquet``, names checked."""
    return f"{file_prefix(dataset, customer, file_id)}/part-{int(attempt)}.parquet"


def file_prefix(dataset: str, customer: str, file_id: str) -> str:
    if not (_NAME.fullmatch(dataset) and _NAME.fullmatch(customer)):
        raise ValueError("invalid dataset or customer name")
    if not _FILE_ID.fullmatch(file_id):
        raise ValueError("invalid file id")
    return f"{dataset}/customer={customer}/file={file_id}"


def older_parts(names: Iterable[str], attempt: int) -> list[str]:
    """The part names (temp ones too) of attempts before ``attempt``."""
    older = []
    for name in names:
        match = _PART.fullmatch(name)
        if match and int(match.group(1)) < attempt:
            older.append(name)
    return older
