"""Claims with leases and attempts on a table whose rows are the work queue (SPEC §8).

Files and Upload API submissions are both queued as rows: a claim moves the
oldest waiting row to processing under a new attempt and a lease; only the
holder of that attempt may renew or commit (fencing); rows whose lease expired
return to the queue, or fail after ``max_attempts``. The table needs the
columns ``status``, ``attempt``, ``lease_owner``, ``lease_expires_at``,
``started_at`` and ``finished_at``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy import Column, ColumnElement, Connection, Engine, Table, and_, select, update

from landingzone.timeutil import utcnow


@dataclass(frozen=True)
class LeasedQueue:
    table: Table
    key: Column[Any]  # the public id the worker holds (file id, processing token)
    waiting: ColumnElement[bool]  # rows that may be claimed
    order: Sequence[Column[Any]]  # oldest first
    pending: str
    processing: str
    failed: str
    # The attempts that count against ``max_attempts``; all of them unless the table
    # lets an operator grant a fresh budget (files: those since the last retry).
    attempts_spent: ColumnElement[int] | None = None

    def claim(self, conn: Connection, owner: str, lease_seconds: float) -> Any:
        """Claim the oldest waiting row in ``conn``'s transaction; its key, or None."""
        now = utcnow()
        table = self.table
        oldest = (
            select(self.key)
            .where(self.waiting)
            .order_by(*self.order)
            .limit(1)
            .with_for_update(skip_locked=True)
            .scalar_subquery()
        )
        return conn.execute(
            update(table)
            .where(self.key == oldest, table.c.status == self.pending)
            .values(
                status=self.processing,
                attempt=table.c.attempt + 1,
                lease_owner=owner,
                lease_expires_at=now + timedelta(seconds=lease_seconds),
                started_at=now,
            )
            .returning(self.key)
        ).scalar()

    def fenced(self, key: str, attempt: int) -> ColumnElement[bool]:
        """Rows the holder of ``attempt`` may still change."""
        return and_(
            self.key == key,
            self.table.c.attempt == attempt,
            self.table.c.status == self.processing,
        )

    def renew(self, engine: Engine, key: str, attempt: int, lease_seconds: float) -> bool:
        with engine.begin() as conn:
            changed = conn.execute(
                update(self.table)
                .where(self.fenced(key, attempt))
                .values(lease_expires_at=utcnow() + timedelta(seconds=lease_seconds))
            ).rowcount
        return bool(changed)

    def requeue_expired(self, engine: Engine, max_attempts: int, reason: str) -> tuple[int, int]:
        """Return rows whose lease expired to the queue, or fail them (with ``reason``)."""
        now = utcnow()
        table = self.table
        expired = and_(table.c.status == self.processing, table.c.lease_expires_at < now)
        spent = table.c.attempt if self.attempts_spent is None else self.attempts_spent
        with engine.begin() as conn:
            failed = conn.execute(
                update(table)
                .where(expired, spent >= max_attempts)
                .values(
                    status=self.failed,
                    failure_reason=reason,
                    finished_at=now,
                    lease_owner=None,
                    lease_expires_at=None,
                )
            ).rowcount
            requeued = conn.execute(
                update(table)
                .where(expired)
                .values(status=self.pending, lease_owner=None, lease_expires_at=None)
            ).rowcount
        return int(requeued), int(failed)
