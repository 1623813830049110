"""Reading the audit log (SPEC §9): `GET /admin/v1/audit` and `landingzone admin audit`.

Entries are written by the changes themselves (``domain/audit.py``); this is the
one use-case that reads them back: filtered, newest first, a page at a time.
"""

from __future__ import annotations

from datetime import UTC, datetime

from landingzone.domain.admin import InvalidField, UnknownCustomer
from landingzone.domain.audit import AuditFilter, AuditRecord
from landingzone.domain.paging import DEFAULT_PAGE, Page, check_limit, decode_cursor, page_of
from landingzone.domain.ports import AuditTrail, Tenants

CURSOR_KIND = "au"


def parse_since(raw: str) -> datetime:
    """An ISO 8601 date or time (UTC unless it names a zone): `2026-11-29`, `...T10:00:00Z`."""
    try:
        value = datetime.fromisoformat(raw.strip())
    except ValueError:
        raise InvalidField(
            "since",
            f"Invalid since '{raw}': use an ISO 8601 date or time, e.g. 2026-11-29 or "
            "2026-11-29T10:00:00Z.",
        ) from None
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class AuditLogService:
    def __init__(self, trail: AuditTrail, tenants: Tenants) -> None:
        self._trail = trail
        self._tenants = tenants

    def page(
        self,
        customer: str | None = None,
        actor: str | None = None,
        action: str | None = None,
        since: str | None = None,
        limit: int = DEFAULT_PAGE,
        cursor: str | None = None,
    ) -> Page[AuditRecord]:
        """Entries matching every filter given, newest first."""
        check_limit(limit)
        where = AuditFilter(
            customer_id=self._customer_id(customer) if customer is not None else None,
            actor=actor,
            action=action,
            since=parse_since(since) if since is not None else None,
        )
        before = decode_cursor(CURSOR_KIND, cursor) if cursor else None
        found = self._trail.entries(where, limit + 1, before)
        return page_of(found, limit, CURSOR_KIND, lambda entry: entry.id)

    def _customer_id(self, name: str) -> int:
        customer = self._tenants.get_customer_by_name(name)
        if customer is None:
            raise UnknownCustomer(name)
        return customer.id
