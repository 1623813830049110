"""Idempotency-Key rows (``idempotency_keys``): claims, recorded answers, the purge.

Each method is one short transaction of its own: a claim must be visible to a racing
request as soon as it is made, long before the request it guards commits anything.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Engine, delete, insert, select, update
from sqlalchemy.exc import IntegrityError

from landingzone.db.tables import idempotency_keys
from landingzone.domain.idempotency import Claim, KeyRecord, StoredAnswer
from landingzone.timeutil import as_utc

_T = idempotency_keys.c


def _record(row: Any) -> KeyRecord:
    answer = (
        None
        if row.status is None
        else StoredAnswer(row.status, row.media_type or "", bytes(row.body or b""))
    )
    return KeyRecord(row.fingerprint, row.claim, as_utc(row.created_at), answer)


class IdempotencyRepository:
    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def claim(self, client_id: str, key: str, fingerprint: str, token: str, now: datetime) -> bool:
        try:
            with self._engine.begin() as conn:
                conn.execute(
                    insert(idempotency_keys).values(
                        client_id=client_id,
                        key=key,
                        fingerprint=fingerprint,
                        claim=token,
                        created_at=now,
                    )
                )
        except IntegrityError:
            # The unique (client_id, key): another request holds the key (on PostgreSQL
            # the insert waited for that request's claim to commit before failing).
            return False
        return True

    def held(self, client_id: str, key: str) -> KeyRecord | None:
        with self._engine.connect() as conn:
            row = conn.execute(
                select(
                    _T.fingerprint, _T.claim, _T.created_at, _T.status, _T.media_type, _T.body
                ).where(_T.client_id == client_id, _T.key == key)
            ).first()
        return None if row is None else _record(row)

    def record(self, claim: Claim, answer: StoredAnswer) -> bool:
        with self._engine.begin() as conn:
            changed = conn.execute(
                update(idempotency_keys)
                .where(_T.client_id == claim.client_id, _T.key == claim.key)
                .where(_T.claim == claim.token)
                .values(status=answer.status, media_type=answer.media_type, body=answer.body)
            ).rowcount
        return changed == 1

    def remove(self, client_id: str, key: str, token: str) -> bool:
        with self._engine.begin() as conn:
            removed = conn.execute(
                delete(idempotency_keys).where(
                    _T.client_id == client_id, _T.key == key, _T.claim == token
                )
            ).rowcount
        return removed == 1

    def purge(self, before: datetime) -> int:
        with self._engine.begin() as conn:
            removed = conn.execute(delete(idempotency_keys).where(_T.created_at < before)).rowcount
        return int(removed)
