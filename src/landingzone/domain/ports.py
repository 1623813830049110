"""What the domain and the pipeline need from the metadata and object stores, per role.

``db/`` and ``storage/`` provide the implementations. Each port is what one role
uses: the file catalog serves the APIs and use-cases, the work queues serve the
pipeline runner, so neither sees the other's methods.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import BinaryIO, Protocol

from landingzone.domain.audit import AuditEntry, AuditFilter, AuditRecord
from landingzone.domain.listings import (
    CustomerFile,
    FileFilter,
    SubmissionEntry,
    SubmissionFilter,
)
from landingzone.domain.models import (
    App,
    Client,
    Customer,
    DatasetTypeVersion,
    FileOutcome,
    FileRecord,
    FileStatus,
    NewObject,
    NewSubmission,
    StoredObject,
    Submission,
    SubmissionOutcome,
)
from landingzone.validation.report import CellError
from landingzone.validation.schema import DatasetType


class UploadAlreadyUsed(Exception):
    """The signed URL's upload id has already produced an object."""


class Tenants(Protocol):
    def create_customer(self, name: str, timezone: str) -> Customer: ...
    def get_customer(self, customer_id: int) -> Customer | None: ...
    def get_customer_by_name(self, name: str) -> Customer | None: ...
    def list_customers(self) -> list[Customer]: ...
    def count_customers(self) -> int: ...
    def create_app(self, customer_id: int, app_id: str) -> App: ...
    def get_app(self, customer_id: int, app_id: str) -> App | None: ...
    def get_app_with_customer(
        self, customer_id: int, app_id: str
    ) -> tuple[App, Customer] | None: ...
    def list_apps(self, customer_id: int | None = None) -> list[App]: ...
    def create_client(
        self,
        customer_id: int,
        client_id: str,
        secret_hash: str,
        api_key_hash: str,
        scopes: list[str],
    ) -> Client: ...
    def get_client(self, client_id: str) -> Client | None: ...
    def list_clients(self, customer_id: int | None = None) -> list[Client]: ...
    def disable_client(self, client_id: str) -> Client | None: ...


class AuditTrail(Protocol):
    """The audit log: entries on their own, and the log read newest first.

    A change's own entry is not written here but by the repository method making
    the change, in its transaction (``db/audit.py``'s ``insert_audit``).
    """

    def record(self, entry: AuditEntry) -> None: ...
    def entries(
        self, where: AuditFilter, limit: int, before_id: int | None
    ) -> list[AuditRecord]: ...


class ObjectCatalog(Protocol):
    def upload_used(self, upload_id: str) -> bool: ...
    def by_upload_id(self, upload_id: str) -> StoredObject | None: ...
    def record(self, new: NewObject) -> StoredObject: ...
    def list_for_app(
        self, app_pk: int, limit: int, before_id: int | None
    ) -> list[StoredObject]: ...
    def known_storage_ids(self, candidates: list[str]) -> set[str]: ...
    def get(self, object_pk: int) -> StoredObject | None: ...


class DatasetCatalog(Protocol):
    def add(self, dataset: DatasetType, audit: AuditEntry | None = None) -> DatasetTypeVersion:
        """The next version of ``dataset``'s name (``audit`` commits with it); AlreadyExists
        when the newest version is this very definition."""
        ...

    def latest(self, name: str) -> DatasetTypeVersion | None: ...
    def get(self, version_id: int) -> DatasetTypeVersion | None: ...
    def list_latest(self) -> list[DatasetTypeVersion]: ...
    def names(self) -> set[str]: ...
    def versions(self, name: str) -> list[DatasetTypeVersion]:
        """Every version of ``name``, newest first (none: an unknown name)."""
        ...


class FileCatalog(Protocol):
    """The Files API's files: what the APIs and use-cases create, record and read."""

    def create(self, record: FileRecord) -> FileRecord: ...
    def get(self, file_id: str) -> FileRecord | None: ...
    def list_files(
        self,
        customer_id: int,
        limit: int,
        status: FileStatus | None = None,
        dataset_name: str | None = None,
        before: tuple[datetime, str] | None = None,
    ) -> list[FileRecord]: ...
    def record_upload(self, new: NewObject, file_id: str) -> StoredObject: ...
    def record_new_upload(self, new: NewObject, record: FileRecord) -> StoredObject: ...
    def files_for_objects(self, object_pks: list[int]) -> dict[int, FileRecord]: ...
    def completed(self, customer_id: int, dataset_name: str) -> list[FileRecord]: ...
    # A reader expires its customer's unused uploads first, so it never shows one
    # Pending after its URL expired (the reconciler may not have run yet).
    def expire_unused(self, customer_id: int | None = None) -> int: ...
    def errors(self, file_id: str) -> Iterator[CellError]: ...
    def first_errors(self, file_id: str, limit: int) -> list[CellError]: ...


class FileQueue(Protocol):
    """Uploaded files as the pipeline's work: claimed under a lease, committed fenced."""

    def claim(self, owner: str, lease_seconds: float) -> FileRecord | None: ...
    def renew(self, file_id: str, attempt: int, lease_seconds: float) -> bool: ...
    def complete(
        self, file_id: str, attempt: int, outcome: FileOutcome, errors: list[CellError]
    ) -> bool: ...
    def requeue_expired(self, max_attempts: int) -> tuple[int, int]: ...
    def expire_unused(self) -> int: ...


class SubmissionCatalog(Protocol):
    def create(self, new: NewSubmission) -> Submission: ...
    def get(self, token: str) -> Submission | None: ...
    def name_exists(self, customer_id: int, name: str) -> bool: ...


class SubmissionQueue(Protocol):
    """Upload API submissions as the pipeline's work: claimed under a lease, committed fenced."""

    def claim(self, owner: str, lease_seconds: float) -> Submission | None: ...
    def renew(self, token: str, attempt: int, lease_seconds: float) -> bool: ...
    def complete(self, submission: Submission, outcome: SubmissionOutcome) -> bool: ...
    def requeue_expired(self, max_attempts: int) -> tuple[int, int]: ...


class SubmissionStore(Protocol):
    """What the Upload API and its processing need of the object store: the submitted
    bodies and the JSON outputs, each under a storage id the store chooses."""

    def put(self, source: BinaryIO) -> str: ...
    def open(self, storage_id: str) -> BinaryIO: ...
    def local_path(self, storage_id: str) -> Path | None:
        """The object as a local file, when the backend keeps it on this machine."""
        ...

    def delete(self, storage_id: str) -> None: ...


class UploadUrlSigner(Protocol):
    """Issues upload URLs: the embedded store's own, or an S3 store's pre-signed ones."""

    def presign_put(self, key: str, expires_at: int, upload_id: str | None = None) -> str: ...


class FileOversight(Protocol):
    """Every customer's files as an operator sees them: listed, read, sent back to validation."""

    def list_all(
        self, where: FileFilter, limit: int, after: tuple[datetime, str] | None
    ) -> list[CustomerFile]:
        """Up to ``limit`` files newest first, created before ``after`` (created_at, id)."""
        ...

    def with_customer(self, file_id: str) -> CustomerFile | None: ...
    def first_errors(self, file_id: str, limit: int) -> list[CellError]: ...
    def expire_unused(self, customer_id: int | None = None) -> int: ...
    def retry_failed(self, file_id: str, audit: AuditEntry) -> bool:
        """Send an uploaded Failed file back to Pending, its outcome cleared and a fresh
        attempt budget, with ``audit`` in the same transaction; False if it was not one."""
        ...


class SubmissionOversight(Protocol):
    """Every customer's Upload API submissions as an operator sees them."""

    def list_all(
        self, where: SubmissionFilter, limit: int, after: tuple[datetime, int] | None
    ) -> list[SubmissionEntry]:
        """Up to ``limit`` submissions newest first, created before ``after`` (created_at, id)."""
        ...
