"""What a customer has imported of a dataset type: rows per file and per upload day."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from landingzone.domain.ports import DatasetCatalog, FileCatalog, Tenants
from landingzone.errors import NotFound
from landingzone.storage.analytics import AnalyticsStore
from landingzone.timeutil import iso_z


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
        completed = self.files.completed(customer_id, dataset_type)
        # Only the part of the attempt that committed counts; strays are ignored.
        counts = self.analytics.row_counts(
            dataset_type, customer.name, {record.id: record.attempt for record in completed}
        )
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
