"""Processing one claimed Upload API submission: validate, check, compute, store.

Data and EventData go through the shared streaming validator with the
``uploadapi.data`` and ``uploadapi.events`` dataset types; then the checks
that span columns or files (end not before start, every event's Reference
known), on the rows that parsed even when other rows did not, so the feedback
lists every error at once. Any problem fails the submission with its feedback; otherwise the
results table is computed (``timeline.py``). Both outputs are written to the
object store as JSON documents before ``submission_job.py`` commits the row, so
a reader never sees a status whose output is missing. This module loads
pyarrow, DuckDB and numpy; the job imports it only when there is work.
"""

from __future__ import annotations

import csv
import io
import json
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, BinaryIO
from zoneinfo import ZoneInfo

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from landingzone.domain.datasets import shipped_datasets
from landingzone.domain.models import Submission, SubmissionOutcome, SubmissionStatus
from landingzone.domain.ports import DatasetCatalog, SubmissionStore
from landingzone.pipeline.job import hash_mismatch
from landingzone.pipeline.timeline import Intervals, local_seconds, result_rows, to_instants
from landingzone.validation.report import Report
from landingzone.validation.schema import DatasetType
from landingzone.validation.validator import Validator

log = logging.getLogger(__name__)

DATA, EVENTS = "Data", "EventData"
DATA_TYPE, EVENTS_TYPE = "uploadapi.data", "uploadapi.events"
# The columns the computation reads, by position (SPEC §5's fixed column order).
DATA_COLUMNS = ("Reference", "StartDate", "StartTime", "EndDate", "EndTime")
EVENT_COLUMNS = (
    "Reference", "EventStartDate", "EventStartTime", "EventEndDate", "EventEndTime",
    "Description", "TimeReference",
)  # fmt: skip
END_BEFORE_START = "end-before-start"
UNKNOWN_REFERENCE = "unknown-reference"
TOO_MANY_ERRORS = "too-many-errors"
UTC_ZONE = ZoneInfo("UTC")


@dataclass
class CollectingSink:
    """A RowSink keeping the accepted rows (a submission is at most the body limit)."""

    tables: list[pa.Table] = field(default_factory=list)

    def write(self, table: pa.Table) -> None:
        self.tables.append(table)

    def restart(self) -> None:
        self.tables.clear()

    def table(self, names: tuple[str, ...]) -> pa.Table | None:
        if not self.tables:
            return None
        return pa.concat_tables(self.tables).select([*names, "__row"])


@dataclass
class Feedback:
    """Every error of a submission, listed up to ``cap`` per dataset and all counted.

    The validator's errors and the cross-row checks' go to one list, in row order
    per dataset, so an uploader gets every error in one round; past the cap a
    ``too-many-errors`` entry says how many more there are.
    """

    cap: int
    count: int = 0
    _listed: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    _hidden: dict[str, int] = field(default_factory=dict)
    _general: list[dict[str, Any]] = field(default_factory=list)

    def add_report(self, dataset: str, report: Report) -> None:
        for error in report.errors:
            self._list(dataset, _entry(dataset, error.row, error.field, error.code, error.message))
        self.count += report.error_count
        self._hidden[dataset] = (
            self._hidden.get(dataset, 0) + report.error_count - len(report.errors)
        )
        if report.fatal and not report.errors:
            self._general.append(_entry(dataset, None, None, "source-error", report.fatal))
            self.count += 1

    def add(self, dataset: str, row: int, column: str, code: str, message: str) -> None:
        self.count += 1
        if len(self._listed.get(dataset, [])) < self.cap:
            self._list(dataset, _entry(dataset, row, column, code, message))
        else:
            self._hidden[dataset] = self._hidden.get(dataset, 0) + 1

    def _list(self, dataset: str, entry: dict[str, Any]) -> None:
        self._listed.setdefault(dataset, []).append(entry)

    @property
    def entries(self) -> list[dict[str, Any]]:
        """Data's entries then EventData's, each by row; a dataset's summary last."""
        result = list(self._general)
        for dataset in (DATA, EVENTS):
            listed = self._listed.get(dataset, [])
            result += sorted(listed, key=lambda e: -1 if e["row"] is None else e["row"])
            hidden = self._hidden.get(dataset, 0)
            if hidden > 0:
                result.append(
                    _entry(dataset, None, None, TOO_MANY_ERRORS,
                           f"{hidden} more errors in {dataset} are not listed; fix these first.")
                )  # fmt: skip
        return result


def _entry(
    dataset: str, row: int | None, column: str | None, code: str, message: str
) -> dict[str, Any]:
    return {"dataset": dataset, "row": row, "column": column, "code": code, "message": message}


def leading_cells(source: BinaryIO, header: tuple[str, ...]) -> list[tuple[int, str]] | None:
    """(row, first cell) of every record of a CSV with a first cell, but a header row.

    Rows are numbered as the validator numbers them: the record's position in the
    file, a header being row 1 (a blank line is a record too). A first row equal
    to ``header`` (ignoring case and surrounding space) is a header. Python's csv
    reads CRLF, LF and CR line ends and tolerates stray quotes, and a submission
    is at most the request body limit, so reading it whole is bounded. None when
    the text cannot be read as records (a cell over csv's field size limit, such
    as a quote that never closes): the validator has reported that.
    """
    text = io.TextIOWrapper(source, encoding="utf-8-sig", errors="replace", newline="")
    cells: list[tuple[int, str]] = []
    wanted = [name.lower() for name in header]
    try:
        for row, record in enumerate(csv.reader(text), start=1):
            if row == 1 and [cell.strip().lower() for cell in record] == wanted:
                continue
            if record and record[0]:
                cells.append((row, record[0]))
    except csv.Error:
        return None
    return cells


def _unknown(feedback: Feedback, row: int, reference: str) -> None:
    feedback.add(
        EVENTS, row, "Reference", UNKNOWN_REFERENCE,
        f"No Data row has the Reference '{reference[:100]}': every event must "
        "belong to a record of the same submission.",
    )  # fmt: skip


class IncompatibleDatasetType(Exception):
    """An operator changed an Upload API dataset type so that its columns no longer fit."""


class StoredObjectCorrupted(Exception):
    """The stored Data or EventData is not the bytes submitted (a storage fault)."""

    def __init__(self, reason: str, storage_id: str) -> None:
        super().__init__(reason)
        self.storage_id = storage_id


def _dataset(catalog: DatasetCatalog, name: str, columns: tuple[str, ...]) -> DatasetType:
    """The catalog's latest version (an operator may tighten it), else the shipped one."""
    version = catalog.latest(name)
    if version is None:
        return {d.name: d for d in shipped_datasets()}[name]
    if tuple(version.dataset.table_schema.names[: len(columns)]) != columns:
        raise IncompatibleDatasetType(
            f"the server's dataset type {name} no longer starts with the columns "
            f"{', '.join(columns)}: an operator must restore it"
        )
    return version.dataset


@dataclass
class SubmissionProcessor:
    """Computes a claimed submission's outcome; ``submission_job.py`` commits it."""

    datasets: DatasetCatalog
    store: SubmissionStore
    error_cap: int

    def process(self, submission: Submission) -> SubmissionOutcome:
        feedback = Feedback(self.error_cap)
        data_zone = ZoneInfo(submission.data_time_zone)
        event_zone = ZoneInfo(submission.event_time_zone)
        data_sink, data_report = self._validate(
            submission.data_storage_id, submission.data_sha256, DATA_TYPE, DATA_COLUMNS
        )
        feedback.add_report(DATA, data_report)
        event_sink, event_report = CollectingSink(), Report()
        if submission.events_storage_id:
            event_sink, event_report = self._validate(
                submission.events_storage_id, submission.events_sha256, EVENTS_TYPE, EVENT_COLUMNS
            )
            feedback.add_report(EVENTS, event_report)
        data_rows, event_rows = data_report.rows_total, event_report.rows_total

        def failed() -> SubmissionOutcome:
            return SubmissionOutcome(
                SubmissionStatus.FAILED, self._put_json(feedback.entries), None,
                f"{feedback.count} errors: see feedback", data_rows, event_rows, feedback.count,
            )  # fmt: skip

        # The cross-row checks run on the rows that parsed even when others did not,
        # so one round of feedback lists every error an uploader can fix at once.
        records = self._intervals(data_sink.table(DATA_COLUMNS), lambda _: data_zone)
        # TimeReference (SPEC §5): 0 = the Data clock, 1 = UTC, 2 = the submission's zone.
        zones = (data_zone, UTC_ZONE, event_zone)
        events = self._intervals(event_sink.table(EVENT_COLUMNS), lambda kind: zones[kind])
        self._check_order(DATA, records, "EndDate", feedback)
        self._check_order(EVENTS, events, "EventEndDate", feedback)
        known = self._known_references(submission.data_storage_id, data_report, records)
        if known is not None:
            self._check_references(known, events, feedback)
            self._check_rejected_references(submission, event_report, events, known, feedback)
        if feedback.count:
            return failed()
        table = result_rows(submission.token, records, events, data_zone)
        return SubmissionOutcome(
            SubmissionStatus.COMPLETED, None, self._put_json(table), None,
            data_rows, event_rows, 0,
        )  # fmt: skip

    def _validate(
        self, storage_id: str, sha256: str | None, dataset_name: str, columns: tuple[str, ...]
    ) -> tuple[CollectingSink, Report]:
        dataset = _dataset(self.datasets, dataset_name, columns)
        sink = CollectingSink()
        with self.store.open(storage_id) as source:
            report = Validator(dataset, self.error_cap).validate(
                source, sink, self.store.local_path(storage_id), hash_all=True
            )
        corrupted = hash_mismatch(report.sha256, sha256)
        if corrupted:
            raise StoredObjectCorrupted(corrupted, storage_id)
        return sink, report

    @staticmethod
    def _intervals(table: pa.Table | None, zone_of: Callable[[int], ZoneInfo]) -> Intervals:
        if table is None or table.num_rows == 0:
            empty = np.zeros(0, dtype=np.int64)
            return Intervals(empty, pa.array([], pa.string()), empty, empty)
        names = table.column_names
        start = local_seconds(table.column(names[1]), table.column(names[2]))
        end = local_seconds(table.column(names[3]), table.column(names[4]))
        rows = np.asarray(table.column("__row").to_numpy(), dtype=np.int64)
        if len(names) > 6:  # events: each row's zone comes from its TimeReference
            kinds = table.column(names[6]).to_numpy()
            starts = np.empty(len(rows), dtype=np.int64)
            ends = np.empty(len(rows), dtype=np.int64)
            for kind in np.unique(kinds).tolist():
                mask = kinds == kind
                starts[mask] = to_instants(start[mask], zone_of(int(kind)))
                ends[mask] = to_instants(end[mask], zone_of(int(kind)))
        else:
            starts, ends = to_instants(start, zone_of(0)), to_instants(end, zone_of(0))
        references = table.column(names[0]).combine_chunks()
        return Intervals(rows, references, starts, ends)

    @staticmethod
    def _check_order(dataset: str, intervals: Intervals, column: str, feedback: Feedback) -> None:
        for i in np.flatnonzero(intervals.ends < intervals.starts).tolist():
            feedback.add(
                dataset, int(intervals.rows[i]), column, END_BEFORE_START,
                "The end is before the start: check the dates and times of this row.",
            )  # fmt: skip

    def _known_references(
        self, storage_id: str, report: Report, records: Intervals
    ) -> pa.Array | None:
        """Every Reference of Data, or None when Data could not be read as rows at all.

        With every Data row accepted they are the accepted rows' References. A row
        rejected for its dates still names a Reference, which its events may use: then
        the first cell of every record is read from the text, so an event is never
        called unknown because of an error in its record's other cells.
        """
        if report.rows_rejected == 0 and not report.fatal:
            return records.references.unique()
        cells = self._rejected_cells(storage_id, report, DATA_COLUMNS)
        if cells is None:
            return None
        return pa.array(sorted({cell for _, cell in cells}), pa.string())

    def _rejected_cells(
        self, storage_id: str, report: Report, columns: tuple[str, ...]
    ) -> list[tuple[int, str]] | None:
        """``leading_cells`` of a CSV with rejected rows; None if no row was read."""
        if report.rows_total == 0:
            return None  # an empty file or an unusable header: nothing to judge
        with self.store.open(storage_id) as source:
            return leading_cells(source, columns)

    @staticmethod
    def _check_references(known: pa.Array, events: Intervals, feedback: Feedback) -> None:
        """Every event row that parsed must name a known Reference."""
        if len(events.rows) == 0:
            return
        found = pc.is_in(events.references, value_set=known.cast(events.references.type))
        for i in np.flatnonzero(~np.asarray(found.to_numpy(zero_copy_only=False))).tolist():
            _unknown(feedback, int(events.rows[i]), events.references[i].as_py())

    def _check_rejected_references(
        self, submission: Submission, report: Report, events: Intervals, known: pa.Array,
        feedback: Feedback,
    ) -> None:  # fmt: skip
        """Event rows rejected for other cells are checked too: one round of feedback."""
        if submission.events_storage_id is None or (report.rows_rejected == 0 and not report.fatal):
            return
        cells = self._rejected_cells(submission.events_storage_id, report, EVENT_COLUMNS)
        if cells is None:
            return
        accepted = set(events.rows.tolist())
        known_set = set(known.to_pylist())
        for row, reference in cells:
            if row not in accepted and reference not in known_set:
                _unknown(feedback, row, reference)

    def _put_json(self, document: list[dict[str, Any]]) -> str:
        body = json.dumps(document, ensure_ascii=False, separators=(",", ":")).encode()
        return self.store.put(io.BytesIO(body))
