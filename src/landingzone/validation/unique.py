"""Values of ``unique`` fields across a whole file, in DuckDB tables that spill to disk.

Every value (with its 64-bit hash, its row and whether the row is already bad)
goes into a DuckDB table under a memory limit. While the file is small the
table is in memory (spilling to the scratch directory past the limit), which
is the fastest. Past ``DISK_ROWS`` values it moves to a database file in the
scratch directory. An in-memory table must be written to temp files before
its blocks can be evicted, and with tens of millions of values it left too
little of the limit for the final query: at 58 million values (a 5 GB file),
grouping ran out of memory at 128 MB. A file-backed table's blocks can simply
be dropped and read back.

At the end, the rows whose hash repeats are found by grouping the hashes
(integers, cheap), and only those candidates are grouped by value, so a hash
collision is never reported as a repeat.
"""

from __future__ import annotations

from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from landingzone.validation.dataset_type import DatasetType, TableSchema
from landingzone.validation.hashes import HashPartitions
from landingzone.validation.report import UNIQUE_ERROR, CellError
from landingzone.validation.session import connect
from landingzone.validation.shapes import literal
from landingzone.validation.sql import DUCKDB_TYPES

MEMORY_LIMIT = "128MB"
# RepeatFinder's values are written in row groups of at least this many rows.
VALUES_GROUP_ROWS = 61_440
# 35 million values still worked in memory under MEMORY_LIMIT, 58 million did not.
DISK_ROWS = 16_000_000


class UniqueIndex:
    def __init__(self, dataset: DatasetType, scratch: Path, disk_rows: int = DISK_ROWS) -> None:
        self.fields = dataset.table_schema.unique_fields
        self.column_of_field: dict[int, int] = {}
        self._scratch = scratch
        self._disk_rows = disk_rows
        self._rows = 0
        self._on_disk = False
        self._schema = dataset.table_schema
        self._db: duckdb.DuckDBPyConnection | None = None

    def _connect(self) -> duckdb.DuckDBPyConnection:
        """DuckDB, opened on the first value: most files have no repeated hash at all."""
        if self._db is not None:
            return self._db
        # One thread: DuckDB's aggregation needs memory per thread.
        db = self._db = connect(
            threads=1, memory_limit=MEMORY_LIMIT, spill_dir=self._scratch / "spill",
            keep_order=False,
        )  # fmt: skip
        for j in self.fields:
            kind = DUCKDB_TYPES[self._schema.fields[j].type]
            db.execute(f"CREATE TABLE u{j} (v {kind}, h UBIGINT, row BIGINT, bad BOOLEAN)")
        return db

    @property
    def on_disk(self) -> bool:
        return self._on_disk

    def add(self, j: int, values: pa.Table, offset: int) -> None:
        """Add a block's values (columns v, rec, bad); ``rec + offset`` is the file row."""
        db = self._connect()
        db.register("incoming", values)
        try:
            db.execute(
                f"INSERT INTO u{j} SELECT v, hash(v), rec + ?, bad FROM incoming "  # noqa: S608
                "WHERE v IS NOT NULL",
                [offset],
            )
        finally:
            db.unregister("incoming")
        self._rows += values.num_rows
        if not self._on_disk and self._rows > self._disk_rows:
            self._move_to_disk()

    def add_files(self, j: int, values: Path, rows: Path, count: int) -> None:
        """Add the values (Parquet: v, rec, bad; no NULL) of the ``count`` rows in ``rows``."""
        db = self._connect()
        if not self._on_disk and self._rows + count > self._disk_rows:
            self._move_to_disk()
        # Paths are the scratch directory's, quoted by literal(); no input reaches the SQL.
        db.execute(
            f"INSERT INTO u{j} SELECT x.v, hash(x.v), x.rec, x.bad "  # noqa: S608
            f"FROM read_parquet({literal(str(values))}) AS x "
            f"SEMI JOIN read_parquet({literal(str(rows))}) AS c ON x.rec = c.rec"
        )
        self._rows += count

    def _move_to_disk(self) -> None:
        assert self._db is not None
        path = str(self._scratch / "unique.duckdb").replace("'", "''")
        self._db.execute(f"ATTACH '{path}' AS disk")
        for j in self.fields:
            # The table names are generated: no input reaches the SQL.
            self._db.execute(f"CREATE TABLE disk.u{j} AS SELECT * FROM memory.u{j}")  # noqa: S608
            self._db.execute(f"DROP TABLE memory.u{j}")
        self._db.execute("USE disk")
        self._on_disk = True

    def duplicates(self) -> list[tuple[int, int, str, bool]]:
        """(field, row, value, row already bad) of every repeat after a value's first row."""
        if self._db is None:
            return []
        found: list[tuple[int, int, str, bool]] = []
        for j in self.fields:
            self._db.execute(
                f"CREATE OR REPLACE TEMP TABLE repeated_hashes AS "  # noqa: S608
                f"SELECT h FROM u{j} GROUP BY h HAVING count(*) > 1"
            )
            rows = self._db.execute(
                f"""
                WITH candidates AS (SELECT * FROM u{j} SEMI JOIN repeated_hashes USING (h)),
                repeated AS (SELECT v FROM candidates GROUP BY v HAVING count(*) > 1)
                SELECT c.row, CAST(c.v AS VARCHAR), c.bad
                FROM candidates c JOIN repeated r ON c.v = r.v
                QUALIFY row_number() OVER (PARTITION BY c.v ORDER BY c.row) > 1
                ORDER BY c.row
                """  # noqa: S608 - table names are generated, no input reaches the SQL
            ).fetchall()
            found.extend((j, int(row), str(value), bool(bad)) for row, value, bad in rows)
        return found

    def close(self) -> None:
        if self._db is not None:
            self._db.close()


class RepeatFinder:
    """The exact path's ``unique`` check: hashes first, values only where hashes repeat.

    Every value's 64-bit hash goes with its row to ``HashPartitions``, and the
    typed value, row and bad flag to a scratch Parquet file per field, written
    as they come (no encoding work). After the pass, only the rows whose hash
    repeats are read back from that file into a ``UniqueIndex``, which
    compares them by value. Putting every value into the ``UniqueIndex`` as it
    came cost 3.7 s per GiB of transactions (2.3 s of inserts on the thread
    that merges blocks, 1.4 s of grouping) and about 100 MB of peak memory.
    """

    def __init__(self, dataset: DatasetType, scratch: Path, disk_rows: int = DISK_ROWS) -> None:
        self.dataset = dataset
        self.fields = dataset.table_schema.unique_fields
        self.column_of_field: dict[int, int] = {}
        self._scratch = scratch
        self._disk_rows = disk_rows
        self._hashes = HashPartitions(self.fields, scratch)
        self._writers: dict[int, pq.ParquetWriter] = {}
        self._pending: dict[int, list[pa.Table]] = {}
        self._pending_rows: dict[int, int] = {}

    def _values_path(self, j: int) -> Path:
        return self._scratch / f"values-{j}.parquet"

    def add(self, j: int, values: pa.Table, offset: int) -> None:
        """A block's values of field ``j`` (columns v, h, rec, bad); ``rec + offset`` is the row."""
        values = values.filter(pc.is_valid(values.column("v")))
        rows = values.column("rec").to_numpy() + offset
        self._hashes.add(j, values.column("h").to_numpy(), rows)
        pending = self._pending.setdefault(j, [])
        pending.append(
            pa.table({"v": values.column("v"), "rec": rows, "bad": values.column("bad")})
        )
        self._pending_rows[j] = self._pending_rows.get(j, 0) + len(rows)
        if self._pending_rows[j] >= VALUES_GROUP_ROWS:
            self._write(j)

    def _write(self, j: int) -> None:
        """Field ``j``'s pending values as one row group (each one's metadata stays in memory)."""
        if not self._pending_rows.get(j):
            # Nothing to write (every block's values were NULL: a row group cannot be empty).
            self._pending.pop(j, None)
            return
        table = pa.concat_tables(self._pending.pop(j))
        self._pending_rows[j] = 0
        if j not in self._writers:
            self._writers[j] = pq.ParquetWriter(
                self._values_path(j), table.schema, compression="none", use_dictionary=False,
                write_statistics=["rec"],
            )  # fmt: skip
        self._writers[j].write_table(table, row_group_size=table.num_rows)

    def index(self) -> UniqueIndex:
        """A ``UniqueIndex`` of the values whose hash repeats (the caller closes it).

        The repeats' rows go to a scratch Parquet file a partition at a time and
        DuckDB joins it with the values, so a file whose every row repeats an id
        is held on disk, not in memory, as ``UniqueIndex`` holds any values.
        """
        for j in self.fields:
            self._write(j)
        for writer in self._writers.values():
            writer.close()
        self._writers.clear()
        uniques = UniqueIndex(self.dataset, self._scratch, self._disk_rows)
        uniques.column_of_field = self.column_of_field
        for j in self.fields:
            candidates = self._scratch / f"candidates-{j}.parquet"
            count = 0
            schema = pa.schema([("rec", pa.int64())])
            with pq.ParquetWriter(candidates, schema, compression="none") as out:
                for rows in self._hashes.repeated_by_partition(j):
                    out.write_table(pa.table({"rec": rows}, schema=schema))
                    count += len(rows)
            if count:
                uniques.add_files(j, self._values_path(j), candidates, count)
        return uniques

    def close(self) -> None:
        for writer in self._writers.values():
            writer.close()
        self._writers.clear()
        self._hashes.close()


def duplicate_errors(
    schema: TableSchema, uniques: UniqueIndex
) -> tuple[list[CellError], list[int]]:
    """The repeats' errors (by field; ``ErrorCollector`` orders them) and the rows
    they newly make bad (sorted)."""
    errors: list[CellError] = []
    rows: set[int] = set()
    for j, row, value, already_bad in uniques.duplicates():
        spec = schema.fields[j]
        if not already_bad:
            rows.add(row)
        errors.append(
            CellError.make(
                row,
                uniques.column_of_field[j] + 1,
                spec.name,
                value,
                UNIQUE_ERROR,
                f"Value of '{spec.name}' already appears in an earlier row.",
            )
        )
    return errors, sorted(rows)
