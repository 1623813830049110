"""The audit log table: rows inserted inside the caller's transaction, read newest first."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, Engine, insert, select

from landingzone.db.tables import audit_log, customers
from landingzone.domain.audit import AuditEntry, AuditFilter, AuditRecord
from landingzone.timeutil import as_utc, utcnow


def insert_audit(conn: Connection, entry: AuditEntry) -> None:
    """Write ``entry`` in the transaction of ``conn``: it commits with the change it records."""
    insert_audits(conn, [entry])


def insert_audits(conn: Connection, entries: list[AuditEntry]) -> None:
    """Write ``entries`` in the transaction of ``conn``, in their order."""
    at = utcnow()
    conn.execute(
        insert(audit_log),
        [
            {
                "at": at,
                "actor": entry.actor,
                "customer_id": entry.customer_id,
                "action": entry.action,
                "target": entry.target,
                "request_id": entry.request_id,
                "outcome": entry.outcome,
            }
            for entry in entries
        ],
    )


def _record(row: Any) -> AuditRecord:
    return AuditRecord(
        id=row.id,
        at=as_utc(row.at),
        actor=row.actor,
        customer=row.customer,
        action=row.action,
        target=row.target,
        request_id=row.request_id,
        outcome=row.outcome,
    )


class AuditRepository:
    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def record(self, entry: AuditEntry) -> None:
        """An entry on its own, for what changes no row (a download, a refused sign-in)."""
        with self._engine.begin() as conn:
            insert_audit(conn, entry)

    def entries(self, where: AuditFilter, limit: int, before_id: int | None) -> list[AuditRecord]:
        """Up to ``limit`` entries matching ``where``, newest first, older than ``before_id``."""
        query = (
            select(audit_log, customers.c.name.label("customer"))
            .select_from(audit_log.outerjoin(customers, audit_log.c.customer_id == customers.c.id))
            .order_by(audit_log.c.id.desc())
            .limit(limit)
        )
        if where.customer_id is not None:
            query = query.where(audit_log.c.customer_id == where.customer_id)
        if where.actor is not None:
            query = query.where(audit_log.c.actor == where.actor)
        if where.action is not None:
            query = query.where(audit_log.c.action == where.action)
        if where.since is not None:
            query = query.where(audit_log.c.at >= where.since)
        if before_id is not None:
            query = query.where(audit_log.c.id < before_id)
        with self._engine.connect() as conn:
            return [_record(row) for row in conn.execute(query)]
