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
from landingzone.domain.keys import FilesKey
from landingzone.domain.models import FileRecord, FileStatus
from landingzone.domain.names import filename_problem, normalize_filename
from landingzone.domain.paging import check_limit
from landingzone.domain.ports import DatasetCatalog, FileCatalog, Tenants, UploadUrlSigner
from landingzone.errors import (
    InvalidCursor,
    InvalidFileName,
    InvalidInput,
    NotFound,
    UnknownDatasetType,
    UnsupportedFileType,
)
from landingzone.timeutil import as_utc, utcnow
from landingzone.validation.report import CellError

SUPPORTED_FILE_TYPES = ("csv",)
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
    ) -> None:
        self._tenants = tenants
        self._datasets = datasets
        self._catalog = catalog
        self._signer = signer
        self._url_ttl = url_ttl

    def create(self, customer_id: int, dataset_type: str, name: str, file_type: str) -> IssuedFile:
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
        expires = (utcnow() + timedelta(seconds=self._url_ttl)).replace(microsecond=0)
        record = FileRecord.pending(
            customer_id, dataset, normalize_filename(name), file_type.lower(), new_upload_id(),
            expires,
        )  # fmt: skip
        stored = self._catalog.create(record)
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
