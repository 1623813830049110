"""The object store port.

``ObjectStore`` is what every backend offers (put/open/stat/delete by a
server-generated storage id, and a ranged read for downloads). Receiving a PUT
body is a separate capability, ``StagingStore``: only a store whose bytes pass
through landingzone (local disk) has it; an S3 backend hands out the store's own
pre-signed URLs instead.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import BinaryIO, Protocol


class UploadInFlight(Exception):
    """Another request is writing the same upload right now."""


class StagedUpload(Protocol):
    """A temp object being written; invisible until ``commit``."""

    def write(self, block: bytes | memoryview) -> None: ...

    def commit(self) -> str:
        """Make the bytes durable under a new storage id and return it."""
        ...

    def abort(self) -> None:
        """Drop the temp bytes; safe to call more than once and after commit."""
        ...


class ObjectStore(Protocol):
    def put(self, source: BinaryIO) -> str: ...

    def open(self, storage_id: str) -> BinaryIO: ...

    def open_range(self, storage_id: str, start: int, length: int) -> BinaryIO:
        """``length`` bytes of the object from offset ``start`` (a download's Range),
        streamed: reading it returns those bytes and then nothing."""
        ...

    def local_path(self, storage_id: str) -> Path | None:
        """The object as a local file, when the backend keeps it on this machine."""
        ...

    def size(self, storage_id: str) -> int: ...

    def download(self, storage_id: str, target: Path) -> None:
        """Copy the object into the local file ``target`` (created or replaced)."""
        ...

    def delete(self, storage_id: str) -> None: ...

    def ping(self) -> None:
        """Raise if the store is unreachable (readiness)."""
        ...

    def storage_ids_older_than(self, seconds: float, now: float) -> list[str]:
        """Committed ids older than ``seconds`` (startup orphan reconciliation)."""
        ...

    def cleanup_staging(self) -> int:
        """Remove what writers that died left behind; return how many."""
        ...


class StagingStore(ObjectStore, Protocol):
    def begin_upload(self, upload_id: str) -> StagedUpload:
        """Claim ``upload_id`` for writing; raise UploadInFlight if already claimed."""
        ...


@dataclass(frozen=True)
class IncomingObject:
    """An object an uploader PUT on a pre-signed URL, not yet landed."""

    s3_key: str
    upload_id: str
    logical_key: str
    size: int
    last_modified: datetime


@dataclass(frozen=True)
class Digests:
    """Size, SHA-256 and MD5 (hex) of an object's bytes (``storage/hashing.py``)."""

    size: int
    sha256: str
    md5: str

    @property
    def md5_digest(self) -> bytes:
        """The MD5 as raw bytes, as a decoded ``Content-MD5`` header holds it."""
        return bytes.fromhex(self.md5)
