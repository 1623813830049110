"""The fast path: a plain file checked by parallel DuckDB passes, errors located exactly.

DuckDB reads every line of the file as one string (no quoting, a NUL
delimiter) on both cores, splits it at the commas and runs the same per-cell
checks as the block validator (``sql.py``). Good rows stream, typed, to the
sink; a bad row comes back as its line of text. Those lines (usually a few in
a thousand) and the blank lines are then run through the block validator
itself (``check_lines``), so every error is worded, located and counted
exactly as the exact path would: the fast path only decides which rows need
that look.

Row numbers are exact without DuckDB knowing them. A file is *plain*
(``scan_blocks()``, run beside DuckDB by ``Scanner``) when it holds no double
quote, NUL byte or carriage return but before a line feed: then one line is
one record and a cell never holds a comma or a line break. DuckDB passes every
line through in order except blank ones, which it skips silently; the scan
records where those are, so the n-th line DuckDB returns is the n-th data line
that is not blank (``RowNumbers``). Reading lines whole means a row with too
many or too few cells is not rejected (and lost) by the CSV reader: it is a
bad row like any other.

``unique`` fields: the main pass also yields 64-bit hashes of their values,
written in line order to a scratch Parquet file (``_HashTable``). When a
hash repeats (a repeat, or a collision), the lines of the rows that share it
are read again and go through the block validator too, and the exact path's
``UniqueIndex`` compares their typed values. A repeat that was written to the
sink is listed in ``Report.duplicate_rows`` for the sink's owner to drop, as in
the exact path.

The fast path gives up (returns None, and the exact path runs from the start)
whenever anything could make it disagree with the exact path: a quote, NUL or
lone carriage return; a byte-order mark without a header row; a line DuckDB
rejected (invalid UTF-8, too long); a line count that does not add up; too
many bad or blank lines or repeated hashes to hold in memory; a bad line in
which the block validator finds nothing; or any DuckDB or Arrow error (memory,
disk).
"""

from __future__ import annotations

import logging
import tempfile
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from landingzone.validation.header import Alignment
from landingzone.validation.report import CellError, Report
from landingzone.validation.schema import DatasetType
from landingzone.validation.shapes import literal
from landingzone.validation.sink import RowSink
from landingzone.validation.sql import block_query
from landingzone.validation.unique import UniqueIndex, duplicate_errors

if TYPE_CHECKING:
    from landingzone.validation.validator import BlockResult

log = logging.getLogger(__name__)

SCAN_BLOCK = 8 * 1024 * 1024
BATCH_ROWS = 122_880  # DuckDB's vector size x 60: one Arrow batch, one Parquet row group
# DuckDB's CSV reader needs about 30 MB per buffer and thread; less fails to run.
MEMORY_LIMIT = "128MB"
# Counting the unique fields' hashes (8 bytes a row) once the file is read.
COUNT_MEMORY_LIMIT = "128MB"
# Counting 11.7 million hashes took 0.8 s with one thread and 0.45 s with two;
# 58 million needed the whole limit with one.
TWO_THREAD_COUNT = 16_000_000
# What the fast path holds in memory before it leaves a file to the exact path,
# which streams any number of errors: blank lines, bad lines' text, repeated hashes.
BLANK_LIMIT = 100_000
BAD_TEXT_LIMIT = 32 * 1024 * 1024
REPEAT_LIMIT = 1_000_000
# Bad lines go through the block validator this many at a time.
CHECK_LINES = 50_000
# This optimizer turns an IN list of five or more values (an enum) into a join,
# whose output comes in any order; both paths rely on DuckDB keeping row order.
DISABLED_OPTIMIZERS = "in_clause"
BOM = b"\xef\xbb\xbf"
LF, CR = 10, 13
# A line equal to this would read as NULL; two carriage returns cannot be a line
# of a plain file.
NULL_SENTINEL = "\r\r"

CheckLines = Callable[[bytes], "BlockResult"]
Rows = np.ndarray[Any, np.dtype[np.int64]]


class GiveUp(Exception):
    """The fast path cannot answer for this file; the exact path will."""


class NotPlain(GiveUp):
    """The file holds a quote, NUL or lone CR (or too many blank lines): usual, not news."""


@dataclass
class Scan:
    """What ``scan_blocks()`` found in a plain file."""

    lines: int  # physical lines, the header included
    blank: Rows  # line numbers (1-based) of blank lines


def scan_blocks(path: Path, blank_limit: int = BLANK_LIMIT) -> Iterator[tuple[Rows | None, int]]:
    """Per block: (line numbers of its blank lines, lines so far); (None, _) if not plain.

    memchr for the bytes that may not appear at all, and vectorised positions of
    line feeds for the rest: Python's multi-byte searches would make this scan
    slower than the validation it guards (0.9 s per GiB here, against 3.5 s).
    A line is blank when it is empty or a lone CR. The last item counts an
    unterminated last line.
    """
    found = 0
    lines = 0  # line feeds so far
    # The last two bytes before the block: a virtual line feed before the file
    # makes an empty first line blank like any other.
    before = b"x\n"
    last = b""
    with path.open("rb") as source:
        while block := source.read(SCAN_BLOCK):
            if b'"' in block or b"\x00" in block:
                yield None, lines
                return
            data = np.frombuffer(before + block, dtype=np.uint8)
            feeds = np.flatnonzero(data == LF)
            feeds = feeds[feeds >= 2]  # the two bytes before were looked at already
            previous = data[feeds - 1]
            after_cr = previous == CR
            # Every CR is followed by an LF: the CRs at 1..len-2 (0 was checked with
            # the block before, the last byte waits for the next) are exactly those
            # before a line feed. Counting is cheaper than listing them.
            if np.count_nonzero(data[1:-1] == CR) != np.count_nonzero(after_cr):
                yield None, lines
                return
            blank = (previous == LF) | (after_cr & (data[feeds - 2] == LF))
            numbers = (lines + 1 + np.flatnonzero(blank)).astype(np.int64)
            found += len(numbers)
            if found > blank_limit:
                yield None, lines
                return
            lines += len(feeds)
            yield numbers, lines
            before = block[-2:] if len(block) >= 2 else (before + block)[-2:]
            last = block[-1:]
    if last == b"\r":
        yield None, lines  # a carriage return ends the file
        return
    empty = np.zeros(0, dtype=np.int64)
    yield empty, lines + (1 if last and last != b"\n" else 0)  # an unterminated last line


class Scanner:
    """``scan_blocks`` in a thread of its own, running ahead of DuckDB.

    The main pass asks ``rows_of`` for the rows of the lines DuckDB returned,
    which waits until the scan has passed them: a blank line before them moves
    their rows. DuckDB leaves part of both cores idle while it streams, and
    the scan fills it (0.45 s less per GiB of transactions with Parquet).
    """

    def __init__(self, path: Path, first_row: int) -> None:
        self._path = path
        self._changed = threading.Condition()
        self._blanks: list[Rows] = []
        self._lines = 0
        self._done = False
        self._failure: GiveUp | None = None
        self._stop = False
        self.numbers = RowNumbers(first_row, np.zeros(0, dtype=np.int64))
        self._thread = threading.Thread(target=self._run, name="lz-scan", daemon=True)

    def start(self) -> Scanner:
        self._thread.start()
        return self

    def _run(self) -> None:
        try:
            for numbers, lines in scan_blocks(self._path):
                with self._changed:
                    if numbers is None:
                        self._failure = NotPlain()
                    else:
                        if len(numbers):
                            self._blanks.append(numbers)
                            self.numbers = RowNumbers(self.numbers.first_row, self.blank)
                        self._lines = lines
                    self._changed.notify_all()
                    if self._failure or self._stop:
                        return
        except OSError as exc:
            with self._changed:
                self._failure = GiveUp(f"reading the file failed: {exc}")
        finally:
            with self._changed:
                self._done = True
                self._changed.notify_all()

    @property
    def blank(self) -> Rows:
        return np.concatenate(self._blanks) if self._blanks else np.zeros(0, dtype=np.int64)

    def rows_of(self, start: int, count: int) -> Rows:
        """The rows of returned lines ``start`` to ``start + count``, once the scan is past them."""
        with self._changed:
            while True:
                if self._failure:
                    raise self._failure
                rows = self.numbers.rows(start, count)
                if self._done or not count or self._lines >= rows[-1]:
                    return rows
                self._changed.wait()

    def finish(self) -> Scan:
        """The whole scan's result (waits for it); GiveUp if the file was not plain."""
        self._thread.join()
        if self._failure:
            raise self._failure
        return Scan(self._lines, self.blank)

    def stop(self) -> None:
        with self._changed:
            self._stop = True
        self._thread.join()


def plain(path: Path) -> bool:
    """True when the file has no quote, NUL or lone CR, and no blank line."""
    return all(numbers is not None for numbers, _ in scan_blocks(path, blank_limit=0))


class RowNumbers:
    """Spreadsheet rows of the lines DuckDB returns, which skips the blank ones."""

    def __init__(self, first_row: int, skipped: np.ndarray[Any, np.dtype[np.int64]]) -> None:
        self.first_row = first_row
        # For each skipped row: how many returned lines come before it.
        self._before = skipped - first_row - np.arange(len(skipped), dtype=np.int64)

    def rows(self, start: int, count: int) -> np.ndarray[Any, np.dtype[np.int64]]:
        """The rows of returned lines ``start`` to ``start + count`` (0-based)."""
        return self.at(np.arange(start, start + count, dtype=np.int64))

    def at(
        self, ordinals: np.ndarray[Any, np.dtype[np.int64]]
    ) -> np.ndarray[Any, np.dtype[np.int64]]:
        """The rows of the returned lines with these ordinals (0-based)."""
        return self.first_row + ordinals + np.searchsorted(self._before, ordinals, side="right")


def _source(path: Path, alignment: Alignment) -> str:
    """Each line as one string, split at commas into c0..cN, with its cell count."""
    cells = ", ".join(f"__s[{i + 1}] AS c{i}" for i in range(alignment.column_count))
    lines = (
        f"read_csv({literal(str(path))}, columns={{'line': 'VARCHAR'}}, "
        f"header={str(alignment.has_header).lower()}, auto_detect=false, delim=$delim, "
        f"quote='', escape='', store_rejects=true, nullstr={literal(NULL_SENTINEL)})"
    )
    return (
        f"(SELECT 0 AS __rec, line AS __line, len(__s) AS __cells, {cells} "  # noqa: S608
        f"FROM (SELECT line, string_split(line, ',') AS __s FROM {lines}))"
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

    def run(
        self, path: Path, alignment: Alignment, column_of_field: list[int], sink: RowSink | None
    ) -> Report | None:
        """The file's report with its good rows written to ``sink``; None to defer."""
        with path.open("rb") as head:
            starts_with_bom = head.read(3) == BOM
        if starts_with_bom and not alignment.has_header:
            return None
        first_row = 2 if alignment.has_header else 1
        scanner = Scanner(path, first_row).start()
        db = duckdb.connect()
        scratch = tempfile.TemporaryDirectory(prefix="lz-fast-", dir=self.temp_dir)
        try:
            db.execute("SET threads=2")
            db.execute(f"SET memory_limit='{MEMORY_LIMIT}'")
            db.execute("SET TimeZone='UTC'")
            # Row numbers come from the order DuckDB returns lines in. It keeps that
            # order, except where an optimizer makes a join (DISABLED_OPTIMIZERS).
            db.execute(f"SET disabled_optimizers='{DISABLED_OPTIMIZERS}'")
            db.execute(f"SET temp_directory={literal(str(Path(scratch.name) / 'spill'))}")
            checked = block_query(
                self.schema, column_of_field, _source(path, alignment), carry=("__line", "__cells")
            )
            hashes = _HashTable(self.dataset, Path(scratch.name))
            try:
                main = _MainPass(self, scanner, hashes, sink)
                returned = main.run(db, checked)
                found = scanner.finish()
                if _rejected(db):
                    raise GiveUp("DuckDB rejected a line (invalid UTF-8, or too long)")
                # Its buffers go back before the hashes are counted with a limit of their own.
                db.close()
                data_lines = found.lines - (first_row - 1)
                if returned + len(found.blank) != data_lines:
                    raise GiveUp(
                        f"{returned} lines read and {len(found.blank)} blank of {data_lines}"
                    )
                repeated = hashes.repeated(scanner.numbers)
            finally:
                hashes.close()
            return self._report(
                path, main, found.blank, repeated, column_of_field, Path(scratch.name)
            )
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
            scanner.stop()
            db.close()
            scratch.cleanup()

    # -- the verdict -------------------------------------------------------------

    def _report(
        self,
        path: Path,
        main: _MainPass,
        blank: Rows,
        repeated: Rows,
        column_of_field: list[int],
        scratch: Path,
    ) -> Report:
        report = Report(rows_total=main.returned + len(blank))
        bad_rows = np.concatenate(main.bad_rows) if main.bad_rows else np.zeros(0, np.int64)
        rows = np.concatenate([bad_rows, blank])
        texts = main.bad_texts + [""] * len(blank)
        order = np.argsort(rows, kind="stable")
        errors: list[CellError] = []
        for start in range(0, len(order), CHECK_LINES):
            chunk = order[start : start + CHECK_LINES]
            result = self._check(rows[chunk], [texts[i] for i in chunk])
            if result.bad_records != len(chunk):
                raise GiveUp("the block validator disagrees on a bad line")
            errors += _located(result.errors, rows[chunk])
            report.error_count += result.error_count
        report.rows_rejected = len(rows)
        if len(repeated):
            repeats, report.duplicate_rows = self._repeats(path, repeated, column_of_field, scratch)
            errors += repeats
            report.error_count += len(repeats)
            report.rows_rejected += len(report.duplicate_rows)
        errors.sort(key=CellError.sort_key)
        report.errors = errors[: self.error_cap]
        report.errors_truncated = report.error_count > len(report.errors)
        return report

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
    """64-bit hashes of the unique fields' values, in line order (NULL: not taking part).

    Written as they come to an uncompressed Parquet file in the scratch
    directory (a copy, no encoding work, a row group per batch), and counted by
    DuckDB once the main query is done. Inserting into a DuckDB table instead
    stalled the main query for 0.5-0.7 s per GiB and held its own buffers
    meanwhile. DuckDB's ``file_row_number`` is then the line's ordinal.
    """

    def __init__(self, dataset: DatasetType, scratch: Path) -> None:
        self.fields = [j for j, s in enumerate(dataset.table_schema.fields) if s.constraints.unique]
        self.count = 0
        self._scratch = scratch
        self._path = scratch / "hashes.parquet"
        self._writer: pq.ParquetWriter | None = None
        if self.fields:
            schema = pa.schema([(f"h{j}", pa.uint64()) for j in self.fields])
            self._writer = pq.ParquetWriter(
                self._path, schema, compression="none", use_dictionary=False,
                write_statistics=False,
            )  # fmt: skip

    def add(self, batch: pa.RecordBatch) -> None:
        if self._writer is None:
            return
        columns = [batch.column(f"__h{j}") for j in self.fields]
        self._writer.write_batch(pa.record_batch(columns, names=[f"h{j}" for j in self.fields]))
        self.count += batch.num_rows

    def repeated(self, numbers: RowNumbers) -> Rows:
        """Rows (sorted) whose hash of some unique field appears on another row too."""
        if self._writer is None:
            return np.zeros(0, dtype=np.int64)
        self._writer.close()
        self._writer = None
        db = duckdb.connect()
        try:
            db.execute(f"SET memory_limit='{COUNT_MEMORY_LIMIT}'")
            db.execute(f"SET temp_directory={literal(str(self._scratch / 'hash-spill'))}")
            # Two threads need twice the state: only while the file is small.
            db.execute(f"SET threads={2 if self.count <= TWO_THREAD_COUNT else 1}")
            hashes = f"read_parquet({literal(str(self._path))}, file_row_number=true)"
            found: list[Rows] = []
            for j in self.fields:
                distinct = db.execute(
                    f"SELECT count(h{j}) = count(DISTINCT h{j}) FROM {hashes}"  # noqa: S608
                ).fetchone()
                if distinct and distinct[0]:
                    continue
                db.execute(
                    f"CREATE TEMP TABLE r{j} AS SELECT h{j} FROM {hashes} "  # noqa: S608
                    f"WHERE h{j} IS NOT NULL GROUP BY h{j} HAVING count(*) > 1"
                )
                ordinals = db.execute(
                    f"SELECT file_row_number FROM {hashes} SEMI JOIN r{j} USING (h{j})"  # noqa: S608
                ).fetchnumpy()["file_row_number"]
                if len(ordinals) > REPEAT_LIMIT:
                    raise GiveUp(f"{len(ordinals)} rows repeat a unique value's hash")
                found.append(numbers.at(np.asarray(ordinals, dtype=np.int64)))
        finally:
            db.close()
        return np.unique(np.concatenate(found)) if found else np.zeros(0, dtype=np.int64)

    def close(self) -> None:
        if self._writer is not None:
            self._writer.close()
            self._writer = None


class _MainPass:
    """The checks over every line: good rows to the sink, bad lines kept for a look."""

    def __init__(
        self, owner: FastPath, scanner: Scanner, hashes: _HashTable, sink: RowSink | None
    ) -> None:
        self.owner = owner
        self.scanner = scanner
        self.hashes = hashes
        self.sink = sink
        self.returned = 0
        self.bad_rows: list[Rows] = []
        self.bad_texts: list[str] = []
        self.bad_bytes = 0

    def run(self, db: duckdb.DuckDBPyConnection, checked: str) -> int:
        fields = self.owner.schema.fields
        width = len(fields)
        bad = " OR ".join([f"__cells <> {width}", *(f"e{j} <> 0" for j in range(width)), "blank"])
        outputs = [f'v{j} AS "{spec.name}"' for j, spec in enumerate(fields)]
        outputs.append(f"CASE WHEN {bad} THEN __line END AS __bad_line")
        # Every typed value takes part in uniqueness but those of blank rows and of
        # rows with the wrong number of cells, as in the exact path.
        outputs += [
            f"CASE WHEN __cells = {width} AND NOT blank AND v{j} IS NOT NULL "
            f"THEN hash(v{j}) END AS __h{j}"
            for j in self.hashes.fields
        ]
        names = [spec.name for spec in fields]
        query = f"SELECT {', '.join(outputs)} FROM ({checked})"  # noqa: S608 - literal() names
        for batch in _stream(db, query):
            rows = self.scanner.rows_of(self.returned, batch.num_rows)
            good = pc.is_null(batch.column("__bad_line")).to_numpy(zero_copy_only=False)
            all_good = bool(good.all())
            if not all_good:
                self._keep_bad(batch, rows, good)
            self.hashes.add(batch)
            if self.sink is not None:
                table = pa.Table.from_batches([batch]).select(names)
                if not all_good:
                    table = table.filter(pa.array(good))
                    rows = rows[good]
                self.sink.write(table.append_column("__row", pa.array(rows)))
            self.returned += batch.num_rows
        return self.returned

    def _keep_bad(self, batch: pa.RecordBatch, rows: Rows, good: np.ndarray[Any, Any]) -> None:
        texts = batch.column("__bad_line").filter(pa.array(~good)).to_pylist()
        self.bad_bytes += sum(len(text) for text in texts)
        if self.bad_bytes > BAD_TEXT_LIMIT:
            raise GiveUp("too many bad lines to hold")
        self.bad_rows.append(rows[~good])
        self.bad_texts += texts


def read_lines(path: Path, rows: Rows) -> list[str]:
    """The text of lines ``rows`` (sorted line numbers, 1-based) of a plain file."""
    found: list[str] = []
    wanted = 0
    lines = 0  # lines that ended in earlier blocks
    carry = b""  # the unfinished line at the end of the previous block
    with path.open("rb") as source:
        while wanted < len(rows) and (block := source.read(SCAN_BLOCK)):
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


def _stream(db: duckdb.DuckDBPyConnection, query: str) -> Iterator[pa.RecordBatch]:
    # The delimiter is a parameter: a NUL cannot be written in a SQL literal, and
    # cannot occur in a plain file, so every line is one column.
    yield from db.sql(query, params={"delim": "\x00"}).to_arrow_reader(BATCH_ROWS)


def _rejected(db: duckdb.DuckDBPyConnection) -> bool:
    found = db.execute("SELECT count(*) FROM reject_errors").fetchone()
    return bool(found and found[0])
