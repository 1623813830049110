"""Plain records the domain works with; the database layer maps rows to these."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from landingzone.timeutil import utcnow
from landingzone.validation.schema import DatasetType


@dataclass(frozen=True)
class Customer:
    id: int
    name: str
    timezone: str
    created_at: datetime
    # Set by `PATCH /admin/v1/customers/{name}` with "disabled": true: the customer's
    # clients get no tokens and their tokens are refused (SPEC §9).
    disabled_at: datetime | None = None

    @property
    def disabled(self) -> bool:
        return self.disabled_at is not None


@dataclass(frozen=True)
class App:
    id: int
    customer_id: int
    app_id: str
    created_at: datetime


@dataclass(frozen=True)
class Client:
    """An OAuth client: a customer's integration, or an operator's (``customer_id`` None)."""

    id: int
    client_id: str
    customer_id: int | None
    secret_hash: str
    api_key_hash: str
    scopes: tuple[str, ...]
    created_at: datetime
    disabled_at: datetime | None
    label: str | None = None
    # When the client was last issued an access token (not each request it makes).
    last_used_at: datetime | None = None
    # One more on each rotation: a token names the version it was issued under, so
    # rotating refuses every token issued before it at once.
    credentials_version: int = 0
    # The client's customer is disabled: the client is refused as if it were disabled.
    customer_disabled: bool = False

    @property
    def enabled(self) -> bool:
        return self.disabled_at is None

    @property
    def is_operator(self) -> bool:
        return self.customer_id is None


@dataclass(frozen=True)
class NewObject:
    """What an upload that just became durable asks the catalog to record."""

    storage_id: str
    upload_id: str
    customer_id: int
    app_pk: int | None
    object_key: str
    filename: str
    type: str | None
    size: int
    sha256: str
    md5: str


@dataclass(frozen=True)
class StoredObject:
    id: int
    storage_id: str
    upload_id: str
    customer_id: int
    app_pk: int | None
    object_key: str
    version: int
    filename: str
    type: str | None
    size: int
    sha256: str
    md5: str
    uploaded_at: datetime


@dataclass(frozen=True)
class DatasetTypeVersion:
    """One stored version of a dataset type."""

    id: int
    version: int
    dataset: DatasetType
    created_at: datetime


class FileStatus(StrEnum):
    PENDING = "Pending"
    PROCESSING = "Processing"
    COMPLETED = "Completed"
    FAILED = "Failed"
    # Replaced by a newer file that Completed: its rows left analytics (SPEC §4).
    SUPERSEDED = "Superseded"
    # Retracted by its owner or an operator: rows and bytes removed, the row kept.
    DELETED = "Deleted"


@dataclass(frozen=True)
class FileRecord:
    """A Files API upload and its progress (SPEC §4)."""

    id: str
    customer_id: int
    dataset_type_id: int
    dataset_name: str
    name: str
    file_type: str
    status: FileStatus
    failure_reason: str | None
    upload_id: str
    url_expires_at: datetime
    object_pk: int | None
    size: int | None
    sha256: str | None
    created_at: datetime
    uploaded_at: datetime | None
    started_at: datetime | None
    finished_at: datetime | None
    attempt: int = 0
    rows_total: int | None = None
    rows_imported: int | None = None
    rows_rejected: int | None = None
    duration_ms: int | None = None
    error_count: int = 0
    errors_truncated: bool = False
    # The file this one replaces once it Completes, and the one that replaced it.
    replaces: str | None = None
    superseded_by: str | None = None
    # When it left analytics: superseded or retracted.
    retired_at: datetime | None = None

    @classmethod
    def pending(
        cls,
        customer_id: int,
        dataset: DatasetTypeVersion,
        name: str,
        file_type: str,
        upload_id: str,
        url_expires_at: datetime,
        replaces: str | None = None,
    ) -> FileRecord:
        """A new file, queued for validation once its upload is recorded."""
        return cls(
            id=str(uuid.uuid4()),
            customer_id=customer_id,
            dataset_type_id=dataset.id,
            dataset_name=dataset.dataset.name,
            name=name,
            file_type=file_type,
            status=FileStatus.PENDING,
            failure_reason=None,
            upload_id=upload_id,
            url_expires_at=url_expires_at,
            object_pk=None,
            size=None,
            sha256=None,
            created_at=utcnow(),
            uploaded_at=None,
            started_at=None,
            finished_at=None,
            replaces=replaces,
        )


@dataclass(frozen=True)
class FileOutcome:
    """What a finished validation attempt commits to its file."""

    status: FileStatus
    failure_reason: str | None
    rows_total: int
    rows_imported: int
    rows_rejected: int
    duration_ms: int
    error_count: int
    errors_truncated: bool


class SubmissionStatus(StrEnum):
    """The Upload API's status words (SPEC §5), exactly as the wire spells them."""

    PENDING = "pending"
    PROCESSING = "processing"
    COMPLETED = "completedsuccessfully"
    FAILED = "failed"


@dataclass(frozen=True)
class NewSubmission:
    token: str
    customer_id: int
    client_id: str
    name: str
    overwrite: bool
    data_time_zone: str
    event_time_zone: str
    data_storage_id: str
    events_storage_id: str | None
    data_sha256: str
    events_sha256: str | None


@dataclass(frozen=True)
class Submission:
    """One UploadData call and its progress."""

    id: int
    token: str
    customer_id: int
    client_id: str
    name: str
    status: SubmissionStatus
    data_time_zone: str
    event_time_zone: str
    data_storage_id: str
    events_storage_id: str | None
    feedback_storage_id: str | None
    # The SHA-256 of the stored Data and EventData as submitted (None: not recorded).
    data_sha256: str | None
    events_sha256: str | None
    results_storage_id: str | None
    failure_reason: str | None
    replaced_by: str | None
    attempt: int
    created_at: datetime


@dataclass(frozen=True)
class SubmissionOutcome:
    status: SubmissionStatus
    feedback_storage_id: str | None
    results_storage_id: str | None
    failure_reason: str | None
    data_rows: int
    event_rows: int
    error_count: int


class UserRole(StrEnum):
    """A portal user's role (SPEC §10): operators see every customer, members one."""

    OPERATOR = "operator"
    MEMBER = "member"


@dataclass(frozen=True)
class NewUser:
    """What creating a portal user asks the directory to store (the hash, never a password)."""

    email: str
    role: UserRole
    customer_id: int | None
    password_hash: str
    must_change_password: bool


@dataclass(frozen=True)
class User:
    """A portal user (a person, not an OAuth client). Carries no password hash, so that
    no listing, answer or log line built from it can leak one."""

    id: int
    email: str  # normalised: trimmed and lower-case
    role: UserRole
    customer_id: int | None  # None for an operator
    customer: str | None  # the member's customer's name
    must_change_password: bool  # a one-time password: change it at the next sign-in
    created_at: datetime
    password_changed_at: datetime
    disabled_at: datetime | None
    last_sign_in_at: datetime | None

    @property
    def enabled(self) -> bool:
        return self.disabled_at is None
