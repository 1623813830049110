"""The Files API's steps (SPEC §4): a URL for one dataset file, the PUT, then the verdict."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

from landingzone.client.http import Session, poll
from landingzone.client.push import Progress, file_digests, put_file

# A file in one of these stays there (or, Completed, may still be superseded or retracted).
FINAL = ("Completed", "Failed", "Superseded", "Deleted")
# Polling for the verdict: from this interval, doubling, up to the cap.
FIRST_POLL_SECONDS = 0.25
MAX_POLL_SECONDS = 5.0


@dataclass(frozen=True)
class FileStatus:
    """A Files API file as the server reports it (GET /analytics/files/{id})."""

    id: str
    status: str  # Pending, Processing, Completed, Failed, Superseded or Deleted
    failure_reason: str | None
    statistics: dict[str, Any]
    error_count: int
    errors: list[dict[str, Any]] = field(default_factory=list)  # the first ones
    document: dict[str, Any] = field(default_factory=dict)  # everything the server said

    @classmethod
    def from_json(cls, document: dict[str, Any]) -> FileStatus:
        return cls(
            id=str(document["id"]),
            status=str(document["status"]),
            failure_reason=document.get("failureReason"),
            statistics=dict(document.get("statistics") or {}),
            error_count=int(document.get("errorCount") or 0),
            errors=list(document.get("errors") or []),
            document=document,
        )

    @property
    def done(self) -> bool:
        return self.status in FINAL


@dataclass(frozen=True)
class UploadTarget:
    """The answer to POST /analytics/files/upload: the file's id and its one-time URL."""

    id: str
    upload_url: str
    expires_at: str | None
    name: str


@dataclass(frozen=True)
class FilesPage:
    """One page of GET /analytics/files: newest first; ``next_cursor`` None on the last."""

    files: list[FileStatus]
    next_cursor: str | None


# on_status(status): called with each status read while waiting for the verdict.
StatusCallback = Callable[[FileStatus], None]


class FilesApi:
    def __init__(self, session: Session, sleep: Callable[[float], None] = time.sleep) -> None:
        self._session = session
        self._sleep = sleep

    def upload(
        self,
        dataset_type: str,
        path: Path | str,
        *,
        wait: bool = True,
        timeout: float | None = None,
        progress: Progress | None = None,
        on_status: StatusCallback | None = None,
        replaces: str | None = None,
    ) -> FileStatus:
        """Ask for an upload URL, PUT the file, and (``wait``) poll until Completed or Failed.

        ``replaces`` is the id of an earlier file this one corrects: when this one
        Completes, that one becomes Superseded and its rows stop counting.

        The three steps are also ``create_upload``, ``send`` and ``wait``, for a
        caller that wants the file id before the bytes are sent. Polls with
        backoff (0.25 s doubling to 5 s); ``timeout`` seconds without a verdict
        returns the latest status instead of waiting on.
        """
        path = Path(path)
        target = self.create_upload(dataset_type, path.name, replaces=replaces)
        status = self.send(target, path, progress=progress)
        return self.wait(status.id, timeout, on_status=on_status) if wait else status

    def create_upload(
        self, dataset_type: str, name: str, *, replaces: str | None = None
    ) -> UploadTarget:
        """Step 1: a file id and a one-time upload URL for a file called ``name``
        (which, once Completed, supersedes the file ``replaces``)."""
        body: dict[str, Any] = {"datasetType": dataset_type, "file": {"name": name, "type": "csv"}}
        if replaces is not None:
            body["replaces"] = replaces
        created = self._session.request("POST", "/analytics/files/upload", json=body).json()
        return UploadTarget(
            id=str(created["id"]),
            upload_url=str(created["uploadUrl"]),
            expires_at=created.get("expiresAt"),
            name=name,
        )

    def send(
        self,
        target: UploadTarget,
        path: Path | str,
        *,
        progress: Progress | None = None,
    ) -> FileStatus:
        """Step 2: PUT the file to the target's URL (streamed, with Content-MD5, retried);
        the file's status once the server has it."""
        path = Path(path)
        md5 = file_digests(path).content_md5
        self._session.retrying(
            partial(put_file, self._session, target.upload_url, path, md5, progress)
        )
        return self.status(target.id)

    def retract(self, file_id: str) -> FileStatus:
        """Retract a file: its rows leave analytics, its bytes are deleted (status Deleted)."""
        return FileStatus.from_json(
            self._session.request("DELETE", f"/analytics/files/{file_id}").json()
        )

    def status(self, file_id: str) -> FileStatus:
        return FileStatus.from_json(
            self._session.request("GET", f"/analytics/files/{file_id}").json()
        )

    def wait(
        self,
        file_id: str,
        timeout: float | None = None,
        *,
        on_status: StatusCallback | None = None,
    ) -> FileStatus:
        """Step 3: poll the status until Completed or Failed (or ``timeout`` seconds)."""

        def fetch() -> FileStatus:
            status = self.status(file_id)
            if on_status is not None:
                on_status(status)
            return status

        return poll(
            fetch, lambda status: status.done,
            first=FIRST_POLL_SECONDS, cap=MAX_POLL_SECONDS, timeout=timeout, sleep=self._sleep,
        )  # fmt: skip

    def list_files(
        self,
        *,
        status: str | None = None,
        dataset_type: str | None = None,
        limit: int | None = None,
        cursor: str | None = None,
    ) -> FilesPage:
        """One page of the customer's files, newest first (GET /analytics/files).

        ``status`` and ``dataset_type`` filter; ``limit`` is the page size (the
        server's default is 50, at most 1000); pass a page's ``next_cursor`` as
        ``cursor`` for the next one.
        """
        params = {"status": status, "datasetType": dataset_type, "limit": limit,
                  "cursor": cursor}  # fmt: skip
        document = self._session.request(
            "GET", "/analytics/files", params={k: v for k, v in params.items() if v is not None}
        ).json()
        return FilesPage(
            files=[FileStatus.from_json(item) for item in document.get("files") or []],
            next_cursor=document.get("nextCursor"),
        )

    def iter_files(
        self,
        *,
        status: str | None = None,
        dataset_type: str | None = None,
        page_size: int | None = None,
    ) -> Iterator[FileStatus]:
        """Every file that matches, newest first, fetching page after page as needed."""
        cursor: str | None = None
        while True:
            page = self.list_files(
                status=status, dataset_type=dataset_type, limit=page_size, cursor=cursor
            )
            yield from page.files
            if not page.next_cursor:
                return
            cursor = page.next_cursor

    def errors(self, file_id: str) -> list[dict[str, Any]]:
        """Every stored error of the file (the server keeps the first LZ_ERROR_CAP)."""
        path = f"/analytics/files/{file_id}/errors"
        return list(self._session.request("GET", path, params={"format": "json"}).json())

    def errors_csv(self, file_id: str) -> str:
        path = f"/analytics/files/{file_id}/errors"
        return self._session.request("GET", path, params={"format": "csv"}).text
