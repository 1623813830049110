"""One block of whole records checked: parsed by pyarrow, typed and checked by DuckDB.

``BlockChecker`` is the unit of work of the exact path (two blocks at once,
one per worker thread: both libraries release the GIL) and what the fast path
runs its bad lines through, so every error is worded, located and counted one
way. It owns its DuckDB connection, opened on the first block (a valid file
on the fast path never needs it), and closes it with the cursors of the
threads that used it.

A block's errors are its own: rows are block-relative record numbers
(1-based), the first ``error_cap`` kept in row order and all of them counted.
"""

from __future__ import annotations

import codecs
import io
import threading
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from landingzone.validation.chunker import scan
from landingzone.validation.collector import ErrorCollector
from landingzone.validation.dataset_type import TableSchema
from landingzone.validation.header import Alignment, split_record
from landingzone.validation.report import (
    BLANK_ROW,
    ENCODING_ERROR,
    EXTRA_CELL,
    MISSING_CELL,
    CellError,
)
from landingzone.validation.session import configure, connect
from landingzone.validation.sql import Fault, block_query, describe

CHECK_MEMORY_LIMIT = "96MB"


@dataclass
class BlockResult:
    records: int
    errors: list[CellError]  # rows are block-relative record numbers (1-based)
    error_count: int
    bad_records: int
    accepted: pa.Table | None
    unique_values: dict[int, pa.Table] = field(default_factory=dict)


class BlockChecker:
    """Checks blocks of one file (its header ``alignment``), from any number of threads."""

    def __init__(
        self, schema: TableSchema, alignment: Alignment, error_cap: int, delimiter: str = ","
    ) -> None:
        self.schema = schema
        self.alignment = alignment
        self.error_cap = error_cap
        self.delimiter = delimiter
        self.column_of_field = column_of_field(alignment, len(schema.fields))
        self._unique_fields = schema.unique_fields
        self._lock = threading.Lock()
        self._db: duckdb.DuckDBPyConnection | None = None
        self._cursors: dict[int, duckdb.DuckDBPyConnection] = {}

    def __enter__(self) -> BlockChecker:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    def close(self) -> None:
        with self._lock:
            for cursor in self._cursors.values():
                cursor.close()
            self._cursors.clear()
            if self._db is not None:
                self._db.close()
                self._db = None

    def _cursor(self) -> duckdb.DuckDBPyConnection:
        """This thread's cursor: a DuckDB connection is not for two threads at once."""
        thread = threading.get_ident()
        with self._lock:
            cursor = self._cursors.get(thread)
            if cursor is None:
                if self._db is None:
                    self._db = connect(threads=1, memory_limit=CHECK_MEMORY_LIMIT)
                cursor = self._cursors[thread] = self._db.cursor()
                configure(cursor)
        return cursor

    def check(self, data: bytes) -> BlockResult:
        """The result of ``data``, whole records of the file (the header excluded)."""
        data, encoding_bad = _repair_encoding(data, self.delimiter)
        table, invalid = self._parse(data)
        records = table.num_rows + len(invalid)
        skipped = np.array(sorted(n - 1 for n, _, _ in invalid), dtype=np.int64)
        rec = np.delete(np.arange(records, dtype=np.int64), skipped)
        table = table.append_column("__rec", pa.array(rec + 1))

        collector = ErrorCollector(self.error_cap)
        bad = set(encoding_bad)
        self._structure_errors_of(invalid, encoding_bad, bad, collector)
        collector.add(
            [
                CellError.make(
                    number, None, None, None, ENCODING_ERROR,
                    "The row is not valid UTF-8 (invalid bytes were replaced): save the file "
                    "as UTF-8.",
                )
                for number in sorted(encoding_bad)
            ]
        )  # fmt: skip

        checked = self._query(table)
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
        # Only the first error_cap faulty rows can hold errors that make the cut (each has
        # one at least): built for those alone, so a file of bad rows stays cheap.
        order = np.argsort(numbers, kind="stable")
        if counted is not None:
            order = order[counted[order]]
        cell_errors = self._cell_errors(
            numbers[order[: self.error_cap]], blank[order[: self.error_cap]],
            [f[order[: self.error_cap]] for f in faults], table, rec,
        )  # fmt: skip
        collector.add(cell_errors, int(np.sum(per_row)))

        good = checked.filter(pc.invert(any_fault))
        if encoding_bad:
            keep = pc.invert(pc.is_in(good.column("__rec"), pa.array(sorted(encoding_bad))))
            good = good.filter(keep)
        accepted = pa.table(
            {spec.name: good.column(f"v{j}") for j, spec in enumerate(self.schema.fields)}
            | {"__rec": good.column("__rec")}
        )
        return BlockResult(
            records, collector.errors(), collector.count, len(bad), accepted,
            self._unique_values(checked, bad),
        )  # fmt: skip

    def _parse(self, data: bytes) -> tuple[pa.Table, list[tuple[int, int, str]]]:
        """Every cell as a string, and the records with the wrong number of cells
        (record number, cells, text), which pyarrow skips."""
        names = [f"c{i}" for i in range(self.alignment.column_count)]
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
        return table, invalid

    def _structure_errors_of(
        self,
        invalid: list[tuple[int, int, str]],
        encoding_bad: set[int],
        bad: set[int],
        collector: ErrorCollector,
    ) -> None:
        """The errors of the records with the wrong number of cells (all made ``bad``)."""
        errors: list[CellError] = []
        uncapped = 0  # errors of rows past the cap: counted, not built (a file of them was slow)
        for index, (number, actual, text) in enumerate(invalid):
            bad.add(number)
            if number in encoding_bad:
                continue
            if index < self.error_cap:
                errors.extend(self._structure_errors(number, actual, text))
            else:
                uncapped += self._structure_error_count(actual, text)
        collector.add(errors, len(errors) + uncapped)

    def _query(self, table: pa.Table) -> pa.Table:
        """The block's cells typed and checked (``sql.block_query``), with the hashes of
        the unique fields' values."""
        cursor = self._cursor()
        cursor.register("blk", table)
        try:
            query = block_query(self.schema, self.column_of_field, "blk")
            if self._unique_fields:
                hashed = ", ".join(f"hash(v{j}) AS h{j}" for j in self._unique_fields)
                query = f"SELECT *, {hashed} FROM ({query})"  # noqa: S608 - generated names
            checked: pa.Table = cursor.sql(query).to_arrow_table()
        finally:
            cursor.unregister("blk")
        return checked

    def _unique_values(self, checked: pa.Table, bad: set[int]) -> dict[int, pa.Table]:
        """The unique fields' values of the block (columns v, h, rec, bad).

        Every value of the right type takes part in uniqueness (``v`` is NULL for the
        others), also from rows bad for another reason and when it breaks another
        constraint, as Frictionless does; but not from blank rows. ``bad`` keeps rows
        from being counted twice.
        """
        if not self._unique_fields:
            return {}
        bad_flags = pa.array(np.isin(checked.column("__rec").to_numpy(), sorted(bad)))
        not_blank = pc.invert(pc.fill_null(checked.column("blank"), False))
        return {
            j: pa.table(
                {
                    "v": checked.column(f"v{j}"),
                    "h": checked.column(f"h{j}"),
                    "rec": checked.column("__rec"),
                    "bad": bad_flags,
                }
            ).filter(not_blank)
            for j in self._unique_fields
        }

    def _cell_errors(
        self,
        numbers: np.ndarray[Any, Any],
        blank: np.ndarray[Any, Any],
        faults: list[np.ndarray[Any, Any]],
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
        columns = self.column_of_field
        by_column = sorted(range(len(faults)), key=lambda j: columns[j])
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
            column = columns[j]
            raw = table.column(f"c{column}")[_index_of(rec, number)].as_py()
            errors.append(CellError.make(number, column + 1, spec.name, raw, code, message))
        return errors

    def _is_blank(self, text: str) -> bool:
        empty = {"", *self.schema.missing_values}
        return all(cell in empty for cell in split_record(text, self.delimiter))

    def _structure_error_count(self, actual: int, text: str) -> int:
        """How many errors ``_structure_errors`` would give the record."""
        return 1 if self._is_blank(text) else abs(self.alignment.column_count - actual)

    def _structure_errors(self, number: int, actual: int, text: str) -> list[CellError]:
        expected = self.alignment.column_count
        cells = split_record(text, self.delimiter)
        if self._is_blank(text):
            # Blank whatever its number of cells (",," for four columns), as Frictionless.
            return [CellError.make(number, None, None, None, BLANK_ROW, "Row is blank.")]
        if actual < expected:
            return [
                CellError.make(
                    number, column, self._field_name(column - 1), None, MISSING_CELL,
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

    def _field_name(self, column: int) -> str | None:
        alignment = self.alignment
        j = alignment.field_of_column[column] if column < len(alignment.field_of_column) else None
        return self.schema.fields[j].name if j is not None else None


def column_of_field(alignment: Alignment, field_count: int) -> list[int]:
    """The column (0-based) that holds each field."""
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
