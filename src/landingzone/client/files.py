"""The Files API's steps (SPEC §4): a URL for one dataset file, the PUT, then the verdict."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

from landingzone.client.http import Session, poll
from landingzone.client.push import Progress, file_digests, put_file

FINAL = ("Completed", "Failed")
# Polling for the verdict: from this interval, doubling, up to the cap.
FIRST_POLL_SECONDS = 0.25
MAX_POLL_SECONDS = 5.0


@dataclass(frozen=True)
class FileStatus:
    """A Files API file as the server reports it (GET /analytics/files/{id})."""

    id: str
    status: str  # Pending, Processing, Completed or Failed
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
    ) -> FileStatus:
        """Ask for an upload URL, PUT the file, and (``wait``) poll until Completed or Failed.

        Polls with backoff (0.25 s doubling to 5 s); ``timeout`` seconds without a
        verdict returns the latest status instead of waiting on.
        """
        path = Path(path)
        created = self._session.request(
            "POST",
            "/analytics/files/upload",
            json={"datasetType": dataset_type, "file": {"name": path.name, "type": "csv"}},
        ).json()
        md5 = file_digests(path).content_md5
        self._session.retrying(
            partial(put_file, self._session, created["uploadUrl"], path, md5, progress)
        )
        status = self.status(created["id"])
        return self.wait(status.id, timeout) if wait else status

    def status(self, file_id: str) -> FileStatus:
        return FileStatus.from_json(
            self._session.request("GET", f"/analytics/files/{file_id}").json()
        )

    def wait(self, file_id: str, timeout: float | None = None) -> FileStatus:
        return poll(
            partial(self.status, file_id), lambda status: status.done,
            first=FIRST_POLL_SECONDS, cap=MAX_POLL_SECONDS, timeout=timeout, sleep=self._sleep,
        )  # fmt: skip

    def errors(self, file_id: str) -> list[dict[str, Any]]:
        """Every stored error of the file (the server keeps the first LZ_ERROR_CAP)."""
        path = f"/analytics/files/{file_id}/errors"
        return list(self._session.request("GET", path, params={"format": "json"}).json())

    def errors_csv(self, file_id: str) -> str:
        path = f"/analytics/files/{file_id}/errors"
        return self._session.request("GET", path, params={"format": "csv"}).text
