"""The records of the operator's listings (SPEC §9): every customer's files and Upload API
submissions, each with its customer's name, and what the listings filter on."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from landingzone.domain.models import FileRecord, FileStatus, SubmissionStatus


@dataclass(frozen=True)
class CustomerFile:
    """A file of the Files API with the name of the customer it belongs to."""

    file: FileRecord
    customer: str


@dataclass(frozen=True)
class FileFilter:
    """What `GET /admin/v1/files` and `landingzone admin file list` narrow the files to."""

    customer_id: int | None = None
    status: FileStatus | None = None
    dataset_name: str | None = None
    since: datetime | None = None  # created at or after


@dataclass(frozen=True)
class SubmissionEntry:
    """An Upload API submission as an operator sees it: its progress, never its data."""

    id: int
    token: str  # the processing token UploadData answered
    customer: str
    name: str
    client_id: str
    status: SubmissionStatus
    failure_reason: str | None
    replaced_by: str | None
    data_rows: int | None
    event_rows: int | None
    error_count: int
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None


@dataclass(frozen=True)
class SubmissionFilter:
    """What `GET /admin/v1/submissions` narrows the submissions to."""

    customer_id: int | None = None
    status: SubmissionStatus | None = None
    since: datetime | None = None  # created at or after
