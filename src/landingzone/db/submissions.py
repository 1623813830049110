"""The Upload API catalog: submission Names, submissions, and the pipeline's claims on them."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Engine, and_, insert, literal, select, tuple_, union, update
from sqlalchemy.exc import IntegrityError

from landingzone.db.leases import LeasedQueue
from landingzone.db.tables import customers, submission_names, submissions
from landingzone.domain.listings import SubmissionEntry, SubmissionFilter
from landingzone.domain.models import (
    NewSubmission,
    Submission,
    SubmissionOutcome,
    SubmissionStatus,
)
from landingzone.errors import NameTaken
from landingzone.timeutil import as_utc, as_utc_or_none, utcnow

_COLUMNS = (*submissions.c, submission_names.c.name)
_JOINED = submissions.join(submission_names, submission_names.c.id == submissions.c.name_id)
# The pipeline's queue: pending submissions, oldest first.
QUEUE = LeasedQueue(
    table=submissions,
    key=submissions.c.token,
    waiting=submissions.c.status == SubmissionStatus.PENDING.value,
    order=(submissions.c.id,),
    pending=SubmissionStatus.PENDING.value,
    processing=SubmissionStatus.PROCESSING.value,
    failed=SubmissionStatus.FAILED.value,
)


def _submission(row: Any) -> Submission:
    return Submission(
        id=row.id,
        token=row.token,
        customer_id=row.customer_id,
        client_id=row.client_id,
        name=row.name,
        status=SubmissionStatus(row.status),
        data_time_zone=row.data_time_zone,
        event_time_zone=row.event_time_zone,
        data_storage_id=row.data_storage_id,
        events_storage_id=row.events_storage_id,
        feedback_storage_id=row.feedback_storage_id,
        data_sha256=row.data_sha256,
        events_sha256=row.events_sha256,
        results_storage_id=row.results_storage_id,
        failure_reason=row.failure_reason,
        replaced_by=row.replaced_by,
        attempt=row.attempt,
        created_at=as_utc(row.created_at),
    )


class SubmissionRepository:
    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def create(self, new: NewSubmission) -> Submission:
        """Record a submission; NameTaken if its Name exists and ``overwrite`` is false."""
        now = utcnow()
        with self._engine.begin() as conn:
            name_id = conn.execute(
                select(submission_names.c.id).where(
                    submission_names.c.customer_id == new.customer_id,
                    submission_names.c.name == new.name,
                )
            ).scalar()
            if name_id is not None and not new.overwrite:
                raise NameTaken(new.name)
            if name_id is None:
                try:
                    with conn.begin_nested():
                        name_id = conn.execute(
                            insert(submission_names)
                            .values(customer_id=new.customer_id, name=new.name, created_at=now)
                            .returning(submission_names.c.id)
                        ).scalar_one()
                except IntegrityError:
                    # A concurrent UploadData claimed the Name between our read and insert.
                    if not new.overwrite:
                        raise NameTaken(new.name) from None
                    name_id = conn.execute(
                        select(submission_names.c.id).where(
                            submission_names.c.customer_id == new.customer_id,
                            submission_names.c.name == new.name,
                        )
                    ).scalar_one()
            row_id = conn.execute(
                insert(submissions)
                .values(
                    token=new.token,
                    name_id=name_id,
                    customer_id=new.customer_id,
                    client_id=new.client_id,
                    status=SubmissionStatus.PENDING.value,
                    data_time_zone=new.data_time_zone,
                    event_time_zone=new.event_time_zone,
                    data_storage_id=new.data_storage_id,
                    events_storage_id=new.events_storage_id,
                    data_sha256=new.data_sha256,
                    events_sha256=new.events_sha256,
                    created_at=now,
                )
                .returning(submissions.c.id)
            ).scalar_one()
            row = conn.execute(select(*_COLUMNS).select_from(_JOINED).where(
                submissions.c.id == row_id
            )).one()  # fmt: skip
        return _submission(row)

    def name_exists(self, customer_id: int, name: str) -> bool:
        with self._engine.connect() as conn:
            found = conn.execute(
                select(submission_names.c.id).where(
                    submission_names.c.customer_id == customer_id,
                    submission_names.c.name == name,
                )
            ).first()
        return found is not None

    def get(self, token: str) -> Submission | None:
        with self._engine.connect() as conn:
            row = conn.execute(
                select(*_COLUMNS).select_from(_JOINED).where(submissions.c.token == token)
            ).first()
        return _submission(row) if row else None

    def known_storage_ids(self, candidates: list[str]) -> set[str]:
        """Which of ``candidates`` a submission refers to (so cleanup keeps them)."""
        if not candidates:
            return set()
        columns = (
            submissions.c.data_storage_id,
            submissions.c.events_storage_id,
            submissions.c.feedback_storage_id,
            submissions.c.results_storage_id,
        )
        query = union(*(select(column).where(column.in_(candidates)) for column in columns))
        with self._engine.connect() as conn:
            return set(conn.execute(query).scalars())

    # -- the pipeline's claims ------------------------------------------------------

    def claim(self, owner: str, lease_seconds: float) -> Submission | None:
        """Move the oldest pending submission to processing under a new attempt."""
        with self._engine.begin() as conn:
            token = QUEUE.claim(conn, owner, lease_seconds)
            if token is None:
                return None
            row = conn.execute(
                select(*_COLUMNS).select_from(_JOINED).where(submissions.c.token == token)
            ).first()
        return _submission(row) if row else None

    def renew(self, token: str, attempt: int, lease_seconds: float) -> bool:
        return QUEUE.renew(self._engine, token, attempt, lease_seconds)

    def complete(self, submission: Submission, outcome: SubmissionOutcome) -> bool:
        """Commit an attempt's result, fenced; a success replaces the Name's earlier results.

        In one transaction: the submission gets its status, and if it completed
        successfully every earlier completed submission of the same Name is marked
        replaced by it (or it is itself marked replaced, if a later one already
        completed). Readers therefore see the old results or the new, never neither.
        """
        with self._engine.begin() as conn:
            changed = conn.execute(
                update(submissions)
                .where(QUEUE.fenced(submission.token, submission.attempt))
                .values(
                    status=outcome.status.value,
                    feedback_storage_id=outcome.feedback_storage_id,
                    results_storage_id=outcome.results_storage_id,
                    failure_reason=outcome.failure_reason,
                    data_rows=outcome.data_rows,
                    event_rows=outcome.event_rows,
                    error_count=outcome.error_count,
                    finished_at=utcnow(),
                    lease_owner=None,
                    lease_expires_at=None,
                )
            ).rowcount
            if changed != 1:
                return False
            if outcome.status is not SubmissionStatus.COMPLETED:
                return True
            name_id = (
                select(submissions.c.name_id)
                .where(submissions.c.token == submission.token)
                .scalar_subquery()
            )
            completed = and_(
                submissions.c.name_id == name_id,
                submissions.c.status == SubmissionStatus.COMPLETED.value,
                submissions.c.replaced_by.is_(None),
            )
            newer = conn.execute(
                select(submissions.c.token)
                .where(completed, submissions.c.id > submission.id)
                .order_by(submissions.c.id.desc())
                .limit(1)
            ).scalar()
            if newer is not None:
                conn.execute(
                    update(submissions)
                    .where(submissions.c.token == submission.token)
                    .values(replaced_by=newer)
                )
            else:
                conn.execute(
                    update(submissions)
                    .where(completed, submissions.c.id < submission.id)
                    .values(replaced_by=submission.token)
                )
        return True

    def requeue_expired(self, max_attempts: int) -> tuple[int, int]:
        """Return submissions whose lease expired to the queue, or fail them after retries."""
        return QUEUE.requeue_expired(
            self._engine, max_attempts, f"processing did not finish in {max_attempts} attempts"
        )

    # -- the operator's view across customers (SubmissionOversight) --------------------

    def list_all(
        self, where: SubmissionFilter, limit: int, after: tuple[datetime, int] | None
    ) -> list[SubmissionEntry]:
        """Newest first, a keyset page: each filter has an index ending in (created_at, id)."""
        query = select(
            *submissions.c, submission_names.c.name, customers.c.name.label("customer_name")
        ).select_from(_JOINED.join(customers, customers.c.id == submissions.c.customer_id))
        if where.customer_id is not None:
            query = query.where(submissions.c.customer_id == where.customer_id)
        if where.status is not None:
            query = query.where(submissions.c.status == where.status.value)
        if where.since is not None:
            query = query.where(submissions.c.created_at >= where.since)
        if after is not None:
            created, row_id = after
            query = query.where(
                tuple_(submissions.c.created_at, submissions.c.id)
                < tuple_(
                    literal(created, submissions.c.created_at.type),
                    literal(row_id, submissions.c.id.type),
                )
            )
        query = query.order_by(submissions.c.created_at.desc(), submissions.c.id.desc())
        with self._engine.connect() as conn:
            return [_entry(row) for row in conn.execute(query.limit(limit))]


def _entry(row: Any) -> SubmissionEntry:
    return SubmissionEntry(
        id=row.id,
        token=row.token,
        customer=row.customer_name,
        name=row.name,
        client_id=row.client_id,
        status=SubmissionStatus(row.status),
        failure_reason=row.failure_reason,
        replaced_by=row.replaced_by,
        data_rows=row.data_rows,
        event_rows=row.event_rows,
        error_count=row.error_count,
        created_at=as_utc(row.created_at),
        started_at=as_utc_or_none(row.started_at),
        finished_at=as_utc_or_none(row.finished_at),
    )
