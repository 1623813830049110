"""The streaming CSV validator: a binary stream and a dataset type in, a Report out.

Pure: no database, storage or HTTP. How it works, and why:

* ``Chunker`` cuts the stream into blocks of whole records (quote parity), so
  memory is bounded by the block size times the blocks in flight, whatever the
  file size.
* Each block is parsed by pyarrow single-threaded (so that rows with the wrong
  number of cells come with their record number), with every column as a
  string, and checked by one DuckDB query (``sql.py``) that types the values
  and applies the constraints. Two blocks are processed at once: both libraries
  release the GIL.
* Blocks are merged in file order, turning block-relative record numbers into
  spreadsheet rows (header = row 1), keeping the first ``error_cap`` errors and
  counting all of them.
* ``unique`` is checked across the whole file by a DuckDB table that spills to
  disk under a memory limit, queried at the end in slices that fit the limit
  (``unique.py``).

Accepted rows (typed) are handed to an optional ``RowSink`` as Arrow tables
with a ``__row`` column; rows found to be duplicates only at the end are listed
in ``Report.duplicate_rows`` for the sink's owner to drop.
"""

from __future__ import annotations

import codecs
import io
import threading
from collections import deque
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from landingzone.validation import FAST_PATH_MIN_BYTES
from landingzone.validation.chunker import Block, Chunker, Readable, Unterminated, scan
from landingzone.validation.fastpath import DISABLED_OPTIMIZERS, FastPath
from landingzone.validation.header import Alignment, align, split_record
from landingzone.validation.memory import use_jemalloc
from landingzone.validation.report import (
    BLANK_ROW,
    DEFAULT_ERROR_CAP,
    ENCODING_ERROR,
    EXTRA_CELL,
    MISSING_CELL,
    SOURCE_ERROR,
    CellError,
    Report,
)
from landingzone.validation.schema import MAX_FIELDS, DatasetType, too_wide
from landingzone.validation.scratch import HashingReader, scratch_dir
from landingzone.validation.sink import RowSink
from landingzone.validation.sql import Fault, block_query, describe
from landingzone.validation.unique import RepeatFinder, duplicate_errors

WORKERS = 2
# The exact path's unit of work, and how many finished blocks may wait to be
# merged beyond the one merging. Each block holds its text, its parsed and
# checked tables. On 1 GiB of quoted transactions with errors and Parquet:
# 4 MiB blocks with 2 waiting peaked at 305 MB; 3 MiB at 280-301 MB (5%
# slower), and 5 GiB reached 318 MB; 3 MiB with 1 waiting saves another
# 20 MB for about 10% of the speed (2 MiB blocks cost as much speed).
IN_FLIGHT = 1
BLOCK_SIZE = 3 * 1024 * 1024
# A block's parsed and checked tables grow with the fields: wider types get smaller
# blocks. 300 integer fields, 100 MiB, Parquet: 389 MB with 3 MiB blocks, 317 MB with
# 1 MiB (and 70% slower; docs/design/validation-engine.md).
NARROW_FIELDS = 64
MIN_BLOCK_SIZE = 1024 * 1024


def block_size_for(fields: int) -> int:
    if fields <= NARROW_FIELDS:
        return BLOCK_SIZE
    return max(MIN_BLOCK_SIZE, BLOCK_SIZE * NARROW_FIELDS // fields)


CHECK_MEMORY_LIMIT = "96MB"


class DatasetTooWide(ValueError):
    """The dataset type has more fields than validation takes (``schema.MAX_FIELDS``)."""


@dataclass
class BlockResult:
    records: int
    errors: list[CellError]  # rows are block-relative record numbers (1-based)
    error_count: int
    bad_records: int
    accepted: pa.Table | None
    unique_values: dict[int, pa.Table] = field(default_factory=dict)


class Validator:
    def __init__(
        self,
        dataset: DatasetType,
        error_cap: int = DEFAULT_ERROR_CAP,
        block_size: int | None = None,
        workers: int = WORKERS,
        temp_dir: Path | None = None,
        fast_path_min_bytes: int | None = FAST_PATH_MIN_BYTES,
        delimiter: str = ",",
    ) -> None:
        if len(dataset.table_schema.fields) > MAX_FIELDS:  # stored before the limit existed
            raise DatasetTooWide(
                f"dataset type {dataset.name} " + too_wide(len(dataset.table_schema.fields))
            )
        self.dataset = dataset
        self.schema = dataset.table_schema
        self.error_cap = error_cap
        self.block_size = block_size or block_size_for(len(self.schema.fields))
        self.workers = workers
        self.temp_dir = temp_dir
        # The fast path splits lines at commas: other delimiters take the exact path.
        self.fast_path_min_bytes = fast_path_min_bytes if delimiter == "," else None
        self.delimiter = delimiter
        self._unique_fields = self.schema.unique_fields
        use_jemalloc()
        self._local = threading.local()
        self._db = duckdb.connect()
        self._db.execute("SET threads=1")
        self._db.execute(f"SET memory_limit='{CHECK_MEMORY_LIMIT}'")
        self._db.execute("SET TimeZone='UTC'")

    def validate(
        self,
        stream: Readable,
        sink: RowSink | None = None,
        path: Path | None = None,
        *,
        hash_all: bool = False,
    ) -> Report:
        """Validate ``stream``; with ``path`` (the same bytes as a local file) a large,
        plain file is handled by the fast path instead.

        With ``hash_all``, ``Report.sha256`` is the SHA-256 of every byte of the
        input, computed as it is read (after a fatal error the rest of the stream
        is read too, so the stream must end), so the caller can tell a stored
        object that changed from the customer's data.
        """
        reader = HashingReader(stream)
        report = self._validate(reader, sink, path)
        if not hash_all:
            report.sha256 = None  # the same report whichever path answered
        elif report.sha256 is None:
            report.sha256 = reader.hexdigest_of_all()
        return report

    def _validate(self, stream: Readable, sink: RowSink | None, path: Path | None) -> Report:
        report = Report()
        chunker = Chunker(stream, block_size=self.block_size, delimiter=self.delimiter)
        first = chunker.first_record()
        if first is None:
            report.fatal = "the file is empty: expected a header row"
            self._add(report, [CellError.make(1, None, None, None, SOURCE_ERROR, report.fatal)])
            return report
        if isinstance(first, Unterminated):
            return self._unterminated(report, 1)
        try:
            labels = split_record(first.decode("utf-8"), self.delimiter)
        except UnicodeDecodeError:
            report.fatal = "the header row is not valid UTF-8: save the file as UTF-8"
            self._add(report, [CellError.make(1, None, None, None, ENCODING_ERROR, report.fatal)])
            return report
        alignment = align(labels, self.schema, self.dataset.header_policy)
        if alignment.fatal:
            report.fatal = alignment.fatal
            self._add(report, alignment.errors)
            return report
        row_base = 1 if alignment.has_header else 0
        if self._fast_path_applies(path):
            assert path is not None
            columns = _column_of_field(alignment, len(self.schema.fields))
            fast_path = FastPath(
                self.dataset, self._check_lines(alignment), self.error_cap, self.temp_dir
            )
            fast = fast_path.run(path, alignment, columns, sink)
            if fast is not None:
                fast.sha256 = fast_path.sha256
                return self._limit_bad_rows(fast)
            if sink is not None:
                sink.restart()

        def blocks() -> Iterator[Block | Unterminated]:
            if not alignment.has_header:
                yield Block(first + b"\n")
            yield from chunker.blocks()

        with scratch_dir(self.temp_dir) as scratch:
            uniques = RepeatFinder(self.dataset, Path(scratch))
            try:
                uniques.column_of_field = dict(
                    enumerate(_column_of_field(alignment, len(self.schema.fields)))
                )
                self._run(blocks(), alignment, row_base, report, sink, uniques)
                if not report.fatal:
                    self._finish_unique(report, uniques)
            finally:
                uniques.close()
        report.errors.sort(key=CellError.sort_key)
        del report.errors[self.error_cap :]
        return self._limit_bad_rows(report)

    def _limit_bad_rows(self, report: Report) -> Report:
        if not report.fatal and report.rows_rejected > self.dataset.max_bad_records:
            report.fatal = (
                f"too many bad rows: {report.rows_rejected} rejected, at most "
                f"{self.dataset.max_bad_records} allowed (maxBadRecords)"
            )
        return report

    def _check_lines(self, alignment: Alignment) -> Callable[[bytes], BlockResult]:
        """Checks whole records of the file (the fast path's bad lines) as a block."""
        return lambda data: self._check_block(data, alignment)

    def _fast_path_applies(self, path: Path | None) -> bool:
        limit = self.fast_path_min_bytes
        return path is not None and limit is not None and path.stat().st_size >= limit

    # -- merging, in file order ------------------------------------------------

    def _run(
        self,
        items: Iterator[Block | Unterminated],
        alignment: Alignment,
        row_base: int,
        report: Report,
        sink: RowSink | None,
        uniques: RepeatFinder,
    ) -> None:
        records_done = 0
        pending: deque[Future[BlockResult]] = deque()

        def merge(result: BlockResult) -> None:
            nonlocal records_done
            offset = row_base + records_done
            shifted = [
                CellError(e.row + offset, e.column, e.field, e.value, e.code, e.message)
                for e in result.errors
            ]
            self._add(report, shifted, result.error_count)
            report.rows_total += result.records
            report.rows_rejected += result.bad_records
            if result.accepted is not None and result.accepted.num_rows:
                rows = pc.add(result.accepted.column("__rec"), offset)
                accepted = result.accepted.drop_columns(["__rec"]).append_column("__row", rows)
                if sink is not None:
                    sink.write(accepted)
            for j, values in result.unique_values.items():
                uniques.add(j, values, offset)
            records_done += result.records

        with ThreadPoolExecutor(self.workers, thread_name_prefix="lz-validate") as pool:
            for item in items:
                if isinstance(item, Unterminated):
                    while pending:
                        merge(pending.popleft().result())
                    self._unterminated(report, row_base + records_done + 1)
                    return
                pending.append(pool.submit(self._check_block, item.data, alignment))
                while len(pending) > IN_FLIGHT:
                    merge(pending.popleft().result())
            while pending:
                merge(pending.popleft().result())

    def _add(self, report: Report, errors: list[CellError], count: int | None = None) -> None:
        report.error_count += len(errors) if count is None else count
        room = self.error_cap - len(report.errors)
        if room > 0:
            report.errors.extend(errors[:room])
        if (count if count is not None else len(errors)) > max(room, 0):
            report.errors_truncated = True

    def _unterminated(self, report: Report, row: int) -> Report:
        report.fatal = (
            f"row {row}: a quoted cell never closes (or one record is larger than the limit); "
            "check the quoting"
        )
        self._add(report, [CellError.make(row, None, None, None, SOURCE_ERROR, report.fatal)])
        return report

    def _finish_unique(self, report: Report, finder: RepeatFinder) -> None:
        uniques = finder.index()
        try:
            errors, rows = duplicate_errors(self.schema, uniques)
        finally:
            uniques.close()
        self._add(report, errors)
        report.duplicate_rows = rows
        report.rows_rejected += len(rows)

    # -- one block, in a worker thread ---------------------------------------------

    def _cursor(self) -> duckdb.DuckDBPyConnection:
        cursor: duckdb.DuckDBPyConnection | None = getattr(self._local, "cursor", None)
        if cursor is None:
            cursor = self._local.cursor = self._db.cursor()
            # Settings are per connection: without this a cursor types datetimes in
            # the machine's local zone, and the Parquet schema would vary by host.
            cursor.execute("SET TimeZone='UTC'")
            # Keeps a block's rows in order: this optimizer turns an IN list of five or
            # more values (an enum) into a join, whose output comes in any order.
            cursor.execute(f"SET disabled_optimizers='{DISABLED_OPTIMIZERS}'")
        return cursor

    def _check_block(self, data: bytes, alignment: Alignment) -> BlockResult:
        data, encoding_bad = _repair_encoding(data, self.delimiter)
        ncols = alignment.column_count
        names = [f"c{i}" for i in range(ncols)]
        invalid: list[tuple[int, int, str]] = []

        def on_invalid(row: Any) -> str:
            invalid.append((row.number, row.actual_columns, row.text))
            return "skip"

        table = pacsv.read_csv(
            io.BytesIO(data),
            # One pyarrow block for the whole block: with its default (1 MiB) a
            # longer record fails to parse ("straddles two block boundaries").
            read_options=pacsv.ReadOptions(
                column_names=names, use_threads=False, block_size=len(data) + 1
            ),
            parse_options=pacsv.ParseOptions(
                delimiter=self.delimiter,
                newlines_in_values=True,
                ignore_empty_lines=False,
                invalid_row_handler=on_invalid,
            ),
            convert_options=pacsv.ConvertOptions(
                column_types=dict.fromkeys(names, pa.string()),
                strings_can_be_null=False,
                quoted_strings_can_be_null=False,
            ),
        )
        records = table.num_rows + len(invalid)
        skipped = np.array(sorted(n - 1 for n, _, _ in invalid), dtype=np.int64)
        rec = np.delete(np.arange(records, dtype=np.int64), skipped)
        table = table.append_column("__rec", pa.array(rec + 1))

        errors: list[CellError] = []
        bad = set(encoding_bad)
        uncapped = 0  # errors of rows past the cap: counted, not built (a file of them was slow)
        for index, (number, actual, text) in enumerate(invalid):
            bad.add(number)
            if number in encoding_bad:
                continue
            if index < self.error_cap:
                errors.extend(self._structure_errors(number, actual, text, alignment))
            else:
                uncapped += self._structure_error_count(actual, text, alignment)
        for number in sorted(encoding_bad):
            errors.append(
                CellError.make(
                    number, None, None, None, ENCODING_ERROR,
                    "The row is not valid UTF-8 (invalid bytes were replaced): save the file "
                    "as UTF-8.",
                )
            )  # fmt: skip

        column_of_field = _column_of_field(alignment, len(self.schema.fields))
        unique_fields = self._unique_fields
        cursor = self._cursor()
        cursor.register("blk", table)
        try:
            query = block_query(self.schema, column_of_field, "blk")
            if unique_fields:
                hashed = ", ".join(f"hash(v{j}) AS h{j}" for j in unique_fields)
                query = f"SELECT *, {hashed} FROM ({query})"  # noqa: S608 - generated names
            checked: pa.Table = cursor.sql(query).to_arrow_table()
        finally:
            cursor.unregister("blk")
        fault_columns = [f"e{j}" for j in range(len(self.schema.fields))]
        any_fault = pc.or_(
            _any_nonzero(checked, fault_columns), pc.fill_null(checked.column("blank"), False)
        )
        faulty = checked.filter(any_fault)
        numbers = faulty.column("__rec").to_numpy()
        bad.update(numbers.tolist())
        counted = ~np.isin(numbers, sorted(encoding_bad)) if encoding_bad else None
        blank = pc.fill_null(faulty.column("blank"), False).to_numpy(zero_copy_only=False)
        faults = [_filled(faulty.column(name)) for name in fault_columns]
        cells = np.count_nonzero(np.vstack(faults), axis=0) if faults else 0
        per_row: np.ndarray[Any, Any] = np.where(blank, 1, cells)
        if counted is not None:
            per_row = per_row[counted]
        error_count = len(errors) + uncapped + int(np.sum(per_row))
        # Only the first error_cap faulty rows can hold errors that make the cut (each has
        # one at least): built for those alone, so a file of bad rows stays cheap.
        order = np.argsort(numbers, kind="stable")
        if counted is not None:
            order = order[counted[order]]
        errors += self._cell_errors(
            numbers[order[: self.error_cap]], blank[order[: self.error_cap]],
            [f[order[: self.error_cap]] for f in faults], column_of_field, table, rec,
        )  # fmt: skip
        errors.sort(key=CellError.sort_key)
        del errors[self.error_cap :]

        good = checked.filter(pc.invert(any_fault))
        if encoding_bad:
            keep = pc.invert(pc.is_in(good.column("__rec"), pa.array(sorted(encoding_bad))))
            good = good.filter(keep)
        accepted = pa.table(
            {spec.name: good.column(f"v{j}") for j, spec in enumerate(self.schema.fields)}
            | {"__rec": good.column("__rec")}
        )
        # Every value of the right type takes part in uniqueness (``v`` is NULL for the
        # others), also from rows bad for another reason and when it breaks another
        # constraint, as Frictionless does; but not from blank rows. ``bad`` keeps rows
        # from being counted twice.
        bad_flags = pa.array(np.isin(checked.column("__rec").to_numpy(), sorted(bad)))
        not_blank = pc.invert(pc.fill_null(checked.column("blank"), False))
        unique_values = {
            j: pa.table(
                {
                    "v": checked.column(f"v{j}"),
                    "h": checked.column(f"h{j}"),
                    "rec": checked.column("__rec"),
                    "bad": bad_flags,
                }
            ).filter(not_blank)
            for j in unique_fields
        }
        return BlockResult(records, errors, error_count, len(bad), accepted, unique_values)

    def _cell_errors(
        self,
        numbers: np.ndarray[Any, Any],
        blank: np.ndarray[Any, Any],
        faults: list[np.ndarray[Any, Any]],
        column_of_field: list[int],
        table: pa.Table,
        rec: np.ndarray[Any, Any],
    ) -> list[CellError]:
        """The errors of these faulty rows (record numbers, in order), at most error_cap
        cell errors in (row, column) order plus their blank-row errors."""
        errors = [
            CellError.make(int(n), None, None, None, BLANK_ROW, "Row is blank.")
            for n in numbers[blank]
        ]
        if not len(numbers) or not faults:
            return errors
        by_column = sorted(range(len(faults)), key=lambda j: column_of_field[j])
        matrix = np.column_stack([faults[j] for j in by_column])
        matrix[blank] = 0
        rows, places = np.nonzero(matrix)  # row-major: by row, then column
        for i, k in zip(
            rows[: self.error_cap].tolist(), places[: self.error_cap].tolist(), strict=True
        ):
            j = by_column[k]
            spec = self.schema.fields[j]
            number = int(numbers[i])
            code, message = describe(spec, Fault(int(matrix[i, k])))
            column = column_of_field[j]
            raw = table.column(f"c{column}")[_index_of(rec, number)].as_py()
            errors.append(CellError.make(number, column + 1, spec.name, raw, code, message))
        return errors

    def _is_blank(self, text: str) -> bool:
        empty = {"", *self.schema.missing_values}
        return all(cell in empty for cell in split_record(text, self.delimiter))

    def _structure_error_count(self, actual: int, text: str, alignment: Alignment) -> int:
        """How many errors ``_structure_errors`` would give the record."""
        return 1 if self._is_blank(text) else abs(alignment.column_count - actual)

    def _structure_errors(
        self, number: int, actual: int, text: str, alignment: Alignment
    ) -> list[CellError]:
        expected = alignment.column_count
        cells = split_record(text, self.delimiter)
        if self._is_blank(text):
            # Blank whatever its number of cells (",," for four columns), as Frictionless.
            return [CellError.make(number, None, None, None, BLANK_ROW, "Row is blank.")]
        if actual < expected:
            return [
                CellError.make(
                    number, column, self._field_name(alignment, column - 1), None, MISSING_CELL,
                    f"Row has {actual} cells; column {column} is missing.",
                )
                for column in range(actual + 1, expected + 1)
            ]  # fmt: skip
        return [
            CellError.make(
                number, column, None, cells[column - 1] if column <= len(cells) else None,
                EXTRA_CELL, f"Row has {actual} cells; only {expected} columns are expected.",
            )
            for column in range(expected + 1, actual + 1)
        ]  # fmt: skip

    def _field_name(self, alignment: Alignment, column: int) -> str | None:
        j = alignment.field_of_column[column] if column < len(alignment.field_of_column) else None
        return self.schema.fields[j].name if j is not None else None


def _column_of_field(alignment: Alignment, field_count: int) -> list[int]:
    columns = [0] * field_count
    for column, j in enumerate(alignment.field_of_column):
        if j is not None:
            columns[j] = column
    return columns


def _filled(column: pa.ChunkedArray) -> np.ndarray[Any, Any]:
    return np.asarray(pc.fill_null(column, 0).to_numpy(zero_copy_only=False), dtype=np.uint8)


def _any_nonzero(table: pa.Table, columns: list[str]) -> pa.ChunkedArray:
    result = pc.not_equal(table.column(columns[0]), 0)
    for name in columns[1:]:
        result = pc.or_(result, pc.not_equal(table.column(name), 0))
    return result


def _index_of(rec: np.ndarray[Any, Any], number: int) -> int:
    return int(np.searchsorted(rec, number - 1))


def _repair_encoding(data: bytes, delimiter: str) -> tuple[bytes, set[int]]:
    """Replace invalid UTF-8 record by record; return the block and the bad record numbers.

    One decoding pass finds every invalid byte; replacing them (with U+FFFD) moves
    no quote or line end, which are ASCII, so the records stay where they were.
    """
    try:
        data.decode("utf-8")
        return data, set()
    except UnicodeDecodeError:
        pass
    invalid = _invalid_positions(data)
    ends = scan(data, delimiter=ord(delimiter)).ends
    records = np.searchsorted(ends, np.asarray(invalid), side="right") + 1
    fixed = data.decode("utf-8", errors="replace").encode("utf-8")
    return fixed, {int(n) for n in records}


_collected = threading.local()


def _collect_invalid(error: UnicodeError) -> tuple[str, int]:
    assert isinstance(error, UnicodeDecodeError)
    _collected.positions.append(error.start)
    return "\ufffd", error.end


codecs.register_error("landingzone-collect-invalid", _collect_invalid)


def _invalid_positions(data: bytes) -> list[int]:
    """Where each invalid UTF-8 sequence of ``data`` starts, in one pass."""
    _collected.positions = []
    data.decode("utf-8", errors="landingzone-collect-invalid")
    positions: list[int] = _collected.positions
    _collected.positions = []
    return positions
