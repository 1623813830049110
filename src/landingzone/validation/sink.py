"""Where accepted rows go while a file is validated."""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    import pyarrow as pa


class RowSink(Protocol):
    def write(self, table: pa.Table) -> None:
        """Accepted rows of one block, typed, with their spreadsheet row in ``__row``."""
        ...

    def restart(self) -> None:
        """Forget every row written so far (the fast path gave up part-way)."""
        ...
