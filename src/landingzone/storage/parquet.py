"""The Parquet writer: one attempt's accepted rows as one part file.

A part is written to a temp file and then published atomically by the store
that made the writer (a rename on local disk, an upload to S3): readers never
see a partial Parquet file. Where parts go is ``storage/analytics_layout.py``;
the stores are ``storage/local_analytics.py`` and ``storage/s3_analytics.py``.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TYPE_CHECKING

from landingzone.storage.durable import fsync_dir, fsync_path, make_dirs_durable

if TYPE_CHECKING:
    import pyarrow as pa
    import pyarrow.parquet as pq

# pyarrow (~70 MB with DuckDB) is imported where it is used: the HTTP workers
# import this module but only the validation worker writes Parquet.

ROW_COLUMN = "_row"
# Rows are gathered into row groups of at least this many. The exact path writes
# a block (30,000-70,000 rows) at a time, and the writer keeps every row group's
# metadata until it closes. The fast path's batches (61,440 rows, fewer once its
# bad rows are dropped) must pass straight through: two of them in one row
# group raised its peak RSS by 20 MB.
ROW_GROUP_ROWS = 50_000
# ... unless the rows are wide: 50,000 rows of 300 integers would hold 120 MB.
ROW_GROUP_BYTES = 16 * 1024 * 1024


class PartWriter:
    """A ``PartSink`` (``storage/analytics.py``) writing one attempt's accepted rows.

    Dictionary encoding only for ``dictionary_columns`` (the enum fields): on
    high-cardinality columns (ids, timestamps, amounts) it costs more time than
    anything else in the writer and, under zstd, makes the file no smaller.
    Measured on the 1 GiB transactions file: 6.0 s with dictionaries on every
    column, 3.5 s with them on the enum columns only, same size.
    """

    def __init__(
        self,
        temp: Path,
        publish: Callable[[Path], None],
        dictionary_columns: Sequence[str] = (),
    ) -> None:
        self.temp = temp
        self._writer: pq.ParquetWriter | None = None
        self._dictionary = list(dictionary_columns)
        # Makes the finished temp file the part, atomically: a rename on local
        # disk, an upload to S3.
        self._publish = publish
        self.rows = 0
        self._pending: list[pa.Table] = []
        self._pending_rows = self._pending_bytes = 0

    def _open(self, path: Path, schema: pa.Schema) -> pq.ParquetWriter:
        import pyarrow.parquet as pq

        return pq.ParquetWriter(
            path, schema, compression="zstd", use_dictionary=self._dictionary or False
        )

    def write(self, table: pa.Table) -> None:
        self._pending.append(
            table.rename_columns([ROW_COLUMN if n == "__row" else n for n in table.column_names])
        )
        self._pending_rows += table.num_rows
        self._pending_bytes += table.nbytes
        self.rows += table.num_rows
        if self._pending_rows >= ROW_GROUP_ROWS or self._pending_bytes >= ROW_GROUP_BYTES:
            self._flush()

    def _flush(self) -> None:
        """The rows written so far as one row group."""
        import pyarrow as pa

        if not self._pending:
            return
        table = pa.concat_tables(self._pending)
        self._pending, self._pending_rows, self._pending_bytes = [], 0, 0
        if self._writer is None:
            self.temp.parent.mkdir(parents=True, exist_ok=True)
            self._writer = self._open(self.temp, table.schema)
        self._writer.write_table(table, row_group_size=table.num_rows)

    def commit(self, drop_rows: list[int]) -> int | None:
        """Close, drop late-found duplicate rows, and publish; the rows kept, None if none."""
        self._flush()
        if self._writer is None:
            return None
        self._writer.close()
        self._writer = None
        if drop_rows:
            self._drop(drop_rows)
        try:
            self._publish(self.temp)
        finally:
            self.temp.unlink(missing_ok=True)
        return self.rows

    def _drop(self, drop_rows: list[int]) -> None:
        """Rewrite the temp part without ``drop_rows``, a row group at a time (bounded memory).

        The next row group is read and filtered in a second thread while this one
        is encoded: both halves release the GIL, and the rewrite of a 1 GiB
        upload's part took 5.6 s one after the other.
        """
        import pyarrow as pa
        import pyarrow.compute as pc
        import pyarrow.parquet as pq

        dropped = pa.array(drop_rows, pa.int64())
        filtered = self.temp.with_name(self.temp.name + ".filtered")
        # Without pre-buffering and threads: with them pyarrow kept the decoded
        # file (600 MB of a 5 GB upload's part) until the end of the rewrite.
        source = pq.ParquetFile(self.temp, pre_buffer=False, buffer_size=1024 * 1024)

        def kept(group: int) -> pa.Table:
            table = source.read_row_group(group, use_threads=False)
            return table.filter(pc.invert(pc.is_in(table.column(ROW_COLUMN), dropped)))

        self.rows = 0
        groups = source.num_row_groups
        try:
            with (
                ThreadPoolExecutor(1, thread_name_prefix="lz-part-read") as reader,
                self._open(filtered, source.schema_arrow) as out,
            ):
                pending = reader.submit(kept, 0) if groups else None
                for group in range(groups):
                    assert pending is not None
                    table = pending.result()
                    pending = reader.submit(kept, group + 1) if group + 1 < groups else None
                    out.write_table(table)
                    self.rows += table.num_rows
        except BaseException:
            filtered.unlink(missing_ok=True)
            raise
        finally:
            source.close()
        os.replace(filtered, self.temp)

    def restart(self) -> None:
        self.abort()
        self.rows = 0

    def abort(self) -> None:
        self._pending, self._pending_rows, self._pending_bytes = [], 0, 0
        if self._writer is not None:
            self._writer.close()
            self._writer = None
        with contextlib.suppress(FileNotFoundError):
            self.temp.unlink()


def local_part_writer(
    final: Path, dictionary_columns: Sequence[str] = (), root: Path | None = None
) -> PartWriter:
    """A writer whose part becomes ``final`` by a rename, fsynced with its directory.

    The part's directories below ``root`` (the analytics root: dataset,
    customer and file directories) are synced into their parents too, before
    the commit that makes the file Completed relies on them.
    """

    def rename_into_place(temp: Path) -> None:
        fsync_path(temp)
        make_dirs_durable(final.parent, root or final.parent)
        os.rename(temp, final)
        fsync_dir(final.parent)

    temp = final.with_name(f".{final.name}.tmp")
    return PartWriter(temp, rename_into_place, dictionary_columns)
