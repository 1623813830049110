"""The audit log table: rows inserted inside the caller's transaction, read newest first."""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, Connection, Engine, insert, literal, select, tuple_

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
        """Up to ``limit`` entries matching ``where``, newest first, after entry ``before_id``.

        Newest first is by (at, id): every filter has an index ending in (at, id), so a
        page, ``since`` included, is one index range read from its upper end, whatever
        the log's size. Ordered by id alone, ``since`` was only a filter on the rows
        read in id order: a ``since`` that matched few rows read the whole log.
        """
        query = (
            select(audit_log, customers.c.name.label("customer"))
            .select_from(audit_log.outerjoin(customers, audit_log.c.customer_id == customers.c.id))
            .order_by(audit_log.c.at.desc(), audit_log.c.id.desc())
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
        with self._engine.connect() as conn:
            if before_id is not None:
                query = query.where(_after(conn, before_id))
            return [_record(row) for row in conn.execute(query)]


def _after(conn: Connection, entry_id: int) -> ColumnElement[bool]:
    """The entries listed after ``entry_id`` (the cursor names the previous page's last)."""
    at = conn.execute(select(audit_log.c.at).where(audit_log.c.id == entry_id)).scalar()
    if at is None:  # no such entry (a made-up cursor: entries are never deleted)
        return audit_log.c.id < entry_id
    # A row value, which both databases match against the index's range.
    position = tuple_(literal(at, audit_log.c.at.type), literal(entry_id, audit_log.c.id.type))
    return tuple_(audit_log.c.at, audit_log.c.id) < position
