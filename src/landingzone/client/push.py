"""The Push API's two steps (SPEC §3, §6): URLs in batches, then streaming PUTs in parallel."""

from __future__ import annotations

import base64
import hashlib
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from urllib.parse import quote

from landingzone.client.errors import LandingzoneClientError, PermissionDenied
from landingzone.client.http import Session, raise_for_answer

BATCH = 100  # the most filenames one upload-URL request may carry (SPEC §3)
BLOCK = 1024 * 1024
# A URL refused as expired or used is replaced by a fresh one this many times.
FRESH_URL_ATTEMPTS = 3

# progress(name, bytes of this file sent so far, size of this file)
Progress = Callable[[str, int, int], None]


@dataclass(frozen=True)
class PushResult:
    name: str
    path: Path
    size: int
    sha256: str  # of the bytes sent (the store verified their MD5); "" unless uploaded
    etag: str | None
    outcome: str  # "uploaded", "failed", or "cancelled" (not stored: send it again)
    error: str | None = None


@dataclass(frozen=True)
class FileDigests:
    content_md5: str  # base64 MD5, for the Content-MD5 header
    sha256: str  # hex


def file_digests(path: Path) -> FileDigests:
    """MD5 and SHA-256 of the file in one read, before its PUT.

    Content-MD5 must precede the body, so the file is read once before it is
    sent. SHA-256 is computed in that same read, on a second core (hashlib
    releases the GIL for large blocks), so the PUT itself only streams bytes.
    """
    md5 = hashlib.md5(usedforsecurity=False)
    sha256 = hashlib.sha256()
    with path.open("rb") as source:
        block = source.read(BLOCK)
        if len(block) < BLOCK:  # one block: a thread would cost more than it saves
            md5.update(block)
            sha256.update(block)
        else:
            with ThreadPoolExecutor(1, thread_name_prefix="lz-sha256") as pool:
                while block:
                    job = pool.submit(sha256.update, block)
                    md5.update(block)
                    job.result()
                    block = source.read(BLOCK)
    return FileDigests(base64.b64encode(md5.digest()).decode(), sha256.hexdigest())


class Cancelled(Exception):
    """The caller's cancel event was set while a file was being sent."""


def put_file(
    session: Session,
    url: str,
    path: Path,
    content_md5: str,
    progress: Progress | None = None,
    cancel: threading.Event | None = None,
) -> str | None:
    """One PUT of ``path`` to a signed URL, streamed from disk; the store's ETag."""
    size = path.stat().st_size

    def body() -> Iterator[bytes]:
        sent = 0
        with path.open("rb") as source:
            while block := source.read(BLOCK):
                if cancel is not None and cancel.is_set():
                    raise Cancelled
                sent += len(block)
                yield block
                if progress:
                    progress(path.name, sent, size)

    headers = {"Content-Length": str(size), "Content-MD5": content_md5}
    response = session.http.put(url, content=body(), headers=headers)
    raise_for_answer(response)
    etag = response.headers.get("etag")
    return etag.strip('"') if etag else None


class Pusher:
    def __init__(
        self, session: Session, concurrency: int = 4, cancel: threading.Event | None = None
    ) -> None:
        if concurrency < 1:
            raise ValueError("concurrency must be at least 1")
        self._session = session
        self._concurrency = concurrency
        self._cancel = cancel or threading.Event()

    def upload_urls(self, app_id: str, names: list[str], type_: str | None) -> dict[str, str]:
        params: list[tuple[str, str]] = [("filenames", n) for n in names]
        if type_:
            params.append(("type", type_))
        path = f"/services/push/v1/customer/apps/{quote(app_id, safe='')}/upload"
        urls: dict[str, str] = self._session.request("GET", path, params=params).json()
        return urls

    def push(
        self,
        app_id: str,
        paths: list[Path] | list[str],
        type: str | None = None,
        *,
        progress: Progress | None = None,
    ) -> list[PushResult]:
        """Upload files to an app (``Client.push`` says how)."""
        files = [Path(p) for p in paths]
        names = [p.name for p in files]
        if len(set(names)) != len(names):
            raise ValueError("two paths have the same file name; push them separately")
        results: list[PushResult] = []
        with ThreadPoolExecutor(self._concurrency, thread_name_prefix="lz-push") as pool:
            for start in range(0, len(files), BATCH):
                batch = files[start : start + BATCH]
                if self._cancel.is_set():
                    results.extend(self._not_sent(p) for p in batch)
                    continue
                urls = self.upload_urls(app_id, [p.name for p in batch], type)
                jobs = [
                    pool.submit(self._upload, app_id, p, urls[p.name], type, progress)
                    for p in batch
                ]
                results.extend(job.result() for job in jobs)
        return results

    def _upload(
        self, app_id: str, path: Path, url: str, type_: str | None, progress: Progress | None
    ) -> PushResult:
        if self._cancel.is_set():
            return self._not_sent(path)
        size = path.stat().st_size
        digests = file_digests(path)
        fresh_urls = 0
        while True:
            try:
                etag = self._session.retrying(
                    partial(
                        put_file, self._session, url, path, digests.content_md5, progress,
                        self._cancel,
                    )
                )  # fmt: skip
                # The store checked Content-MD5, so the bytes it kept are the ones hashed.
                return PushResult(path.name, path, size, digests.sha256, etag, "uploaded")
            except PermissionDenied as exc:
                # Expired before it was used, or used by an earlier attempt whose answer
                # was lost: a fresh URL makes a new version, never a partial one.
                if fresh_urls == FRESH_URL_ATTEMPTS:
                    return PushResult(path.name, path, size, "", None, "failed", str(exc))
                fresh_urls += 1
                url = self.upload_urls(app_id, [path.name], type_)[path.name]
            except LandingzoneClientError as exc:
                return PushResult(path.name, path, size, "", None, "failed", str(exc))
            except Cancelled:
                # The server saw a body shorter than its Content-Length: nothing stored.
                return PushResult(path.name, path, size, "", None, "cancelled")

    def _not_sent(self, path: Path) -> PushResult:
        return PushResult(path.name, path, path.stat().st_size, "", None, "cancelled")
