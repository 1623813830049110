"""The uploaders' SDK: speaks only the wire protocols (SPEC §2-§6), imports no server code.

from landingzone.client import Client

with Client("https://lz.example.com", CLIENT_ID, CLIENT_SECRET) as lz:
    for result in lz.push("myAppId", [Path("a.csv"), Path("b.csv")]):
        print(result.name, result.outcome, result.etag)
"""

from __future__ import annotations

import threading
from pathlib import Path
from types import TracebackType
from typing import Any

import httpx

from landingzone.client.downloads import Downloads, IntegrityError
from landingzone.client.errors import (
    AuthenticationError,
    LandingzoneClientError,
    NotFound,
    PermissionDenied,
    RetriesExhausted,
    ServerUnreachable,
)
from landingzone.client.files import FilesApi, FilesPage, FileStatus, UploadTarget
from landingzone.client.http import RetryPolicy, Session
from landingzone.client.push import Progress, Pusher, PushResult
from landingzone.client.uploadapi import Submission, UploadApi

__all__ = [
    "AuthenticationError",
    "Client",
    "Downloads",
    "FileStatus",
    "FilesApi",
    "FilesPage",
    "IntegrityError",
    "LandingzoneClientError",
    "NotFound",
    "PermissionDenied",
    "Progress",
    "PushResult",
    "RetriesExhausted",
    "RetryPolicy",
    "ServerUnreachable",
    "Submission",
    "UploadApi",
    "UploadTarget",
]


class Client:
    """A landingzone (or any server speaking its protocols) for one client's credentials."""

    def __init__(
        self,
        base_url: str,
        client_id: str,
        client_secret: str,
        *,
        api_key: str | None = None,
        token_url: str | None = None,
        scope_uri_prefix: str = "",
        transport: httpx.BaseTransport | None = None,
        retry: RetryPolicy | None = None,
        timeout: float = 60.0,
    ) -> None:
        self.session = Session(
            base_url, client_id, client_secret,
            token_url=token_url, scope_uri_prefix=scope_uri_prefix,
            transport=transport, retry=retry, timeout=timeout,
        )  # fmt: skip
        self.files = FilesApi(self.session)
        self.upload_api = UploadApi(self.session, client_id, api_key)
        self.downloads = Downloads(self.session)

    def __enter__(self) -> Client:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        value: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    def close(self) -> None:
        self.session.close()

    def upload_data(
        self,
        name: str,
        data: str | Path,
        events: str | Path | None = None,
        *,
        overwrite: bool = False,
        time_zone: str | None = None,
        wait: bool = True,
        timeout: float | None = None,
    ) -> Submission:
        """Upload API: submit Data (and EventData); waits for the verdict by default
        (``timeout`` seconds at most: then the submission as it stands)."""
        return self.upload_api.upload_data(
            name, data, events,
            overwrite=overwrite, time_zone=time_zone, wait=wait, timeout=timeout,
        )  # fmt: skip

    def results(self, token: str, data_key: str) -> Any:
        """Upload API: ``status``, ``feedback`` or ``tableofresultids`` of a submission."""
        return self.upload_api.results(token, data_key)

    def push(
        self,
        app_id: str,
        paths: list[Path] | list[str],
        type: str | None = None,
        *,
        concurrency: int = 4,
        progress: Progress | None = None,
        cancel: threading.Event | None = None,
    ) -> list[PushResult]:
        """Upload files to an app: URLs in batches of 100, ``concurrency`` PUTs at a time.

        Each file is streamed from disk with its Content-MD5; connection errors,
        429 (after its Retry-After), 5xx and SlowDown are retried with backoff,
        and a URL refused as expired or used is replaced by a fresh one. A file
        that still fails is reported in its result, not raised. Setting ``cancel``
        stops the uploads in flight (the server stores none of them) and skips
        the rest; their results say "cancelled".
        """
        return Pusher(self.session, concurrency, cancel).push(
            app_id, paths, type, progress=progress
        )

    def download_file(
        self,
        file_id: str,
        destination: Path | str,
        *,
        overwrite: bool = True,
        progress: Progress | None = None,
    ) -> Path:
        """Save a Files API file's uploaded bytes; returns the path written.

        ``destination`` is a file path, or a directory to save into under the file's
        name. The bytes are streamed to a temporary file, checked against the stored
        SHA-256 and renamed into place at the end; on S3 storage the server's redirect
        to a pre-signed URL is followed. ``overwrite=False`` refuses to replace an
        existing file (FileExistsError).
        """
        return self.downloads.file(file_id, destination, overwrite=overwrite, progress=progress)

    def download_object(
        self,
        app_id: str,
        name: str,
        destination: Path | str,
        version: int | None = None,
        *,
        type: str | None = None,
        overwrite: bool = True,
        progress: Progress | None = None,
    ) -> Path:
        """Save a pushed file's stored bytes (the newest upload of ``name``, or its
        ``version``; ``type`` narrows to uploads pushed with that type), as
        ``download_file`` does; returns the path written."""
        return self.downloads.object(
            app_id, name, destination, version,
            type=type, overwrite=overwrite, progress=progress,
        )  # fmt: skip
