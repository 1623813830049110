"""The fast path: a clean, plain file validated by one parallel DuckDB pass.

Most files that arrive are valid. For those, DuckDB's own CSV reader (both
cores) runs the same per-cell checks as the block validator (``sql.py``) and
streams the typed rows to the sink; the first bad row raises inside the query
and abandons the pass. The answer is only trusted when nothing could make the
two engines disagree, so the fast path gives up, and the exact block validator
runs instead, whenever:

* the file holds a double quote, a NUL byte, a blank line or a carriage return
  not followed by a line feed (``plain()``): without quotes a record is one
  line and both readers split cells identically; DuckDB skips blank lines
  silently and trims around quotes where pyarrow does not;
* it starts with a byte-order mark and has no header row to absorb it;
* any cell fails a check, or DuckDB rejected a record (wrong number of cells,
  invalid UTF-8);
* a ``unique`` field may repeat a value: 64-bit hashes of its values are
  counted, and any repeat (or hash collision) defers to the exact path, which
  names the rows.

So the fast path never reports an error: errors are always located, with their
rows and columns, by the block validator. ``_row`` is the running record
number, exact because every line is one record and none was skipped.
"""

from __future__ import annotations

import logging
import tempfile
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import pyarrow as pa

from landingzone.validation.header import Alignment
from landingzone.validation.report import Report
from landingzone.validation.schema import DatasetType
from landingzone.validation.shapes import literal
from landingzone.validation.sink import RowSink
from landingzone.validation.sql import block_query

log = logging.getLogger(__name__)

SCAN_BLOCK = 8 * 1024 * 1024
BATCH_ROWS = 122_880  # DuckDB's vector size x 60: one Arrow batch, one Parquet row group
# DuckDB's CSV reader needs about 30 MB per buffer and thread; less fails to run.
MEMORY_LIMIT = "128MB"
# The unique fields' hashes: 8 bytes a row, spilling to disk past this while the
# file is read, and allowed COUNT_MEMORY_LIMIT to count them once it is.
HASH_MEMORY_LIMIT = "64MB"
COUNT_MEMORY_LIMIT = "128MB"
BOM = b"\xef\xbb\xbf"
LF, CR = 10, 13
# Cells equal to this would be NULL. By default that is the empty cell, and DuckDB
# then also drops a trailing empty extra cell ("1,2,") without rejecting the row;
# two carriage returns can never be a cell of a plain file (plain()).
NULL_SENTINEL = "\r\r"
_REJECTED = "lz-fast-path: row rejected"


def plain(path: Path) -> bool:
    """True when the file has no quote, NUL, blank line or lone carriage return.

    memchr for the bytes that may not appear at all, and vectorised positions of
    line feeds and carriage returns for the rest: Python's multi-byte searches
    and regular expressions would make this scan slower than the validation it
    guards (0.5 s per GB here, against 3 s).
    """
    tail = b""  # the previous block's last two bytes, for patterns across blocks
    with path.open("rb") as source:
        while block := source.read(SCAN_BLOCK):
            if b'"' in block or b"\x00" in block:
                return False
            data = np.frombuffer(tail + block, dtype=np.uint8)
            if not _plain_lines(data):
                return False
            tail = block[-2:]
    return True


def _plain_lines(data: np.ndarray[Any, np.dtype[np.uint8]]) -> bool:
    """No blank line (LF LF, LF CR LF) and no CR but before an LF (the last byte waits)."""
    line_feeds = np.flatnonzero(data == LF)
    after_cr = np.flatnonzero(data == CR) + 1
    after_cr = after_cr[after_cr < len(data)]
    if len(after_cr) and not np.all(data[after_cr] == LF):
        return False
    gaps = np.diff(line_feeds)
    if np.any(gaps == 1):
        return False
    two_apart = line_feeds[:-1][gaps == 2]
    return not (len(two_apart) and np.any(data[two_apart + 1] == CR))


def _source(path: Path, columns: int, header: bool) -> str:
    types = ", ".join(f"'c{i}': 'VARCHAR'" for i in range(columns))
    return (
        f"read_csv({literal(str(path))}, columns={{{types}}}, header={str(header).lower()}, "
        "auto_detect=false, delim=',', quote='\"', escape='\"', store_rejects=true, "
        f"nullstr={literal(NULL_SENTINEL)})"
    )


class FastPath:
    def __init__(self, dataset: DatasetType, temp_dir: Path | None = None) -> None:
        self.dataset = dataset
        self.temp_dir = temp_dir

    def run(
        self, path: Path, alignment: Alignment, column_of_field: list[int], sink: RowSink | None
    ) -> Report | None:
        """The report of a valid file with its rows written to ``sink``; None to defer."""
        with path.open("rb") as head:
            starts_with_bom = head.read(3) == BOM
        if starts_with_bom and not alignment.has_header:
            return None
        if not plain(path):
            return None
        db = duckdb.connect()
        try:
            return self._run(db, path, alignment, column_of_field, sink)
        except (duckdb.Error, pa.ArrowException, OSError) as exc:
            # A bad row ends the query with our error(); through the Arrow reader it
            # arrives as an Arrow or OS error. Anything else (memory, disk) is logged,
            # and the exact path, with its own limits, takes over.
            if _REJECTED not in str(exc):
                log.info("fast path gave up on %s: %s", path.name, str(exc).splitlines()[0])
            return None
        finally:
            db.close()

    def _run(
        self,
        db: duckdb.DuckDBPyConnection,
        path: Path,
        alignment: Alignment,
        column_of_field: list[int],
        sink: RowSink | None,
    ) -> Report | None:
        db.execute("SET threads=2")
        db.execute(f"SET memory_limit='{MEMORY_LIMIT}'")
        db.execute("SET TimeZone='UTC'")
        if self.temp_dir is not None:
            db.execute(f"SET temp_directory={literal(str(self.temp_dir / 'lz-fast-spill'))}")
        fields = self.dataset.table_schema.fields
        source = _source(path, alignment.column_count, alignment.has_header)
        checked = block_query(
            self.dataset.table_schema,
            column_of_field,
            f"(SELECT 0 AS __rec, * FROM {source})",  # noqa: S608 - path via literal()
        )
        bad = " OR ".join([*(f"e{j} <> 0" for j in range(len(fields))), "blank"])
        unique = [j for j, spec in enumerate(fields) if spec.constraints.unique]
        outputs = [f'v{j} AS "{spec.name}"' for j, spec in enumerate(fields)]
        # Missing values (NULL) never repeat one another, as in the exact path.
        outputs += [f"CASE WHEN v{j} IS NOT NULL THEN hash(v{j}) END AS __h{j}" for j in unique]
        query = (
            f"SELECT {', '.join(outputs)} FROM ({checked}) "  # noqa: S608 - names are literal()
            f"WHERE CASE WHEN {bad} THEN error({literal(_REJECTED)}) ELSE TRUE END"
        )
        scratch = tempfile.TemporaryDirectory(prefix="lz-hashes-", dir=self.temp_dir)
        # File-backed: its blocks can be dropped and read back, where an in-memory
        # table's must first be written out; 58 million hashes (a 5 GB file) then
        # left too little of the limit to count them, and the pass was wasted.
        hashes = duckdb.connect(str(Path(scratch.name) / "hashes.duckdb"))
        try:
            hashes.execute("SET threads=1")
            hashes.execute(f"SET memory_limit='{HASH_MEMORY_LIMIT}'")
            hashes.execute(f"SET temp_directory={literal(str(Path(scratch.name) / 'spill'))}")
            for j in unique:
                hashes.execute(f"CREATE TABLE h{j} (h UBIGINT)")
            rows = 0
            first_row = 2 if alignment.has_header else 1
            names = [spec.name for spec in fields]
            for batch in db.sql(query).to_arrow_reader(BATCH_ROWS):
                for j in unique:
                    column = pa.table({"h": batch.column(f"__h{j}")})
                    hashes.register("incoming", column)
                    hashes.execute(f"INSERT INTO h{j} SELECT h FROM incoming")  # noqa: S608
                    hashes.unregister("incoming")
                if sink is not None:
                    numbers = np.arange(first_row + rows, first_row + rows + batch.num_rows)
                    table = pa.Table.from_batches([batch]).select(names)
                    sink.write(table.append_column("__row", pa.array(numbers)))
                rows += batch.num_rows
            rejected = db.execute("SELECT count(*) FROM reject_errors").fetchone()
            if rejected and rejected[0]:
                return None
            # The main query is done with its memory: counting may use more.
            hashes.execute(f"SET memory_limit='{COUNT_MEMORY_LIMIT}'")
            for j in unique:
                found = hashes.execute(
                    f"SELECT count(h) = count(DISTINCT h) FROM h{j}"  # noqa: S608
                ).fetchone()
                if not found or not found[0]:
                    return None
        finally:
            hashes.close()
            scratch.cleanup()
        return Report(rows_total=rows)
