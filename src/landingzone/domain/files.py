"""Files API use-cases (SPEC §4, seed 003): one-hour upload URLs, status and listing.

Validation of uploaded files and their statistics and errors come with the
pipeline; until then an uploaded file stays Pending (uploaded and queued).
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta

from landingzone.auth.signing import new_upload_id
from landingzone.domain.audit import ISSUE_URLS, Actor
from landingzone.domain.keys import FilesKey
from landingzone.domain.models import FileRecord, FileStatus
from landingzone.domain.names import filename_problem, normalize_filename
from landingzone.domain.paging import check_limit
from landingzone.domain.ports import DatasetCatalog, FileCatalog, Tenants, UploadUrlSigner
from landingzone.domain.retirement import FileRetirement
from landingzone.errors import (
    InvalidCursor,
    InvalidFileName,
    InvalidInput,
    InvalidReplacement,
    NotFound,
    UnknownDatasetType,
    UnsupportedFileType,
    WrongState,
)
from landingzone.timeutil import as_utc, utcnow
from landingzone.validation.report import CellError

SUPPORTED_FILE_TYPES = ("csv",)
RETRACT = "file.retract"
INLINE_ERRORS = 100


@dataclass(frozen=True)
class IssuedFile:
    file: FileRecord
    upload_url: str


@dataclass(frozen=True)
class FilesPage:
    items: list[FileRecord]
    next_cursor: str | None


def encode_cursor(record: FileRecord) -> str:
    raw = f"f:{record.created_at.isoformat()}|{record.id}"
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[datetime, str]:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        prefix, _, rest = raw.partition(":")
        created, _, file_id = rest.partition("|")
        if prefix != "f" or not file_id:
            raise ValueError(raw)
        return as_utc(datetime.fromisoformat(created)), file_id
    except (ValueError, binascii.Error, UnicodeDecodeError):
        raise InvalidCursor() from None


class FilesService:
    def __init__(
        self,
        tenants: Tenants,
        datasets: DatasetCatalog,
        catalog: FileCatalog,
        signer: UploadUrlSigner,
        url_ttl: int,
        retirement: FileRetirement,
    ) -> None:
        self._tenants = tenants
        self._datasets = datasets
        self._catalog = catalog
        self._signer = signer
        self._url_ttl = url_ttl
        self._retirement = retirement

    def create(
        self,
        customer_id: int,
        dataset_type: str,
        name: str,
        file_type: str,
        actor: Actor,
        replaces: str | None = None,
    ) -> IssuedFile:
        dataset = self._datasets.latest(dataset_type)
        if dataset is None:
            raise UnknownDatasetType(dataset_type, sorted(self._datasets.names()))
        problem = filename_problem(name)
        if problem:
            raise InvalidFileName(name, problem)
        if file_type.lower() not in SUPPORTED_FILE_TYPES:
            raise UnsupportedFileType(file_type, SUPPORTED_FILE_TYPES)
        customer = self._tenants.get_customer(customer_id)
        if customer is None:
            raise NotFound("Unknown customer.")
        if replaces is not None:
            self._check_replaceable(customer_id, dataset.dataset.name, replaces)
        expires = (utcnow() + timedelta(seconds=self._url_ttl)).replace(microsecond=0)
        record = FileRecord.pending(
            customer_id, dataset, normalize_filename(name), file_type.lower(), new_upload_id(),
            expires, replaces,
        )  # fmt: skip
        stored = self._catalog.create(record, actor.did(ISSUE_URLS, record.id, customer_id))
        key = FilesKey(customer.name, stored.id, stored.name).render()
        url = self._signer.presign_put(
            key, int(stored.url_expires_at.timestamp()), stored.upload_id
        )
        return IssuedFile(file=stored, upload_url=url)

    def get(self, customer_id: int, file_id: str) -> FileRecord:
        record = self._catalog.get(file_id)
        if record is None or record.customer_id != customer_id:
            raise NotFound(f"No file with id '{file_id}'.")
        if self._expired_unused(record):
            self._catalog.expire_unused(customer_id)
            record = self._catalog.get(file_id) or record
        return record

    def list_files(
        self,
        customer_id: int,
        limit: int,
        status: str | None,
        dataset_type: str | None,
        cursor: str | None,
    ) -> FilesPage:
        check_limit(limit)
        wanted: FileStatus | None = None
        if status is not None:
            try:
                wanted = FileStatus(status)
            except ValueError:
                choices = ", ".join(s.value for s in FileStatus)
                raise InvalidInput(f"Invalid status '{status}': use one of {choices}.") from None
        before = decode_cursor(cursor) if cursor else None
        self._catalog.expire_unused(customer_id)
        items = self._catalog.list_files(customer_id, limit + 1, wanted, dataset_type, before)
        next_cursor = encode_cursor(items[limit - 1]) if len(items) > limit else None
        return FilesPage(items=items[:limit], next_cursor=next_cursor)

    def retract(self, customer_id: int, file_id: str, actor: Actor) -> FileRecord:
        """Retract a file (SPEC §4): status Deleted, its rows and bytes removed, the row kept.

        Retracting a Deleted file again answers the same record (DELETE is idempotent).
        """
        record = self.get(customer_id, file_id)
        if self._catalog.retract(file_id, customer_id, actor.did(RETRACT, file_id, customer_id)):
            self._retirement.purge(file_id)
        return self._catalog.get(record.id) or record

    def _check_replaceable(self, customer_id: int, dataset_type: str, file_id: str) -> None:
        """Refuse a ``replaces`` naming a file that cannot be replaced, saying why."""
        old = self._catalog.get(file_id)
        if old is None or old.customer_id != customer_id:
            # Another customer's file is as unknown as a missing one.
            raise InvalidReplacement(f"Invalid replaces: no file with id '{file_id}'.")
        if old.dataset_name != dataset_type:
            raise InvalidReplacement(
                f"Invalid replaces: file '{file_id}' is a '{old.dataset_name}' file; a "
                f"'{dataset_type}' file cannot replace it. Use datasetType "
                f"'{old.dataset_name}' or leave out replaces."
            )
        if old.status is FileStatus.SUPERSEDED:
            newer = self._catalog.get(old.superseded_by) if old.superseded_by else None
            if newer is not None and newer.status is FileStatus.DELETED:
                raise WrongState(
                    f"File '{file_id}' was replaced by '{newer.id}', which was retracted "
                    "since: upload the file without replaces."
                )
            raise WrongState(
                f"File '{file_id}' was already replaced by '{old.superseded_by}': "
                "replace that file instead."
            )
        if old.status is FileStatus.DELETED:
            raise WrongState(f"File '{file_id}' was retracted: upload the file without replaces.")
        in_flight = self._catalog.replacement_in_flight(file_id)
        if in_flight is not None:
            raise WrongState(
                f"File '{in_flight}' already replaces '{file_id}' and is not finished: "
                "wait for it (or retract it) before sending another replacement."
            )

    def first_errors(self, file_id: str, limit: int = INLINE_ERRORS) -> list[CellError]:
        return self._catalog.first_errors(file_id, limit)

    def all_errors(self, file_id: str) -> Iterator[CellError]:
        return self._catalog.errors(file_id)

    @staticmethod
    def _expired_unused(record: FileRecord) -> bool:
        return (
            record.status is FileStatus.PENDING
            and record.uploaded_at is None
            and record.url_expires_at < utcnow()
        )
