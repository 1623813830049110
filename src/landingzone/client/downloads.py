"""Reading stored bytes back (SPEC §3, §4): a pushed file or a Files API file, to disk.

The body is streamed into a temporary file beside the destination, checked
against the SHA-256 the server names (``X-Lz-Sha256``), flushed to disk and only
then renamed into place: a download that fails or is interrupted never leaves a
partial file under the destination's name. A redirect (S3 storage) is followed to
the store's pre-signed URL without the bearer token. Connection errors, 429 and
5xx restart the download, with the session's backoff.
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import os
import re
import secrets
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote, unquote

import httpx

from landingzone.client.errors import LandingzoneClientError
from landingzone.client.http import Session, raise_for_answer
from landingzone.client.push import Progress

BLOCK = 1024 * 1024
SHA256_HEADER = "x-lz-sha256"
# RFC 6266: filename*=UTF-8''percent-encoded wins over the plain filename="...".
_EXTENDED_NAME = re.compile(r"filename\*\s*=\s*UTF-8''([^;\s]+)", re.IGNORECASE)
_PLAIN_NAME = re.compile(r'filename\s*=\s*"((?:[^"\\]|\\.)*)"|filename\s*=\s*([^;\s]+)', re.I)


class IntegrityError(LandingzoneClientError):
    """The bytes received are not the ones the server stored (their SHA-256 differs)."""


def disposition_name(header: str | None) -> str | None:
    """The file name a ``Content-Disposition`` header gives, made safe to save under:
    only its last path segment, never empty, ``.`` or ``..``."""
    if not header:
        return None
    name: str | None = None
    if found := _EXTENDED_NAME.search(header):
        try:
            name = unquote(found.group(1), errors="strict")
        except UnicodeDecodeError:
            name = None
    if name is None and (found := _PLAIN_NAME.search(header)):
        name = found.group(1) if found.group(1) is not None else found.group(2)
        name = re.sub(r"\\(.)", r"\1", name)
    if name is None:
        return None
    name = name.replace("\\", "/").rsplit("/", 1)[-1].strip()
    if name in {"", ".", ".."} or "\x00" in name:
        return None
    return name


@dataclass(frozen=True)
class Destination:
    """Where a download goes: ``path``, or inside it under the server's name if it is a
    directory; ``overwrite`` False refuses to replace an existing file."""

    path: Path
    overwrite: bool

    def resolve(self, server_name: str | None, fallback: str) -> Path:
        if self.path.is_dir():
            return self.path / (server_name or fallback)
        return self.path

    def refuse_existing(self, target: Path) -> None:
        if not self.overwrite and target.exists():
            raise exists(target)


def exists(target: Path) -> FileExistsError:
    """The error for a download that would replace ``target`` (its ``filename``)."""
    return FileExistsError(errno.EEXIST, "exists and overwrite is off: not replaced", str(target))


def _place(partial: Path, target: Path, overwrite: bool) -> None:
    """Move the finished download into place, atomically."""
    if overwrite:
        os.replace(partial, target)
        return
    # A hard link fails if the target appeared meanwhile: no race replaces it.
    try:
        os.link(partial, target)
    except FileExistsError:
        raise exists(target) from None
    except OSError:  # a filesystem without hard links
        if target.exists():
            raise exists(target) from None
        os.replace(partial, target)
        return
    partial.unlink()


def _fsync_dir(directory: Path) -> None:
    with contextlib.suppress(OSError):
        fd = os.open(directory, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


class Downloads:
    def __init__(self, session: Session) -> None:
        self._session = session

    def file(
        self,
        file_id: str,
        destination: Path | str,
        *,
        overwrite: bool = True,
        progress: Progress | None = None,
    ) -> Path:
        """A Files API file's uploaded bytes (GET /analytics/files/{id}/content)."""
        path = f"/analytics/files/{quote(file_id, safe='')}/content"
        return self._fetch(path, {}, Destination(Path(destination), overwrite), file_id, progress)

    def object(
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
        """A pushed file's stored bytes: the newest upload of ``name``, or its ``version``."""
        path = (
            f"/services/push/v1/customer/apps/{quote(app_id, safe='')}"
            f"/files/{quote(name, safe='')}/content"
        )
        params: dict[str, Any] = {"version": version, "type": type}
        wanted = {key: value for key, value in params.items() if value is not None}
        return self._fetch(path, wanted, Destination(Path(destination), overwrite), name, progress)

    def _fetch(
        self,
        path: str,
        params: dict[str, Any],
        destination: Destination,
        fallback_name: str,
        progress: Progress | None,
    ) -> Path:
        if not destination.path.is_dir():
            destination.refuse_existing(destination.path)

        def attempt() -> Path:
            with self._session.streaming("GET", path, params=params) as answer:
                if not answer.is_redirect:
                    return self._save(answer, answer, destination, fallback_name, progress)
                # S3: the store serves the bytes; its pre-signed URL carries its own
                # authorization, so the bearer token is not sent there.
                location = answer.headers["location"]
                with self._session.http.stream("GET", location) as stored:
                    if not stored.is_success:
                        stored.read()
                        raise_for_answer(stored)
                    return self._save(answer, stored, destination, fallback_name, progress)

        return self._session.retrying(attempt)

    @staticmethod
    def _save(
        first: httpx.Response,
        body: httpx.Response,
        destination: Destination,
        fallback_name: str,
        progress: Progress | None,
    ) -> Path:
        """Stream ``body`` to the destination; ``first`` is landingzone's own answer
        (the same one, or the redirect), which names the file and its SHA-256."""
        named = disposition_name(body.headers.get("content-disposition")) or disposition_name(
            first.headers.get("content-disposition")
        )
        target = destination.resolve(named, fallback_name)
        destination.refuse_existing(target)
        expected = first.headers.get(SHA256_HEADER)
        total = int(body.headers.get("content-length") or 0)
        # Beside the target (same filesystem: the rename is atomic), under a name of its
        # own: the target's name plus a suffix could pass the 255-byte limit.
        partial = target.with_name(f".landingzone-download-{secrets.token_hex(8)}.part")
        digest = hashlib.sha256()
        received = 0
        try:
            with partial.open("wb") as out:
                for block in body.iter_bytes(BLOCK):
                    out.write(block)
                    digest.update(block)
                    received += len(block)
                    if progress is not None:
                        progress(target.name, received, total)
                out.flush()
                os.fsync(out.fileno())
            if expected and digest.hexdigest() != expected:
                raise IntegrityError(
                    f"the bytes received for {target.name} do not match the stored file's "
                    f"SHA-256 ({digest.hexdigest()} instead of {expected}); nothing was saved"
                )
            _place(partial, target, destination.overwrite)
        except BaseException:
            partial.unlink(missing_ok=True)
            raise
        _fsync_dir(target.parent)
        return target
