"""The Files API catalog: one row per file, the truth of its progress."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Connection,
    Engine,
    Select,
    and_,
    delete,
    insert,
    literal,
    or_,
    select,
    true,
    tuple_,
    update,
)

from landingzone.db.audit import insert_audit, insert_audits
from landingzone.db.leases import LeasedQueue
from landingzone.db.objects import ObjectRepository
from landingzone.db.tables import customers, file_errors, files, objects
from landingzone.domain.audit import PIPELINE, AuditEntry
from landingzone.domain.listings import CustomerFile, FileFilter
from landingzone.domain.models import (
    FileOutcome,
    FileRecord,
    FileStatus,
    NewObject,
    StoredObject,
)
from landingzone.domain.ports import UploadAlreadyUsed
from landingzone.domain.retirement import RetiredFile
from landingzone.timeutil import as_utc, as_utc_or_none, utcnow
from landingzone.validation.report import CellError

EXPIRED_UNUSED = "upload URL expired unused: ask for a new upload URL"
EXPIRE = "file.expire"  # the audit log's action for it
# The pipeline's queue: uploaded Pending files, oldest upload first.
QUEUE = LeasedQueue(
    table=files,
    key=files.c.id,
    waiting=and_(files.c.status == FileStatus.PENDING.value, files.c.uploaded_at.is_not(None)),
    order=(files.c.uploaded_at, files.c.id),
    pending=FileStatus.PENDING.value,
    processing=FileStatus.PROCESSING.value,
    failed=FileStatus.FAILED.value,
    attempts_spent=files.c.attempt - files.c.attempts_before_retry,
)


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
        attempt=row.attempt,
        rows_total=row.rows_total,
        rows_imported=row.rows_imported,
        rows_rejected=row.rows_rejected,
        duration_ms=row.duration_ms,
        error_count=row.error_count,
        errors_truncated=bool(row.errors_truncated),
        replaces=row.replaces,
        superseded_by=row.superseded_by,
        retired_at=as_utc_or_none(row.retired_at),
    )


def _with_customer() -> Select[Any]:
    return select(files, customers.c.name.label("customer_name")).join(
        customers, customers.c.id == files.c.customer_id
    )


def _errors_of(file_id: str) -> Select[Any]:
    return select(file_errors).where(file_errors.c.file_id == file_id).order_by(file_errors.c.seq)


def _cell_error(row: Any) -> CellError:
    return CellError(row.row, row.column, row.field, row.value, row.code, row.message)


def _insert_file(
    conn: Connection, record: FileRecord, uploaded: StoredObject | None = None
) -> FileRecord:
    values: dict[str, Any] = {
        "id": record.id,
        "customer_id": record.customer_id,
        "dataset_type_id": record.dataset_type_id,
        "dataset_name": record.dataset_name,
        "name": record.name,
        "file_type": record.file_type,
        "status": record.status.value,
        "upload_id": record.upload_id,
        "url_expires_at": record.url_expires_at,
        "created_at": record.created_at,
        "replaces": record.replaces,
    }
    if uploaded is not None:
        values.update(
            uploaded_at=uploaded.uploaded_at,
            object_pk=uploaded.id,
            size=uploaded.size,
            sha256=uploaded.sha256,
        )
    return _file(conn.execute(insert(files).values(**values).returning(*files.c)).one())


class FileRepository:
    """Both file ports of ``domain/ports.py`` on one table: the catalog the APIs use
    (``FileCatalog``) and the work queue the pipeline claims from (``FileQueue``)."""

    def __init__(
        self, engine: Engine, objects: ObjectRepository, expiry_grace: float = 0.0
    ) -> None:
        self._engine = engine
        self._objects = objects
        # Seconds past its URL's expiry before an unused upload is failed: with
        # S3 an upload that started in time lands only when the lander sees it.
        self._expiry_grace = timedelta(seconds=expiry_grace)

    def create(self, record: FileRecord, audit: AuditEntry) -> FileRecord:
        """Insert a new Pending file with ``audit`` (its upload URL issued), in one transaction."""
        with self._engine.begin() as conn:
            created = _insert_file(conn, record)
            insert_audit(conn, audit)
        return created

    def get(self, file_id: str) -> FileRecord | None:
        with self._engine.connect() as conn:
            row = conn.execute(select(files).where(files.c.id == file_id)).first()
        return _file(row) if row else None

    def list_files(
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

    def record_new_upload(self, new: NewObject, record: FileRecord) -> StoredObject:
        """Record a push upload whose type names a dataset type, and queue it as a file."""

        def add_file(conn: Connection, stored: StoredObject) -> None:
            _insert_file(conn, record, stored)

        return self._objects.record(new, also=add_file)

    def completed(self, customer_id: int, dataset_name: str) -> list[FileRecord]:
        query = (
            select(files)
            .where(
                files.c.customer_id == customer_id,
                files.c.dataset_name == dataset_name,
                files.c.status == FileStatus.COMPLETED.value,
            )
            .order_by(files.c.uploaded_at, files.c.id)
        )
        with self._engine.connect() as conn:
            return [_file(row) for row in conn.execute(query).all()]

    def files_for_objects(self, object_pks: list[int]) -> dict[int, FileRecord]:
        """The file of each object that has one (a validated push), by object."""
        if not object_pks:
            return {}
        with self._engine.connect() as conn:
            rows = conn.execute(select(files).where(files.c.object_pk.in_(object_pks))).all()
        return {row.object_pk: _file(row) for row in rows}

    def expire_unused(self, customer_id: int | None = None) -> int:
        """Fail Pending files whose upload URL expired before any upload arrived.

        Readers call this before every listing: a read finds that nothing is due
        (the usual case) without taking the write lock.
        """
        now = utcnow()
        due = and_(
            files.c.status == FileStatus.PENDING.value,
            files.c.uploaded_at.is_(None),
            files.c.url_expires_at < now - self._expiry_grace,
        )
        if customer_id is not None:
            due = and_(due, files.c.customer_id == customer_id)
        with self._engine.connect() as conn:
            if conn.execute(select(files.c.id).where(due).limit(1)).first() is None:
                return 0
        with self._engine.begin() as conn:
            expired = conn.execute(
                update(files)
                .where(due)
                .values(
                    status=FileStatus.FAILED.value, failure_reason=EXPIRED_UNUSED, finished_at=now
                )
                .returning(files.c.id, files.c.customer_id)
            ).all()
            if expired:
                entries = [PIPELINE.did(EXPIRE, row.id, row.customer_id) for row in expired]
                insert_audits(conn, entries)
        return len(expired)

    # -- the pipeline's work queue (FileQueue) -------------------------------------

    def claim(self, owner: str, lease_seconds: float) -> FileRecord | None:
        """Move the oldest uploaded Pending file to Processing under a new attempt."""
        with self._engine.begin() as conn:
            file_id = QUEUE.claim(conn, owner, lease_seconds)
            if file_id is None:
                return None
            row = conn.execute(select(files).where(files.c.id == file_id)).first()
        return _file(row) if row else None

    def renew(self, file_id: str, attempt: int, lease_seconds: float) -> bool:
        return QUEUE.renew(self._engine, file_id, attempt, lease_seconds)

    def complete(
        self, file_id: str, attempt: int, outcome: FileOutcome, errors: list[CellError]
    ) -> bool:
        """Commit an attempt's result; False if the attempt lost its claim (fencing).

        A Completed file that ``replaces`` another supersedes it in the same commit,
        so a reader of the catalog sees the old file or the new one, never both or
        neither; the audit log gets the new status (and the supersede) in it too.
        """
        now = utcnow()
        with self._engine.begin() as conn:
            changed = conn.execute(
                update(files)
                .where(QUEUE.fenced(file_id, attempt))
                .values(
                    status=outcome.status.value,
                    failure_reason=outcome.failure_reason,
                    rows_total=outcome.rows_total,
                    rows_imported=outcome.rows_imported,
                    rows_rejected=outcome.rows_rejected,
                    duration_ms=outcome.duration_ms,
                    error_count=outcome.error_count,
                    errors_truncated=outcome.errors_truncated,
                    finished_at=now,
                    lease_owner=None,
                    lease_expires_at=None,
                )
            ).rowcount
            if changed != 1:
                return False
            conn.execute(delete(file_errors).where(file_errors.c.file_id == file_id))
            if errors:
                conn.execute(
                    insert(file_errors),
                    [_error_row(file_id, seq, e) for seq, e in enumerate(errors)],
                )
            row = conn.execute(
                select(files.c.customer_id, files.c.replaces).where(files.c.id == file_id)
            ).one()
            action = "file.complete" if outcome.status is FileStatus.COMPLETED else "file.fail"
            insert_audit(conn, PIPELINE.did(action, file_id, row.customer_id))
            if outcome.status is FileStatus.COMPLETED and row.replaces is not None:
                _supersede(conn, row.replaces, file_id, row.customer_id, now)
        return True

    def requeue_expired(self, max_attempts: int) -> tuple[int, int]:
        """Return files whose lease expired to the queue, or fail them after max_attempts."""
        return QUEUE.requeue_expired(
            self._engine,
            max_attempts,
            f"validation did not finish in {max_attempts} attempts; "
            "the file may be too large or malformed",
        )

    def errors(self, file_id: str) -> Iterator[CellError]:
        """The stored errors of a file, in row order, streamed."""
        query = _errors_of(file_id).execution_options(yield_per=1000)
        with self._engine.connect() as conn:
            for row in conn.execute(query):
                yield _cell_error(row)

    def first_errors(self, file_id: str, limit: int) -> list[CellError]:
        with self._engine.connect() as conn:
            return [_cell_error(row) for row in conn.execute(_errors_of(file_id).limit(limit))]

    # -- the operator's view across customers (FileOversight) -------------------------

    def list_all(
        self, where: FileFilter, limit: int, after: tuple[datetime, str] | None
    ) -> list[CustomerFile]:
        """Newest first, a keyset page: each filter has an index ending in (created_at, id)."""
        query = _with_customer()
        if where.customer_id is not None:
            query = query.where(files.c.customer_id == where.customer_id)
        if where.status is not None:
            query = query.where(files.c.status == where.status.value)
        if where.dataset_name is not None:
            query = query.where(files.c.dataset_name == where.dataset_name)
        if where.since is not None:
            query = query.where(files.c.created_at >= where.since)
        if after is not None:
            # A row value, which both databases match against the index's range.
            created, file_id = after
            position = tuple_(
                literal(created, files.c.created_at.type), literal(file_id, files.c.id.type)
            )
            query = query.where(tuple_(files.c.created_at, files.c.id) < position)
        query = query.order_by(files.c.created_at.desc(), files.c.id.desc()).limit(limit)
        with self._engine.connect() as conn:
            return [CustomerFile(_file(row), row.customer_name) for row in conn.execute(query)]

    def with_customer(self, file_id: str) -> CustomerFile | None:
        with self._engine.connect() as conn:
            row = conn.execute(_with_customer().where(files.c.id == file_id)).first()
        return CustomerFile(_file(row), row.customer_name) if row else None

    def retry_failed(self, file_id: str, audit: AuditEntry) -> bool:
        """Send an uploaded Failed file back to the queue, with ``audit``, in one transaction.

        Its outcome and errors are cleared; ``attempt`` stays (the fencing token: a
        worker of an old attempt can never commit) and the retry budget counts from it.
        """
        with self._engine.begin() as conn:
            changed = conn.execute(
                update(files)
                .where(
                    files.c.id == file_id,
                    files.c.status == FileStatus.FAILED.value,
                    files.c.object_pk.is_not(None),
                    files.c.uploaded_at.is_not(None),
                )
                .values(
                    status=FileStatus.PENDING.value,
                    failure_reason=None,
                    started_at=None,
                    finished_at=None,
                    lease_owner=None,
                    lease_expires_at=None,
                    attempts_before_retry=files.c.attempt,
                    rows_total=None,
                    rows_imported=None,
                    rows_rejected=None,
                    duration_ms=None,
                    error_count=0,
                    errors_truncated=False,
                )
            ).rowcount
            if changed != 1:
                return False
            conn.execute(delete(file_errors).where(file_errors.c.file_id == file_id))
            insert_audit(conn, audit)
        return True

    # -- replace and retract (SPEC §4) ------------------------------------------------

    def replacement_in_flight(self, file_id: str) -> str | None:
        """The id of a Pending or Processing file that already replaces ``file_id``."""
        query = select(files.c.id).where(
            files.c.replaces == file_id,
            files.c.status.in_([FileStatus.PENDING.value, FileStatus.PROCESSING.value]),
        )
        with self._engine.connect() as conn:
            return conn.execute(query.limit(1)).scalar()

    def retract(self, file_id: str, customer_id: int | None, audit: AuditEntry) -> bool:
        """Mark the file Deleted (and its object), with ``audit``, in one transaction.

        False when there is no such file (of ``customer_id``, unless None) or it was
        already Deleted. Its rows and bytes are removed after the commit
        (``purge_pending``); a worker validating it finds its commit refused.
        """
        now = utcnow()
        query = update(files).where(
            files.c.id == file_id, files.c.status != FileStatus.DELETED.value
        )
        if customer_id is not None:
            query = query.where(files.c.customer_id == customer_id)
        with self._engine.begin() as conn:
            changed = conn.execute(query.values(**_retiring(FileStatus.DELETED, now))).rowcount
            if changed != 1:
                return False
            object_pk = select(files.c.object_pk).where(files.c.id == file_id).scalar_subquery()
            conn.execute(
                update(objects)
                .where(objects.c.id == object_pk, objects.c.deleted_at.is_(None))
                .values(deleted_at=now)
            )
            insert_audit(conn, audit)
        return True

    def retired(self, file_id: str) -> RetiredFile | None:
        """The file, if it is retired and its purge is still to be done."""
        rows = self._retired(files.c.id == file_id, 1)
        return rows[0] if rows else None

    def pending_purges(self, limit: int) -> list[RetiredFile]:
        return self._retired(true(), limit)

    def purged(self, file_id: str) -> None:
        with self._engine.begin() as conn:
            conn.execute(update(files).where(files.c.id == file_id).values(purge_pending=False))

    def _retired(self, where: ColumnElement[bool], limit: int) -> list[RetiredFile]:
        query = (
            select(files, customers.c.name.label("customer_name"), objects.c.storage_id)
            .select_from(
                files.join(customers, customers.c.id == files.c.customer_id).outerjoin(
                    objects, objects.c.id == files.c.object_pk
                )
            )
            .where(files.c.purge_pending.is_(True), where)
            .limit(limit)
        )
        with self._engine.connect() as conn:
            return [
                RetiredFile(_file(row), row.customer_name, row.storage_id)
                for row in conn.execute(query)
            ]


def _error_row(file_id: str, seq: int, error: CellError) -> dict[str, Any]:
    return {
        "file_id": file_id,
        "seq": seq,
        "row": error.row,
        "column": error.column,
        "field": error.field,
        "value": error.value,
        "code": error.code,
        "message": error.message[:1024],
    }


def _retiring(status: FileStatus, now: datetime) -> dict[str, Any]:
    """A file leaving analytics: its new status, and its leftovers marked for the purge.
    A worker still holding it loses its lease (its fenced commit is refused)."""
    return {
        "status": status.value,
        "retired_at": now,
        "purge_pending": True,
        "lease_owner": None,
        "lease_expires_at": None,
    }


def _supersede(conn: Connection, old_id: str, new_id: str, customer_id: int, now: datetime) -> None:
    """Retire ``old_id`` for its replacement ``new_id`` (unless already retired)."""
    changed = conn.execute(
        update(files)
        .where(
            files.c.id == old_id,
            files.c.customer_id == customer_id,
            files.c.status.not_in([FileStatus.SUPERSEDED.value, FileStatus.DELETED.value]),
        )
        .values(superseded_by=new_id, **_retiring(FileStatus.SUPERSEDED, now))
    ).rowcount
    if changed == 1:
        insert_audit(conn, PIPELINE.did("file.supersede", old_id, customer_id))
