"""The errors a file (or a block of it) keeps: every one counted, the first ``cap`` kept.

"First" is in row order (then column), as the report promises (docs/api.md);
errors may come in any order. The exact path, the fast path and each block
collect through here, so they keep the same errors of the same file.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from landingzone.validation.report import CellError, Report


class ErrorCollector:
    """Counts every error added; keeps the first ``cap`` by ``order``.

    ``order`` is a sort key (row, then column, by default); None keeps them in
    the order they were added (a header's errors, all on row 1, as the header
    check lists them). Memory stays within twice the cap, however many come.
    """

    def __init__(
        self, cap: int, order: Callable[[CellError], Any] | None = CellError.sort_key
    ) -> None:
        self.cap = cap
        self.count = 0
        self._order = order
        self._kept: list[CellError] = []

    def add(self, errors: list[CellError], count: int | None = None) -> None:
        """Keep what makes the cut of ``errors``; they stand for ``count`` errors
        (more than the list when a block counted errors it did not build)."""
        self.count += len(errors) if count is None else count
        self._kept.extend(errors)
        if len(self._kept) > 2 * self.cap:
            self._trim()

    def _trim(self) -> None:
        if self._order is not None:
            self._kept.sort(key=self._order)
        del self._kept[self.cap :]

    def errors(self) -> list[CellError]:
        """The kept errors, in order."""
        self._trim()
        return list(self._kept)

    def fill(self, report: Report) -> Report:
        """``report`` with the kept errors, the count, and whether some were not kept."""
        report.errors = self.errors()
        report.error_count = self.count
        report.errors_truncated = self.count > len(report.errors)
        return report
