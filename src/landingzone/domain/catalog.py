"""The operator's view of every customer's files and Upload API submissions (SPEC §9).

`/admin/v1/files`, `/admin/v1/submissions` and `landingzone admin file ...` call these
use-cases: list across customers with filters, newest first, a keyset page at a time
(fast however large the catalog); read one file; send a Failed file back to validation.
A retry is audited as ``file.retry`` in the transaction that makes it.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable
from datetime import datetime
from typing import TypeVar

from landingzone.domain.audit import CLI, Actor
from landingzone.domain.files import RETRACT
from landingzone.domain.listings import (
    CustomerFile,
    FileFilter,
    SubmissionEntry,
    SubmissionFilter,
)
from landingzone.domain.models import FileRecord, FileStatus, SubmissionStatus
from landingzone.domain.paging import DEFAULT_PAGE, Page, check_limit
from landingzone.domain.ports import DatasetCatalog, FileOversight, SubmissionOversight, Tenants
from landingzone.domain.retirement import FileRetirement
from landingzone.errors import InvalidCursor, InvalidInput, NotFound, WrongState
from landingzone.timeutil import as_utc, utcnow
from landingzone.validation.report import CellError

INLINE_ERRORS = 100  # as GET /analytics/files/{id}
RETRY = "file.retry"
FILE_CURSOR = "files"
SUBMISSION_CURSOR = "submissions"

Key = TypeVar("Key", str, int)


def keyset_cursor(kind: str, created_at: datetime, key: str | int) -> str:
    """The cursor after an item of a listing ordered by (created_at, key), newest first."""
    raw = f"{kind}:{as_utc(created_at).isoformat()}|{key}"
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def keyset_after(kind: str, cursor: str, key: Callable[[str], Key]) -> tuple[datetime, Key]:
    """The (created_at, key) ``cursor`` names; InvalidCursor unless a ``kind`` listing made it."""
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        prefix, _, rest = raw.partition(":")
        created, _, value = rest.partition("|")
        if prefix != kind or not value:
            raise ValueError(raw)
        return as_utc(datetime.fromisoformat(created)), key(value)
    except (ValueError, binascii.Error, UnicodeDecodeError):
        raise InvalidCursor() from None


def parse_since(text: str) -> datetime:
    """An ISO 8601 date or time (UTC unless it says otherwise)."""
    try:
        return as_utc(datetime.fromisoformat(text.strip()))
    except ValueError:
        raise InvalidInput(
            f"Invalid since '{text}': use an ISO 8601 date or time such as 2026-11-01 "
            "or 2026-11-01T12:00:00Z."
        ) from None


def parse_choice(kind: type[FileStatus] | type[SubmissionStatus], value: str) -> str:
    choices = [member.value for member in kind]
    if value not in choices:
        raise InvalidInput(f"Invalid status '{value}': use one of {', '.join(choices)}.")
    return value


class CatalogService:
    def __init__(
        self,
        tenants: Tenants,
        datasets: DatasetCatalog,
        files: FileOversight,
        submissions: SubmissionOversight,
        retirement: FileRetirement,
    ) -> None:
        self._tenants = tenants
        self._datasets = datasets
        self._files = files
        self._submissions = submissions
        self._retirement = retirement

    # -- files -----------------------------------------------------------------------

    def list_files(
        self,
        limit: int = DEFAULT_PAGE,
        customer: str | None = None,
        status: str | None = None,
        dataset_type: str | None = None,
        since: str | None = None,
        cursor: str | None = None,
    ) -> Page[CustomerFile]:
        """Every customer's files, newest first; unknown customer or dataset type: NotFound."""
        check_limit(limit)
        where = FileFilter(
            customer_id=self._customer_id(customer),
            status=FileStatus(parse_choice(FileStatus, status)) if status is not None else None,
            dataset_name=self._dataset_name(dataset_type),
            since=parse_since(since) if since is not None else None,
        )
        after = keyset_after(FILE_CURSOR, cursor, str) if cursor else None
        # As the customer's own listing: no upload shows Pending after its URL expired.
        self._files.expire_unused(where.customer_id)
        found = self._files.list_all(where, limit + 1, after)
        last = found[limit - 1].file if len(found) > limit else None
        return Page(
            found[:limit], keyset_cursor(FILE_CURSOR, last.created_at, last.id) if last else None
        )

    def file(self, file_id: str) -> CustomerFile:
        found = self._files.with_customer(file_id)
        if found is None:
            raise NotFound(f"No file with id '{file_id}'.")
        if _expired_unused(found.file):
            self._files.expire_unused(found.file.customer_id)
            found = self._files.with_customer(file_id) or found
        return found

    def first_errors(self, file_id: str, limit: int = INLINE_ERRORS) -> list[CellError]:
        return self._files.first_errors(file_id, limit)

    def retry_file(self, file_id: str, actor: Actor = CLI) -> CustomerFile:
        """Send a Failed file back to Pending: the pipeline validates it again from scratch.

        WrongState (409) for a file that is not Failed, or that failed before any
        upload arrived (there is nothing to validate; the customer asks for a new URL).
        """
        found = self.file(file_id)
        _check_retryable(found.file)
        entry = actor.did(RETRY, file_id, found.file.customer_id)
        if not self._files.retry_failed(file_id, entry):
            _check_retryable(self.file(file_id).file)  # changed meanwhile: say how
            raise WrongState(f"File '{file_id}' changed while being retried; try again.")
        return self.file(file_id)

    def retract_file(self, file_id: str, actor: Actor = CLI) -> CustomerFile:
        """Retract any customer's file (SPEC §4): status Deleted, rows and bytes removed.

        Retracting a Deleted file again answers it unchanged (no second audit row).
        """
        found = self.file(file_id)
        entry = actor.did(RETRACT, file_id, found.file.customer_id)
        if self._files.retract(file_id, None, entry):
            self._retirement.purge(file_id)
        return self.file(file_id)

    # -- submissions -------------------------------------------------------------------

    def list_submissions(
        self,
        limit: int = DEFAULT_PAGE,
        customer: str | None = None,
        status: str | None = None,
        since: str | None = None,
        cursor: str | None = None,
    ) -> Page[SubmissionEntry]:
        """Every customer's Upload API submissions, newest first."""
        check_limit(limit)
        where = SubmissionFilter(
            customer_id=self._customer_id(customer),
            status=SubmissionStatus(parse_choice(SubmissionStatus, status))
            if status is not None
            else None,
            since=parse_since(since) if since is not None else None,
        )
        after = keyset_after(SUBMISSION_CURSOR, cursor, int) if cursor else None
        found = self._submissions.list_all(where, limit + 1, after)
        last = found[limit - 1] if len(found) > limit else None
        return Page(
            found[:limit],
            keyset_cursor(SUBMISSION_CURSOR, last.created_at, last.id) if last else None,
        )

    # -- filters -------------------------------------------------------------------------

    def _customer_id(self, name: str | None) -> int | None:
        if name is None:
            return None
        customer = self._tenants.get_customer_by_name(name)
        if customer is None:
            raise NotFound(f"No customer named '{name}'; see 'landingzone admin customer list'.")
        return customer.id

    def _dataset_name(self, name: str | None) -> str | None:
        if name is not None and self._datasets.latest(name) is None:
            raise NotFound(f"No dataset type named '{name}'; see 'landingzone admin dataset list'.")
        return name


def _expired_unused(record: FileRecord) -> bool:
    return (
        record.status is FileStatus.PENDING
        and record.uploaded_at is None
        and record.url_expires_at < utcnow()
    )


def _check_retryable(record: FileRecord) -> None:
    if record.status is not FileStatus.FAILED:
        raise WrongState(
            f"File '{record.id}' is {record.status.value}: only a Failed file can be retried."
        )
    if record.object_pk is None or record.uploaded_at is None:
        raise WrongState(
            f"File '{record.id}' failed before its upload arrived ({record.failure_reason}): "
            "there is nothing to validate; the customer asks for a new upload URL."
        )
