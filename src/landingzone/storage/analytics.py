"""The analytics store port: where Completed files' rows land as Parquet.

The adapters are ``storage/local_analytics.py`` (local disk) and
``storage/s3_analytics.py`` (the S3 bucket); both write with
``storage/parquet.py`` and lay parts out by ``storage/analytics_layout.py``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    import pyarrow as pa


class PartSink(Protocol):
    """One attempt's accepted rows on their way to becoming its part (a ``RowSink``)."""

    def write(self, table: pa.Table) -> None:
        """Accepted rows of one block, typed, with their spreadsheet row in ``__row``."""
        ...

    def restart(self) -> None:
        """Forget every row written so far (the fast path gave up part-way)."""
        ...

    def commit(self, drop_rows: list[int]) -> int | None:
        """Drop late-found duplicate rows and publish the part; the rows kept, None if none."""
        ...

    def abort(self) -> None:
        """Drop what was written; nothing is published."""
        ...


class AnalyticsStore(Protocol):
    """Where Completed files' rows land as Parquet: local disk or the S3 bucket."""

    def writer(
        self,
        dataset: str,
        customer: str,
        file_id: str,
        attempt: int,
        dictionary_columns: Sequence[str] = (),
    ) -> PartSink: ...

    def remove_older(self, dataset: str, customer: str, file_id: str, attempt: int) -> None:
        """Remove the parts of attempts before ``attempt`` (a retry starts clean).

        Only older attempts: a worker that lost its claim must never delete the
        part of the attempt that replaced it.
        """
        ...

    def drop_part(self, dataset: str, customer: str, file_id: str, attempt: int) -> None:
        """Remove one attempt's part (its commit was refused)."""
        ...

    def row_counts(self, dataset: str, customer: str, parts: dict[str, int]) -> dict[str, int]:
        """Rows in the part of each ``{file id: attempt}``; files with no part are left out."""
        ...
