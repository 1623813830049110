"""The analytics store on local disk: ``<data dir>/analytics/`` in the Hive layout.

A part is renamed into place and fsynced with its directories
(``storage/parquet.py``'s ``local_part_writer``); row counts are read from the
parts' footers by DuckDB.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from landingzone.storage.analytics_layout import file_prefix, older_parts, part_name
from landingzone.storage.parquet import PartWriter, local_part_writer


class LocalAnalyticsStore:
    def __init__(self, root: Path) -> None:
        self.root = root
        self.root.mkdir(parents=True, exist_ok=True)

    def part(self, dataset: str, customer: str, file_id: str, attempt: int) -> Path:
        return self.root / part_name(dataset, customer, file_id, attempt)

    def writer(
        self,
        dataset: str,
        customer: str,
        file_id: str,
        attempt: int,
        dictionary_columns: Sequence[str] = (),
    ) -> PartWriter:
        return local_part_writer(
            self.part(dataset, customer, file_id, attempt), dictionary_columns, self.root
        )

    def row_counts(self, dataset: str, customer: str, parts: dict[str, int]) -> dict[str, int]:
        """From each part's footer; a part removed meanwhile (its file retired) is left out."""
        import pyarrow.parquet as pq

        counts: dict[str, int] = {}
        for file_id, attempt in parts.items():
            try:
                metadata = pq.read_metadata(self.part(dataset, customer, file_id, attempt))
            except FileNotFoundError:
                continue  # no part: every row rejected, or the file just retired
            counts[file_id] = metadata.num_rows
        return counts

    def remove_older(self, dataset: str, customer: str, file_id: str, attempt: int) -> None:
        directory = self.root / file_prefix(dataset, customer, file_id)
        if not directory.exists():
            return
        for name in older_parts((p.name for p in directory.iterdir()), attempt):
            (directory / name).unlink(missing_ok=True)

    def drop_part(self, dataset: str, customer: str, file_id: str, attempt: int) -> None:
        self.part(dataset, customer, file_id, attempt).unlink(missing_ok=True)
