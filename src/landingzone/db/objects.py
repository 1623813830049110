"""The object catalog: one row per stored version; the row is the truth of an upload."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import Connection, Engine, exists, func, insert, select
from sqlalchemy.exc import IntegrityError

from landingzone.db.audit import insert_audit
from landingzone.db.tables import apps, customers, objects
from landingzone.domain.audit import STORE_UPLOAD, UPLOAD_URL, AuditEntry
from landingzone.domain.downloads import ListedObject, ObjectFilter
from landingzone.domain.models import NewObject, StoredObject
from landingzone.domain.ports import UploadAlreadyUsed
from landingzone.timeutil import as_utc, utcnow


def _stored(row: Any) -> StoredObject:
    return StoredObject(
        id=row.id,
        storage_id=row.storage_id,
        upload_id=row.upload_id,
        customer_id=row.customer_id,
        app_pk=row.app_pk,
        object_key=row.object_key,
        version=row.version,
        filename=row.filename,
        type=row.type,
        size=row.size,
        sha256=row.sha256,
        md5=row.md5,
        uploaded_at=as_utc(row.uploaded_at),
    )


# Two uploads of one key committing at once race for the next version number;
# the unique (customer, key, version) constraint makes the loser retry.
VERSION_RETRIES = 5


def insert_version(conn: Connection, new: NewObject) -> StoredObject:
    if conn.execute(select(exists().where(objects.c.upload_id == new.upload_id))).scalar():
        raise UploadAlreadyUsed(new.upload_id)
    latest = conn.execute(
        select(func.max(objects.c.version)).where(
            objects.c.customer_id == new.customer_id,
            objects.c.object_key == new.object_key,
        )
    ).scalar()
    row = conn.execute(
        insert(objects)
        .values(
            storage_id=new.storage_id,
            upload_id=new.upload_id,
            customer_id=new.customer_id,
            app_pk=new.app_pk,
            object_key=new.object_key,
            version=(latest or 0) + 1,
            filename=new.filename,
            type=new.type,
            size=new.size,
            sha256=new.sha256,
            md5=new.md5,
            uploaded_at=utcnow(),
        )
        .returning(*objects.c)
    ).one()
    return _stored(row)


# Objects whose bytes are still stored: a retracted file's object keeps its row
# (its version is never reused) but is no longer listed, read or verified.
LIVE = objects.c.deleted_at.is_(None)


def stored_entry(stored: StoredObject) -> AuditEntry:
    """The audit entry of an upload that became durable: its key and version, no content."""
    target = f"{stored.object_key} (version {stored.version})"
    return UPLOAD_URL.did(STORE_UPLOAD, target, stored.customer_id)


class ObjectRepository:
    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def upload_used(self, upload_id: str) -> bool:
        with self._engine.connect() as conn:
            return bool(
                conn.execute(select(exists().where(objects.c.upload_id == upload_id))).scalar()
            )

    def by_upload_id(self, upload_id: str) -> StoredObject | None:
        """The object an upload URL recorded, if it was used."""
        with self._engine.connect() as conn:
            row = conn.execute(select(objects).where(objects.c.upload_id == upload_id)).first()
        return _stored(row) if row else None

    def record(
        self, new: NewObject, also: Callable[[Connection, StoredObject], None] | None = None
    ) -> StoredObject:
        """Insert the next version of ``new.object_key``; raise UploadAlreadyUsed on reuse.

        ``also`` runs in the same transaction, for rows that must change together
        with the object (a file's upload).
        """
        for _ in range(VERSION_RETRIES):
            try:
                with self._engine.begin() as conn:
                    stored = insert_version(conn, new)
                    insert_audit(conn, stored_entry(stored))
                    if also is not None:
                        also(conn, stored)
                return stored
            except IntegrityError:
                if self.upload_used(new.upload_id):
                    raise UploadAlreadyUsed(new.upload_id) from None
        raise RuntimeError(f"could not assign a version to {new.object_key!r}")

    def list_for_app(self, app_pk: int, limit: int, before_id: int | None) -> list[StoredObject]:
        """Newest first; ``before_id`` is the cursor of the previous page."""
        query = select(objects).where(objects.c.app_pk == app_pk, LIVE)
        if before_id is not None:
            query = query.where(objects.c.id < before_id)
        query = query.order_by(objects.c.id.desc()).limit(limit)
        with self._engine.connect() as conn:
            return [_stored(row) for row in conn.execute(query).all()]

    def known_storage_ids(self, candidates: list[str]) -> set[str]:
        if not candidates:
            return set()
        with self._engine.connect() as conn:
            rows = conn.execute(
                select(objects.c.storage_id).where(objects.c.storage_id.in_(candidates))
            ).all()
        return {row.storage_id for row in rows}

    def list_after(
        self, after_id: int, limit: int, customer_id: int | None = None
    ) -> list[StoredObject]:
        """Oldest first from ``after_id`` (exclusive): every stored version, page by page."""
        query = select(objects).where(objects.c.id > after_id, LIVE)
        if customer_id is not None:
            query = query.where(objects.c.customer_id == customer_id)
        query = query.order_by(objects.c.id).limit(limit)
        with self._engine.connect() as conn:
            return [_stored(row) for row in conn.execute(query).all()]

    def get(self, object_pk: int) -> StoredObject | None:
        with self._engine.connect() as conn:
            row = conn.execute(select(objects).where(objects.c.id == object_pk, LIVE)).first()
        return _stored(row) if row else None

    # Downloads (domain/downloads.py)

    def find_version(
        self, app_pk: int, filename: str, version: int | None, type: str | None
    ) -> StoredObject | None:
        """The newest upload of ``filename`` to the app (of ``type``; its ``version``)."""
        query = select(objects).where(
            objects.c.app_pk == app_pk, objects.c.filename == filename, LIVE
        )
        if version is not None:
            query = query.where(objects.c.version == version)
        if type is not None:
            query = query.where(objects.c.type == type)
        query = query.order_by(objects.c.id.desc()).limit(1)
        with self._engine.connect() as conn:
            row = conn.execute(query).first()
        return _stored(row) if row else None

    def listing(self, where: ObjectFilter, limit: int, before_id: int | None) -> list[ListedObject]:
        """Every customer's stored versions matching ``where``, newest first, with the
        names of their customer and app; ``before_id`` is the previous page's cursor."""
        query = (
            select(
                objects, customers.c.name.label("customer_name"), apps.c.app_id.label("app_name")
            )
            .select_from(
                objects.join(customers, objects.c.customer_id == customers.c.id).outerjoin(
                    apps, objects.c.app_pk == apps.c.id
                )
            )
            .where(LIVE)
            .order_by(objects.c.id.desc())
            .limit(limit)
        )
        if where.customer_id is not None:
            query = query.where(objects.c.customer_id == where.customer_id)
        if where.app_id is not None:
            query = query.where(apps.c.app_id == where.app_id)
        if before_id is not None:
            query = query.where(objects.c.id < before_id)
        with self._engine.connect() as conn:
            return [
                ListedObject(_stored(row), row.customer_name, row.app_name)
                for row in conn.execute(query)
            ]
