"""Upload API results (SPEC §5): wall-clock rows to instants, durations and event overlaps.

Pure computation over the validated rows; the worker's job feeds it and stores
what it returns. Semantics, documented in docs/upload-api.md:

* A Data row's dates and times are wall-clock times in the customer's zone; an
  event's are in the zone its TimeReference names (0: the customer's, 1: UTC,
  2: the submission's TimeZone). Every time becomes an instant (UTC seconds)
  before anything is compared or subtracted, so durations across a
  daylight-saving change are real elapsed minutes.
* A wall-clock time that a zone skips (spring forward) or repeats (fall back)
  is read as Python's ``zoneinfo`` reads it with ``fold=0``: with the offset in
  force before the change. 02:30 on a spring-forward night is the instant 03:30
  after it; 01:30 on a fall-back night is its first occurrence.
* Records and events are half-open intervals [start, end). An event counts for
  a record of the same Reference when they share time; a zero-length event
  counts for the records whose window holds its instant, and a zero-length
  record counts the events in progress at its instant. EventMinutes sums the
  shared minutes (zero for zero-length ones).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import duckdb
import numpy as np
import pyarrow as pa

EPOCH = datetime(1970, 1, 1)
# ResultIds are UUIDv5 of the processing token and the row: the same for every
# read of a submission, different across submissions.
RESULT_NAMESPACE = uuid.UUID("5c1f0d1e-7a59-4d0c-9a57-6f3b1c2e8a40")


@dataclass(frozen=True)
class Intervals:
    """Rows of one CSV as instants: spreadsheet row, Reference, start and end (UTC seconds)."""

    rows: np.ndarray[Any, np.dtype[np.int64]]
    references: pa.Array
    starts: np.ndarray[Any, np.dtype[np.int64]]
    ends: np.ndarray[Any, np.dtype[np.int64]]


def local_seconds(dates: pa.Array | pa.ChunkedArray, times: pa.Array | pa.ChunkedArray) -> Any:
    """Naive wall-clock seconds since 1970-01-01 from Arrow date32 and time64 columns."""
    days = np.asarray(dates.cast(pa.int32()).to_numpy(zero_copy_only=False), dtype=np.int64)
    micros = np.asarray(times.cast(pa.int64()).to_numpy(zero_copy_only=False), dtype=np.int64)
    return days * 86_400 + micros // 1_000_000


def to_instants(local: np.ndarray[Any, Any], zone: ZoneInfo) -> np.ndarray[Any, Any]:
    """Wall-clock seconds in ``zone`` to UTC seconds, one zone lookup per distinct value."""
    if zone.key == "UTC":
        return np.asarray(local, dtype=np.int64)
    distinct, inverse = np.unique(local, return_inverse=True)
    converted = np.fromiter(
        (
            int((EPOCH + timedelta(seconds=value)).replace(tzinfo=zone).timestamp())
            for value in distinct.tolist()
        ),
        dtype=np.int64,
        count=len(distinct),
    )
    return np.asarray(converted[inverse], dtype=np.int64)


def iso_times(instants: np.ndarray[Any, Any], zone: ZoneInfo) -> list[str]:
    """ISO 8601 with the zone's offset at each instant (``2024-05-12T09:00:00+02:00``)."""
    distinct, inverse = np.unique(instants, return_inverse=True)
    texts = [
        datetime.fromtimestamp(value, UTC).astimezone(zone).isoformat()
        for value in distinct.tolist()
    ]
    return [texts[i] for i in inverse.tolist()]


def minutes(seconds: int) -> int | float:
    value = seconds / 60
    return int(value) if value.is_integer() else round(value, 3)


def overlaps(records: Intervals, events: Intervals) -> tuple[Any, Any]:
    """(event count, shared seconds) per record, in record order.

    A range join in DuckDB (an IEJoin: events are not scanned once per record,
    so many records of one Reference stay cheap). Zero-length intervals join as
    if one second long, which implements the rule in the module docstring; the
    shared time is computed from the true ends.
    """
    count = len(records.rows)
    if count == 0 or len(events.rows) == 0:
        return np.zeros(count, dtype=np.int64), np.zeros(count, dtype=np.int64)
    record_table = pa.table(
        {
            "i": pa.array(np.arange(count, dtype=np.int64)),
            "ref": records.references,
            "s": records.starts,
            "e": records.ends,
            "e1": np.maximum(records.ends, records.starts + 1),
        }
    )
    event_table = pa.table(
        {
            "ref": events.references,
            "s": events.starts,
            "e": events.ends,
            "e1": np.maximum(events.ends, events.starts + 1),
        }
    )
    db = duckdb.connect()
    try:
        db.execute("SET threads=2")
        db.register("rec", record_table)
        db.register("ev", event_table)
        joined = db.sql(
            """
            SELECT r.i, count(*) AS n,
                   sum(greatest(0, least(v.e, r.e) - greatest(v.s, r.s))) AS shared
            FROM rec r JOIN ev v ON r.ref = v.ref AND v.s < r.e1 AND v.e1 > r.s
            GROUP BY r.i
            """
        ).fetchnumpy()
    finally:
        db.close()
    counts = np.zeros(count, dtype=np.int64)
    shared = np.zeros(count, dtype=np.int64)
    counts[joined["i"]] = joined["n"]
    shared[joined["i"]] = joined["shared"]
    return counts, shared


def result_rows(
    token: str, records: Intervals, events: Intervals, zone: ZoneInfo
) -> list[dict[str, Any]]:
    """``tableofresultids`` (SPEC §5): one entry per Data row, in row order."""
    counts, shared = overlaps(records, events)
    starts = iso_times(records.starts, zone)
    ends = iso_times(records.ends, zone)
    durations = (records.ends - records.starts).tolist()
    references = records.references.to_pylist()
    table = []
    for i, row in enumerate(records.rows.tolist()):
        table.append(
            {
                "ResultId": str(uuid.uuid5(RESULT_NAMESPACE, f"{token}:{row}")),
                "Row": row,
                "Reference": references[i],
                "Start": starts[i],
                "End": ends[i],
                "DurationMinutes": minutes(durations[i]),
                "EventCount": int(counts[i]),
                "EventMinutes": minutes(int(shared[i])),
            }
        )
    return table
