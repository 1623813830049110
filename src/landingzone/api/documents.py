"""JSON documents both faces print: the admin API answers them, the CLI's --json prints them.

No FastAPI here, so that the CLI can import it without the web stack.
"""

from __future__ import annotations

import json
from typing import Any

from landingzone.domain.audit import AuditRecord
from landingzone.domain.models import DatasetTypeVersion
from landingzone.timeutil import iso_z


def version_json(found: DatasetTypeVersion, definition: bool = False) -> dict[str, Any]:
    """A dataset type version; ``definition``: with the whole definition."""
    document: dict[str, Any] = {
        "name": found.dataset.name,
        "version": found.version,
        "title": found.dataset.title,
        "fields": len(found.dataset.table_schema.fields),
        "headerPolicy": found.dataset.header_policy.value,
        "maxBadRecords": found.dataset.max_bad_records,
        "createdAt": iso_z(found.created_at),
    }
    if definition:
        document["definition"] = json.loads(found.dataset.to_json())
    return document


def audit_json(entry: AuditRecord) -> dict[str, Any]:
    """One audit log entry (SPEC §9)."""
    return {
        "id": entry.id,
        "at": iso_z(entry.at),
        "actor": entry.actor,
        "customer": entry.customer,
        "action": entry.action,
        "target": entry.target,
        "requestId": entry.request_id,
        "outcome": entry.outcome,
    }
