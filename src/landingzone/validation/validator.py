"""The streaming CSV validator: a binary stream and a dataset type in, a Report out.

Pure: no database, storage or HTTP. How it works, and why:

* ``Chunker`` cuts the stream into blocks of whole records (quote parity), so
  memory is bounded by the block size times the blocks in flight, whatever the
  file size.
* Each block is parsed by pyarrow single-threaded (so that rows with the wrong
  number of cells come with their record number), with every column as a
  string, and checked by one DuckDB query (``sql.py``) that types the values
  and applies the constraints (``block.BlockChecker``). Two blocks are
  processed at once: both libraries release the GIL.
* Blocks are merged in file order, turning block-relative record numbers into
  spreadsheet rows (header = row 1), keeping the first ``error_cap`` errors and
  counting all of them (``collector.ErrorCollector``).
* ``unique`` is checked across the whole file by a DuckDB table that spills to
  disk under a memory limit, queried at the end in slices that fit the limit
  (``unique.py``).

Accepted rows (typed) are handed to an optional ``RowSink`` as Arrow tables
with a ``__row`` column; rows found to be duplicates only at the end are listed
in ``Report.duplicate_rows`` for the sink's owner to drop.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path

import pyarrow.compute as pc

from landingzone.validation import FAST_PATH_MIN_BYTES
from landingzone.validation.block import BlockChecker, BlockResult, column_of_field
from landingzone.validation.chunker import Block, Chunker, Readable, Unterminated
from landingzone.validation.collector import ErrorCollector
from landingzone.validation.dataset_type import MAX_FIELDS, DatasetType, too_wide
from landingzone.validation.fastpath import FastPath
from landingzone.validation.header import align, split_record
from landingzone.validation.memory import use_jemalloc
from landingzone.validation.report import (
    DEFAULT_ERROR_CAP,
    ENCODING_ERROR,
    SOURCE_ERROR,
    CellError,
    Report,
)
from landingzone.validation.scratch import HashingReader, scratch_dir
from landingzone.validation.sink import RowSink
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


class DatasetTooWide(ValueError):
    """The dataset type has more fields than validation takes (``dataset_type.MAX_FIELDS``)."""


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
        use_jemalloc()

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
        collector = ErrorCollector(self.error_cap)
        chunker = Chunker(stream, block_size=self.block_size, delimiter=self.delimiter)
        first = chunker.first_record()
        if first is None:
            report.fatal = "the file is empty: expected a header row"
            collector.add([CellError.make(1, None, None, None, SOURCE_ERROR, report.fatal)])
            return collector.fill(report)
        if isinstance(first, Unterminated):
            return self._unterminated(report, collector, 1)
        try:
            labels = split_record(first.decode("utf-8"), self.delimiter)
        except UnicodeDecodeError:
            report.fatal = "the header row is not valid UTF-8: save the file as UTF-8"
            collector.add([CellError.make(1, None, None, None, ENCODING_ERROR, report.fatal)])
            return collector.fill(report)
        alignment = align(labels, self.schema, self.dataset.header_policy)
        if alignment.fatal:
            report.fatal = alignment.fatal
            # All on row 1, in the order the header check lists them.
            header = ErrorCollector(self.error_cap, order=None)
            header.add(alignment.errors)
            return header.fill(report)
        row_base = 1 if alignment.has_header else 0
        columns = column_of_field(alignment, len(self.schema.fields))
        with BlockChecker(self.schema, alignment, self.error_cap, self.delimiter) as checker:
            if self._fast_path_applies(path):
                assert path is not None
                fast_path = FastPath(self.dataset, checker.check, self.error_cap, self.temp_dir)
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
                    uniques.column_of_field = dict(enumerate(columns))
                    self._run(blocks(), checker, row_base, report, collector, sink, uniques)
                    if not report.fatal:
                        self._finish_unique(report, collector, uniques)
                finally:
                    uniques.close()
        return self._limit_bad_rows(collector.fill(report))

    def _limit_bad_rows(self, report: Report) -> Report:
        if not report.fatal and report.rows_rejected > self.dataset.max_bad_records:
            report.fatal = (
                f"too many bad rows: {report.rows_rejected} rejected, at most "
                f"{self.dataset.max_bad_records} allowed (maxBadRecords)"
            )
        return report

    def _fast_path_applies(self, path: Path | None) -> bool:
        limit = self.fast_path_min_bytes
        return path is not None and limit is not None and path.stat().st_size >= limit

    # -- merging, in file order ------------------------------------------------

    def _run(
        self,
        items: Iterator[Block | Unterminated],
        checker: BlockChecker,
        row_base: int,
        report: Report,
        collector: ErrorCollector,
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
            collector.add(shifted, result.error_count)
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
                    self._unterminated(report, collector, row_base + records_done + 1)
                    return
                pending.append(pool.submit(checker.check, item.data))
                while len(pending) > IN_FLIGHT:
                    merge(pending.popleft().result())
            while pending:
                merge(pending.popleft().result())

    def _unterminated(self, report: Report, collector: ErrorCollector, row: int) -> Report:
        report.fatal = (
            f"row {row}: a quoted cell never closes (or one record is larger than the limit); "
            "check the quoting"
        )
        collector.add([CellError.make(row, None, None, None, SOURCE_ERROR, report.fatal)])
        return collector.fill(report)

    def _finish_unique(
        self, report: Report, collector: ErrorCollector, finder: RepeatFinder
    ) -> None:
        uniques = finder.index()
        try:
            errors, rows = duplicate_errors(self.schema, uniques)
        finally:
            uniques.close()
        collector.add(errors)
        report.duplicate_rows = rows
        report.rows_rejected += len(rows)
