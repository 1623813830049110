"""The Files API catalog: one row per file, the truth of its progress."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Engine, and_, insert, or_, select, update

from landingzone.db.objects import ObjectRepository
from landingzone.db.tables import files
from landingzone.domain.models import FileRecord, FileStatus, NewObject, StoredObject
from landingzone.domain.ports import UploadAlreadyUsed
from landingzone.timeutil import as_utc, as_utc_or_none, utcnow

EXPIRED_UNUSED = "upload URL expired unused: ask for a new upload URL"


def _file(row: Any) -> FileRecord:
    return FileRecord(
        id=row.id,
        customer_id=row.customer_id,
        dataset_type_id=row.dataset_type_id,
        dataset_name=row.dataset_name,
        name=row.name,
        file_type=row.file_type,
        status=FileStatus(row.status),
        failure_reason=row.failure_reason,
        upload_id=row.upload_id,
        url_expires_at=as_utc(row.url_expires_at),
        object_pk=row.object_pk,
        size=row.size,
        sha256=row.sha256,
        created_at=as_utc(row.created_at),
        uploaded_at=as_utc_or_none(row.uploaded_at),
        started_at=as_utc_or_none(row.started_at),
        finished_at=as_utc_or_none(row.finished_at),
    )


class FileRepository:
    def __init__(self, engine: Engine, objects: ObjectRepository) -> None:
        self._engine = engine
        self._objects = objects

    def create(self, record: FileRecord) -> FileRecord:
        with self._engine.begin() as conn:
            row = conn.execute(
                insert(files)
                .values(
                    id=record.id,
                    customer_id=record.customer_id,
                    dataset_type_id=record.dataset_type_id,
                    dataset_name=record.dataset_name,
                    name=record.name,
                    file_type=record.file_type,
                    status=record.status.value,
                    upload_id=record.upload_id,
                    url_expires_at=record.url_expires_at,
                    created_at=record.created_at,
                )
                .returning(*files.c)
            ).one()
        return _file(row)

    def get(self, file_id: str) -> FileRecord | None:
        with self._engine.connect() as conn:
            row = conn.execute(select(files).where(files.c.id == file_id)).first()
        return _file(row) if row else None

    def list(
        self,
        customer_id: int,
        limit: int,
        status: FileStatus | None = None,
        dataset_name: str | None = None,
        before: tuple[datetime, str] | None = None,
    ) -> list[FileRecord]:
        """Newest first; ``before`` is the (created_at, id) of the previous page's last file."""
        query = select(files).where(files.c.customer_id == customer_id)
        if status is not None:
            query = query.where(files.c.status == status.value)
        if dataset_name is not None:
            query = query.where(files.c.dataset_name == dataset_name)
        if before is not None:
            created, file_id = before
            query = query.where(
                or_(
                    files.c.created_at < created,
                    and_(files.c.created_at == created, files.c.id < file_id),
                )
            )
        query = query.order_by(files.c.created_at.desc(), files.c.id.desc()).limit(limit)
        with self._engine.connect() as conn:
            return [_file(row) for row in conn.execute(query).all()]

    def record_upload(self, new: NewObject, file_id: str) -> StoredObject:
        """Record the object and mark the file uploaded, in one transaction."""

        def mark_uploaded(conn: Connection, stored: StoredObject) -> None:
            changed = conn.execute(
                update(files)
                .where(
                    files.c.id == file_id,
                    files.c.uploaded_at.is_(None),
                    files.c.status == FileStatus.PENDING.value,
                )
                .values(
                    uploaded_at=stored.uploaded_at,
                    object_pk=stored.id,
                    size=stored.size,
                    sha256=stored.sha256,
                )
            ).rowcount
            if changed != 1:
                raise UploadAlreadyUsed(new.upload_id)

        return self._objects.record(new, also=mark_uploaded)

    def expire_unused(self, customer_id: int | None = None) -> int:
        """Fail Pending files whose upload URL expired before any upload arrived."""
        now = utcnow()
        query = update(files).where(
            files.c.status == FileStatus.PENDING.value,
            files.c.uploaded_at.is_(None),
            files.c.url_expires_at < now,
        )
        if customer_id is not None:
            query = query.where(files.c.customer_id == customer_id)
        with self._engine.begin() as conn:
            result = conn.execute(
                query.values(
                    status=FileStatus.FAILED.value, failure_reason=EXPIRED_UNUSED, finished_at=now
                )
            )
        return int(result.rowcount)
