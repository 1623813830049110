"""The fast path: a plain file checked by parallel DuckDB passes, errors located exactly.

``LineFeed`` reads the file in small blocks and hands DuckDB its lines as
Arrow strings, each with its row number; DuckDB, on both cores, splits every
line at the commas and runs the same per-cell checks as the block validator
(``sql.py``). Good rows stream, typed, to the sink; a bad row comes back as its
line of text. Those lines (usually a few in a thousand, blank lines among them)
are then run through the block validator itself (``check_lines``), so every
error is worded, located and counted exactly as the exact path would: the fast
path only decides which rows need that look.

A file is *plain* when it holds no double quote, NUL byte or carriage return
but before a line feed, and is valid UTF-8: then one line is one record and a
cell never holds a comma or a line break. The feed checks that as it reads and
ends its stream early when it is not (``LineFeed.failure``). Feeding lines
ourselves rather than through DuckDB's CSV reader keeps DuckDB's memory small
(its reader holds about 30 MB of buffer per thread) and reads blank lines like
any other, so a row number is simply the line's.

``unique`` fields: the main pass also yields 64-bit hashes of their values,
kept with their rows in a scratch file (``hashes.py``). When a hash repeats
(a repeat, or a collision), the lines of the rows that share it are read
again and go through the block validator too, and the exact path's
``UniqueIndex`` compares their typed values. A repeat that was written to the
sink is listed in ``Report.duplicate_rows`` for the sink's owner to drop, as in
the exact path.

The fast path gives up (returns None, and the exact path runs from the start)
whenever anything could make it disagree with the exact path: a quote, NUL,
lone carriage return, invalid UTF-8 or a line over ``MAX_LINE``; a byte-order
mark without a header row; lines returned out of order or not all of them;
too many bad lines or repeated hashes to hold in memory; a bad line in which
the block validator finds nothing; or any DuckDB or Arrow error (memory, disk).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from landingzone.validation.block import BlockResult
from landingzone.validation.collector import ErrorCollector
from landingzone.validation.dataset_type import DatasetType
from landingzone.validation.digest import BackgroundSha256
from landingzone.validation.hashes import HashPartitions, TooManyRepeats
from landingzone.validation.header import Alignment
from landingzone.validation.report import CellError, Report
from landingzone.validation.scratch import scratch_dir
from landingzone.validation.session import connect
from landingzone.validation.sink import RowSink
from landingzone.validation.sql import block_query
from landingzone.validation.unique import UniqueIndex, duplicate_errors

log = logging.getLogger(__name__)

# The feed's read size, and so the size of an Arrow batch DuckDB takes on. DuckDB
# holds a few of these per thread while it works through them: 256 KiB blocks
# ran a GiB in 3.3 s at 172 MB peak RSS, 8 MiB blocks in 3.5 s at 314 MB.
FEED_BLOCK = 256 * 1024
# A longer line is left to the exact path, so that the feed holds a bounded amount.
MAX_LINE = 2 * 1024 * 1024
# Re-reading the lines of repeated hashes.
READ_BLOCK = 8 * 1024 * 1024
BATCH_ROWS = 61_440  # DuckDB's vector size x 30: one Parquet row group (122,880: +20-30 MB RSS)
# ... or fewer rows where they are wide: 61,440 rows of 300 integers are 147 MB of Arrow.
BATCH_BYTES = 8 * 1024 * 1024
# A cap; the pass itself holds a few MB per thread.
MEMORY_LIMIT = "128MB"
# What the fast path holds in memory before it leaves a file to the exact path,
# which streams any number of errors: bad lines (their text, plus this much
# for each line, so that blank ones count too) and repeated hashes.
BAD_TEXT_LIMIT = 32 * 1024 * 1024
BAD_LINE_COST = 64
REPEAT_LIMIT = 1_000_000
# Bad lines go through the block validator this many at a time (50,000 raised
# the peak RSS of a 5 GB file with errors by 25 MB).
CHECK_LINES = 10_000
BOM = b"\xef\xbb\xbf"
LF, CR = 10, 13
# A line's text in the feed keeps its line end; the last cell drops it.
LINE_END = "chr(13) || chr(10)"

CheckLines = Callable[[bytes], BlockResult]
Rows = np.ndarray[Any, np.dtype[np.int64]]


class GiveUp(Exception):
    """The fast path cannot answer for this file; the exact path will."""


class NotPlain(GiveUp):
    """The file holds a quote, NUL or lone CR: usual, not news."""


class LineFeed:
    """A plain file's data lines as Arrow batches of (line, row), checked as they are read.

    ``line`` keeps its line end: a string may only end where the next begins
    in Arrow's layout, and that saves copying every line. On anything that is
    not plain the stream ends early and ``failure`` says why; the reader of
    the stream must look at it before trusting what it got.
    """

    SCHEMA = pa.schema([("line", pa.string()), ("row", pa.int64())])

    def __init__(self, path: Path, has_header: bool, block: int | None = None) -> None:
        self.path = path
        self.has_header = has_header
        self.block = block or FEED_BLOCK
        self.first_row = 2 if has_header else 1
        self.lines = 0  # data lines fed so far
        self.failure: GiveUp | None = None
        # Of every byte read; whole only when ``complete`` (the file was read to its end).
        self.sha256 = BackgroundSha256()
        self.complete = False

    def reader(self) -> pa.RecordBatchReader:
        return pa.RecordBatchReader.from_batches(self.SCHEMA, self.batches())

    def batches(self) -> Iterator[pa.RecordBatch]:
        try:
            yield from self._read()
        except GiveUp as exc:
            self.failure = exc
        except OSError as exc:
            self.failure = GiveUp(f"reading the file failed: {exc}")
        finally:
            self.sha256.close()

    def _read(self) -> Iterator[pa.RecordBatch]:
        carry = b""  # the unfinished line at the end of the last block
        with self.path.open("rb") as source:
            if self.has_header:
                header = source.readline(MAX_LINE + 1)
                self.sha256.update(header)
                _check_block(header)
                if not header.endswith(b"\n"):
                    _check_long(header)
                    _check_lines(header, -1)
                    self.complete = True
                    return  # the header is the whole file
                _check_lines(header, len(header))
            while block := source.read(self.block):
                self.sha256.update(block)
                _check_block(block)
                data = carry + block if carry else block
                end = data.rfind(b"\n") + 1  # the complete lines
                if not end:
                    _check_long(data)
                    carry = data
                    continue
                yield self._batch(data, end)
                carry = data[end:]
                _check_long(carry)
        if carry:
            # Checked before the line feed is added: a CR ending the file is a lone one.
            _check_lines(carry, -1)
            yield self._batch(carry + b"\n", len(carry) + 1)
        self.complete = True

    def _batch(self, data: bytes, end: int) -> pa.RecordBatch:
        """The lines in ``data[:end]`` (which ends with a line feed), checked."""
        feeds = _check_lines(data, end)
        offsets = np.empty(len(feeds) + 1, dtype=np.int32)
        offsets[0] = 0
        offsets[1:] = feeds + 1
        lines = pa.StringArray.from_buffers(len(feeds), pa.py_buffer(offsets), pa.py_buffer(data))
        start = self.first_row + self.lines
        rows = np.arange(start, start + len(feeds), dtype=np.int64)
        self.lines += len(feeds)
        return pa.RecordBatch.from_arrays([lines, pa.array(rows)], schema=self.SCHEMA)


def _check_lines(data: bytes, end: int) -> np.ndarray[Any, np.dtype[np.intp]]:
    """Line feed positions in ``data[:end]`` (-1: an unterminated line, all of ``data``).

    Raises NotPlain for a carriage return not before a line feed, GiveUp for
    invalid UTF-8. Quotes and NULs were looked for in whole blocks
    (``_check_block``) as they were read.
    """
    if end < 0:
        if b"\r" in data:
            raise NotPlain()
        end = len(data)
    array = np.frombuffer(data, dtype=np.uint8, count=end)
    feeds = np.flatnonzero(array == LF)
    if data.find(b"\r", 0, end) >= 0:
        # Vectorised (bytes.count took 0.25 s per GiB): the CRs before a line feed
        # must be all of them. The byte before a line feed at 0 ended the previous
        # block's lines: a line feed.
        carriage_returns = array == CR
        before = carriage_returns[feeds[feeds > 0] - 1]
        if np.count_nonzero(before) != np.count_nonzero(carriage_returns):
            raise NotPlain()
    if not data.isascii():
        try:
            str(memoryview(data)[:end], "utf-8")
        except UnicodeDecodeError as exc:
            raise GiveUp("a line is not valid UTF-8") from exc
    return feeds


def _check_block(block: bytes) -> None:
    # memchr: cheaper than anything vectorised for a byte that should not be there.
    if b'"' in block or b"\x00" in block:
        raise NotPlain()


def _check_long(carry: bytes) -> None:
    if len(carry) > MAX_LINE:
        raise GiveUp(f"a line is longer than {MAX_LINE} bytes")


def plain(path: Path, has_header: bool = True) -> bool:
    """True when the fast path can read the file: no quote, NUL or lone CR, valid UTF-8."""
    feed = LineFeed(path, has_header)
    for _ in feed.batches():
        pass
    return feed.failure is None


def _source(alignment: Alignment) -> str:
    """Each fed line split at commas into c0..cN, with its cell count and row."""
    count = alignment.column_count
    cells = [f"__s[{i + 1}] AS c{i}" for i in range(count - 1)]
    cells.append(f"rtrim(__s[{count}], {LINE_END}) AS c{count - 1}")
    return (
        f"(SELECT 0 AS __rec, line AS __line, row AS __row, len(__s) AS __cells, "  # noqa: S608
        f"{', '.join(cells)} FROM (SELECT line, row, string_split(line, ',') AS __s FROM lines))"
    )


class FastPath:
    def __init__(
        self,
        dataset: DatasetType,
        check_lines: CheckLines,
        error_cap: int,
        temp_dir: Path | None = None,
    ) -> None:
        self.dataset = dataset
        self.schema = dataset.table_schema
        self.check_lines = check_lines
        self.error_cap = error_cap
        self.temp_dir = temp_dir
        # Of the whole file, when the last run read all of it (its feed hashes as it reads).
        self.sha256: str | None = None

    def run(
        self, path: Path, alignment: Alignment, column_of_field: list[int], sink: RowSink | None
    ) -> Report | None:
        """The file's report with its good rows written to ``sink``; None to defer."""
        with path.open("rb") as head:
            starts_with_bom = head.read(3) == BOM
        if starts_with_bom and not alignment.has_header:
            return None
        feed = LineFeed(path, alignment.has_header)
        scratch = scratch_dir(self.temp_dir)
        db: duckdb.DuckDBPyConnection | None = None
        try:
            # Rows come in the order of the lines fed, which the main pass checks. DuckDB
            # keeps that order, except where an optimizer makes a join (session.py).
            db = connect(
                threads=2, memory_limit=MEMORY_LIMIT, spill_dir=Path(scratch.name) / "spill"
            )
            db.register("lines", feed.reader())
            checked = block_query(
                self.schema, column_of_field, _source(alignment),
                carry=("__line", "__row", "__cells"),
            )  # fmt: skip
            hashes = _HashTable(self.dataset, Path(scratch.name))
            try:
                main = _MainPass(self, feed, alignment.column_count, hashes, sink)
                main.run(db, checked)
                # Its buffers go back before the hashes are counted with a limit of their own.
                db.close()
                repeated = hashes.repeated()
            finally:
                hashes.close()
            report = self._report(path, main, repeated, column_of_field, Path(scratch.name))
            if feed.complete:
                self.sha256 = feed.sha256.hexdigest()
            return report
        except NotPlain:
            return None
        except GiveUp as exc:
            log.info("fast path gave up on %s: %s", path.name, exc)
            return None
        except (duckdb.Error, pa.ArrowException, OSError) as exc:
            # Memory or disk: the exact path, with its own limits, takes over.
            log.info("fast path gave up on %s: %s", path.name, str(exc).splitlines()[0])
            return None
        finally:
            if db is not None:
                db.close()
            feed.sha256.close()  # its thread ends even where DuckDB stopped reading early
            scratch.cleanup()

    # -- the verdict -------------------------------------------------------------

    def _report(
        self,
        path: Path,
        main: _MainPass,
        repeated: Rows,
        column_of_field: list[int],
        scratch: Path,
    ) -> Report:
        report = Report(rows_total=main.returned)
        rows = np.concatenate(main.bad_rows) if main.bad_rows else np.zeros(0, np.int64)
        texts = pa.concat_arrays(main.bad_texts) if main.bad_texts else pa.array([], pa.string())
        collector = ErrorCollector(self.error_cap)
        for start in range(0, len(rows), CHECK_LINES):
            chunk = rows[start : start + CHECK_LINES]
            result = self._check(chunk, texts.slice(start, CHECK_LINES).to_pylist())
            if result.bad_records != len(chunk):
                raise GiveUp("the block validator disagrees on a bad line")
            collector.add(_located(result.errors, chunk), result.error_count)
        report.rows_rejected = len(rows)
        if len(repeated):
            repeats, report.duplicate_rows = self._repeats(path, repeated, column_of_field, scratch)
            collector.add(repeats)
            report.rows_rejected += len(report.duplicate_rows)
        return collector.fill(report)

    def _check(self, rows: Rows, texts: list[str]) -> BlockResult:
        """The block validator's result for these lines of the file, in this order."""
        result = self.check_lines("".join(text + "\n" for text in texts).encode("utf-8"))
        if result.records != len(rows):
            raise GiveUp("the block validator read the lines differently")
        return result

    def _repeats(
        self, path: Path, repeated: Rows, column_of_field: list[int], scratch: Path
    ) -> tuple[list[CellError], list[int]]:
        """Errors and newly bad rows of the repeats among the rows whose hash repeats."""
        uniques = UniqueIndex(self.dataset, scratch)
        try:
            uniques.column_of_field = dict(enumerate(column_of_field))
            lines = read_lines(path, repeated)
            for start in range(0, len(repeated), CHECK_LINES):
                rows = repeated[start : start + CHECK_LINES]
                result = self._check(rows, lines[start : start + CHECK_LINES])
                for j, values in result.unique_values.items():
                    rec = values.column("rec").to_numpy()
                    located = values.set_column(
                        values.schema.get_field_index("rec"), "rec", pa.array(rows[rec - 1])
                    )
                    uniques.add(j, located, 0)
            return duplicate_errors(self.schema, uniques)
        finally:
            uniques.close()


class _HashTable:
    """The unique fields' hashes from the main pass (``hashes.HashPartitions``)."""

    def __init__(self, dataset: DatasetType, scratch: Path) -> None:
        self.fields = dataset.table_schema.unique_fields
        self._partitions = HashPartitions(self.fields, scratch)

    def add(self, table: pa.Table, rows: Rows) -> None:
        for j in self.fields:
            column = table.column(f"__h{j}")
            if column.null_count:
                taking_part = column.is_valid()
                column = column.filter(taking_part)
                rows_of = rows[taking_part.to_numpy(zero_copy_only=False)]
            else:
                rows_of = rows
            self._partitions.add(j, column.to_numpy(), rows_of)

    def repeated(self) -> Rows:
        """Rows (sorted) whose hash of some unique field appears on another row too."""
        found: list[Rows] = []
        try:
            for j in self.fields:
                left = REPEAT_LIMIT - sum(len(rows) for rows in found)
                found.append(self._partitions.repeated(j, limit=left))
        except TooManyRepeats as exc:
            raise GiveUp(str(exc)) from exc
        return np.unique(np.concatenate(found)) if found else np.zeros(0, dtype=np.int64)

    def close(self) -> None:
        self._partitions.close()


class _MainPass:
    """The checks over every line: good rows to the sink, bad lines kept for a look."""

    def __init__(
        self,
        owner: FastPath,
        feed: LineFeed,
        column_count: int,
        hashes: _HashTable,
        sink: RowSink | None,
    ) -> None:
        self.owner = owner
        self.feed = feed
        self.column_count = column_count
        self.hashes = hashes
        self.sink = sink
        self.returned = 0
        self.bad_rows: list[Rows] = []
        self.bad_texts: list[pa.Array] = []
        self.bad_bytes = 0
        self._names: list[str] = []

    def run(self, db: duckdb.DuckDBPyConnection, checked: str) -> None:
        fields = self.owner.schema.fields
        count = self.column_count
        bad = " OR ".join(
            [f"__cells <> {count}", *(f"e{j} <> 0" for j in range(len(fields))), "blank"]
        )
        outputs = [f'v{j} AS "{spec.name}"' for j, spec in enumerate(fields)]
        outputs.append("__row")
        outputs.append(f"CASE WHEN {bad} THEN rtrim(__line, {LINE_END}) END AS __bad_line")
        # Every typed value takes part in uniqueness but those of blank rows and of
        # rows with the wrong number of cells, as in the exact path.
        outputs += [
            f"CASE WHEN __cells = {count} AND NOT blank AND v{j} IS NOT NULL "
            f"THEN hash(v{j}) END AS __h{j}"
            for j in self.hashes.fields
        ]
        names = [spec.name for spec in fields]
        query = f"SELECT {', '.join(outputs)} FROM ({checked})"  # noqa: S608 - literal() names
        self._names = [*names, "__row"]
        gathered: list[pa.RecordBatch] = []
        size = nbytes = 0
        # DuckDB returns a batch per fed block (a few thousand rows): gathered into
        # BATCH_ROWS (or BATCH_BYTES), they make one Parquet row group and a tenth of
        # the calls here.
        for batch in db.sql(query).to_arrow_reader(BATCH_ROWS):
            if self.feed.failure:
                raise self.feed.failure
            gathered.append(batch)
            size += batch.num_rows
            nbytes += batch.nbytes
            if size >= BATCH_ROWS or nbytes >= BATCH_BYTES:
                self._take(pa.Table.from_batches(gathered))
                gathered, size, nbytes = [], 0, 0
        if gathered:
            self._take(pa.Table.from_batches(gathered))
        if self.feed.failure:
            raise self.feed.failure
        if self.returned != self.feed.lines:
            raise GiveUp(f"{self.returned} of {self.feed.lines} lines came back")

    def _take(self, table: pa.Table) -> None:
        """One batch of checked lines: good rows to the sink, bad ones kept, hashes filed."""
        rows = table.column("__row").to_numpy()
        start = self.feed.first_row + self.returned
        # Rows are the lines' own, so order matters only in the sink, where the
        # exact path's order is the promise: any other order gives up.
        if not np.array_equal(rows, np.arange(start, start + len(rows))):
            raise GiveUp("DuckDB returned the lines out of order")
        good = pc.is_null(table.column("__bad_line")).to_numpy(zero_copy_only=False)
        all_good = bool(good.all())
        if not all_good:
            self._keep_bad(table, rows, good)
        self.hashes.add(table, rows)
        if self.sink is not None:
            kept = table.select(self._names)
            self.sink.write(kept if all_good else kept.filter(pa.array(good)))
        self.returned += table.num_rows

    def _keep_bad(self, table: pa.Table, rows: Rows, good: np.ndarray[Any, Any]) -> None:
        texts = table.column("__bad_line").filter(pa.array(~good)).combine_chunks()
        self.bad_bytes += pc.sum(pc.binary_length(texts)).as_py() or 0
        self.bad_bytes += BAD_LINE_COST * len(texts)
        if self.bad_bytes > BAD_TEXT_LIMIT:
            raise GiveUp("too many bad lines to hold")
        self.bad_rows.append(rows[~good])
        self.bad_texts.append(texts)


def read_lines(path: Path, rows: Rows) -> list[str]:
    """The text of lines ``rows`` (sorted line numbers, 1-based) of a plain file."""
    found: list[str] = []
    wanted = 0
    lines = 0  # lines that ended in earlier blocks
    carry = b""  # the unfinished line at the end of the previous block
    with path.open("rb") as source:
        while wanted < len(rows) and (block := source.read(READ_BLOCK)):
            data = carry + block
            ends = np.flatnonzero(np.frombuffer(data, dtype=np.uint8) == LF)
            while wanted < len(rows) and rows[wanted] <= lines + len(ends):
                k = int(rows[wanted]) - lines - 1  # the line's index in this block
                begin = int(ends[k - 1]) + 1 if k else 0
                found.append(data[begin : int(ends[k])].rstrip(b"\r").decode("utf-8"))
                wanted += 1
            lines += len(ends)
            carry = data[int(ends[-1]) + 1 :] if len(ends) else data
    if wanted < len(rows):  # the last line, without a line feed
        found.append(carry.rstrip(b"\r").decode("utf-8"))
    return found


def _located(errors: list[CellError], rows: Rows) -> list[CellError]:
    """Errors of a block of lines, at the rows those lines have in the file."""
    return [
        CellError(int(rows[e.row - 1]), e.column, e.field, e.value, e.code, e.message)
        for e in errors
    ]
