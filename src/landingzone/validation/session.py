"""DuckDB connections for validation, with its session settings applied in one place.

Every DuckDB that validation opens (the block checks, the fast path, the
``unique`` index, the dataset type checks) comes from ``connect``, and every
cursor a worker thread queries through gets ``configure``: the settings that
make the answers the same on every host and in file order.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from landingzone.validation.shapes import literal

if TYPE_CHECKING:
    from duckdb import DuckDBPyConnection

# This optimizer turns an IN list of five or more values (an enum) into a join,
# whose output comes in any order; both paths rely on DuckDB keeping row order.
DISABLED_OPTIMIZERS = "in_clause"


def connect(
    *,
    threads: int,
    memory_limit: str | None = None,
    spill_dir: Path | None = None,
    keep_order: bool = True,
) -> DuckDBPyConnection:
    """An in-memory DuckDB limited to ``threads`` and ``memory_limit``; the caller closes it.

    ``spill_dir``: where it spills past the limit (DuckDB's default otherwise).
    ``keep_order=False`` lets it return rows in any order, which spares memory
    where order does not matter (grouping).
    """
    # Imported here: the API and an idle worker import this module (through
    # schema.py) and must not load DuckDB until a connection is needed.
    import duckdb

    db = duckdb.connect()
    try:
        db.execute(f"SET threads={int(threads)}")
        if memory_limit is not None:
            db.execute(f"SET memory_limit={literal(memory_limit)}")
        if spill_dir is not None:
            db.execute(f"SET temp_directory={literal(str(spill_dir))}")
        if not keep_order:
            db.execute("SET preserve_insertion_order=false")
        configure(db)
    except BaseException:
        db.close()
        raise
    return db


def configure(connection: DuckDBPyConnection) -> None:
    """The settings that hold per connection, so a cursor needs them too.

    Without the time zone a cursor types datetimes in the machine's local zone,
    and the Parquet schema would vary by host.
    """
    connection.execute("SET TimeZone='UTC'")
    connection.execute(f"SET disabled_optimizers={literal(DISABLED_OPTIMIZERS)}")
