"""What a customer has imported of a dataset type: rows per file and per upload day."""

from __future__ import annotations

import logging
from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from landingzone.domain.models import FileRecord
from landingzone.domain.ports import DatasetCatalog, FileCatalog, Tenants
from landingzone.errors import NotFound
from landingzone.storage.analytics import AnalyticsStore
from landingzone.timeutil import iso_z

log = logging.getLogger(__name__)
# Catalog reads before a missing part is taken as lost (each retry follows a commit).
SNAPSHOT_TRIES = 5


@dataclass
class SummaryService:
    tenants: Tenants
    datasets: DatasetCatalog
    files: FileCatalog
    analytics: AnalyticsStore

    def summary(self, customer_id: int, dataset_type: str) -> dict[str, Any]:
        if self.datasets.latest(dataset_type) is None:
            raise NotFound(f"No dataset type named '{dataset_type}'.")
        customer = self.tenants.get_customer(customer_id)
        if customer is None:
            raise NotFound("Unknown customer.")
        completed, counts = self._snapshot(customer_id, customer.name, dataset_type)
        per_file = []
        per_day: dict[str, dict[str, int]] = defaultdict(lambda: {"files": 0, "rows": 0})
        for record in completed:
            rows = counts.get(record.id, 0)
            uploaded = record.uploaded_at or record.created_at
            per_file.append(
                {"id": record.id, "name": record.name, "uploadedAt": iso_z(uploaded), "rows": rows}
            )
            day = per_day[uploaded.date().isoformat()]
            day["files"] += 1
            day["rows"] += rows
        return {
            "datasetType": dataset_type,
            "totalRows": sum(f["rows"] for f in per_file),
            "files": per_file,
            "days": [{"day": day, **totals} for day, totals in sorted(per_day.items())],
        }

    def _snapshot(
        self, customer_id: int, customer: str, dataset_type: str
    ) -> tuple[list[FileRecord], dict[str, int]]:
        """The Completed files and their parts' row counts, as of one catalog read.

        A file superseded or retracted after the catalog was read loses its part
        a moment later: counting then would show neither it nor its replacement.
        A missing part of a file that imported rows means exactly that, so the
        catalog is read again (a part that is really lost is logged and counts 0).
        """
        for _ in range(SNAPSHOT_TRIES):
            completed = self.files.completed(customer_id, dataset_type)
            # Only the part of the attempt that committed counts; strays are ignored.
            counts = self.analytics.row_counts(
                dataset_type, customer, {record.id: record.attempt for record in completed}
            )
            missing = [r.id for r in completed if r.rows_imported and r.id not in counts]
            if not missing:
                return completed, counts
        log.warning("files %s have no Parquet part: their rows count 0", ", ".join(missing))
        return completed, counts
