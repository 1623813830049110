"""S3-compatible object store (AWS S3, MinIO, Ceph, R2): ``LZ_STORAGE_URL=s3://bucket/prefix``.

Layout under the prefix:

- ``incoming/{upload id}/{logical key}``: where a pre-signed upload URL points.
  Uploaders PUT straight to the store; the bytes never pass through
  landingzone. The logical key (``log-connector-data/...`` or
  ``analytics-uploads/...``) is what the embedded store would have signed, so
  the lander resolves the target exactly as the object endpoint does.
- ``objects/ab/cd/{storage id}``: committed bytes, written once and never
  overwritten. The lander copies an incoming object here (server side, no
  bytes through landingzone) before recording it, because a pre-signed URL
  stays valid until it expires and a second PUT would replace the incoming
  object: a copy under a fresh id is what makes an acknowledged object
  immutable.

S3 answers 200 only once an object is durable, so the local store's fsync
discipline has no counterpart here.
"""

from __future__ import annotations

import io
import re
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, BinaryIO
from urllib.parse import unquote, urlparse

from landingzone.errors import ConfigurationError, StorageUnavailable
from landingzone.storage.base import Digests, IncomingObject
from landingzone.storage.hashing import hash_stream
from landingzone.storage.ids import (
    checked_upload_id,
    is_storage_id,
    is_upload_id,
    new_storage_id,
    shard_path,
)

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client

_BUCKET = re.compile(r"[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]")
READ_BLOCK = 1024 * 1024
INCOMING = "incoming/"
OBJECTS = "objects/"


@dataclass(frozen=True)
class S3Location:
    bucket: str
    prefix: str  # "" or ending in "/"

    @classmethod
    def parse(cls, url: str) -> S3Location:
        parsed = urlparse(url)
        if parsed.scheme != "s3" or not _BUCKET.fullmatch(parsed.netloc):
            raise ConfigurationError(
                f"LZ_STORAGE_URL '{url}': an S3 URL is s3://BUCKET[/PREFIX] with a valid "
                "bucket name (3-63 lower-case letters, digits, dots and hyphens)."
            )
        prefix = unquote(parsed.path).strip("/")
        return cls(parsed.netloc, f"{prefix}/" if prefix else "")


def resolve_region(region: str | None) -> str:
    """LZ_S3_REGION, else boto3's (AWS_REGION, AWS_DEFAULT_REGION, config), else us-east-1."""
    import boto3

    return region or boto3.session.Session().region_name or "us-east-1"


def make_client(endpoint_url: str | None, region: str | None) -> S3Client:
    """A boto3 S3 client; path-style addressing when an endpoint (MinIO, moto) is given."""
    import boto3
    from botocore.config import Config

    config = Config(
        signature_version="s3v4",
        s3={"addressing_style": "path" if endpoint_url else "auto"},
        retries={"mode": "standard", "max_attempts": 5},
    )
    session = boto3.session.Session()
    # Credentials come from boto3's own chain (environment, profile, instance role).
    client: S3Client = session.client(
        "s3",
        endpoint_url=endpoint_url,
        region_name=resolve_region(region),
        config=config,
    )
    return client


class _BodyReader(io.RawIOBase):
    """A botocore streaming body as a raw file, so it can be wrapped in a BufferedReader."""

    def __init__(self, body: Any) -> None:
        self._body = body

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        view = memoryview(buffer).cast("B")
        data: bytes = self._body.read(len(view))
        view[: len(data)] = data
        return len(data)

    def close(self) -> None:
        if not self.closed:
            self._body.close()
        super().close()


_MISSING = {"NoSuchKey", "404", "NotFound"}


@contextmanager
def vendor_errors(what: str) -> Iterator[None]:
    """botocore's errors as ours: a missing object is FileNotFoundError, as on local
    disk; anything else the store refused or failed to answer is StorageUnavailable."""
    from botocore.exceptions import BotoCoreError, ClientError

    try:
        yield
    except ClientError as exc:
        error = exc.response.get("Error", {})
        code = str(error.get("Code", ""))
        if code in _MISSING:
            raise FileNotFoundError(f"{what}: no such object") from None
        raise StorageUnavailable(f"S3 {what}: {code} {error.get('Message', '')}".strip()) from exc
    except BotoCoreError as exc:
        raise StorageUnavailable(f"S3 {what}: {exc}") from exc


class S3ObjectStore:
    def __init__(self, client: S3Client, location: S3Location) -> None:
        self.client = client
        self.location = location
        self.bucket = location.bucket
        self.prefix = location.prefix

    def key_for(self, storage_id: str) -> str:
        return f"{self.prefix}{OBJECTS}{shard_path(storage_id)}"

    # ObjectStore

    def put(self, source: BinaryIO) -> str:
        storage_id = new_storage_id()
        # upload_fileobj switches to a multipart upload for large sources; the
        # object appears only when it completes.
        with vendor_errors("put"):
            self.client.upload_fileobj(source, self.bucket, self.key_for(storage_id))
        return storage_id

    def open(self, storage_id: str) -> BinaryIO:
        with vendor_errors("open"):
            response = self.client.get_object(Bucket=self.bucket, Key=self.key_for(storage_id))
        return io.BufferedReader(_BodyReader(response["Body"]), READ_BLOCK)

    def open_range(self, storage_id: str, start: int, length: int) -> BinaryIO:
        if start < 0 or length < 0:
            raise ValueError("a range starts and runs at zero bytes or more")
        key = self.key_for(storage_id)
        if length == 0:
            # S3 has no empty Range; the object must still exist, as for any read.
            self.size(storage_id)
            return io.BytesIO(b"")
        with vendor_errors("open"):
            response = self.client.get_object(
                Bucket=self.bucket, Key=key, Range=f"bytes={start}-{start + length - 1}"
            )
        return io.BufferedReader(_BodyReader(response["Body"]), READ_BLOCK)

    def local_path(self, storage_id: str) -> Path | None:
        return None

    def download(self, storage_id: str, target: Path) -> None:
        # The transfer manager fetches ranges on several threads.
        with vendor_errors("download"):
            self.client.download_file(self.bucket, self.key_for(storage_id), str(target))

    def size(self, storage_id: str) -> int:
        with vendor_errors("size"):
            head = self.client.head_object(Bucket=self.bucket, Key=self.key_for(storage_id))
        return int(head["ContentLength"])

    def delete(self, storage_id: str) -> None:
        with vendor_errors("delete"):
            self.client.delete_object(Bucket=self.bucket, Key=self.key_for(storage_id))

    def ping(self) -> None:
        try:
            with vendor_errors(f"bucket {self.bucket}"):
                self.client.head_bucket(Bucket=self.bucket)
        except FileNotFoundError:
            raise StorageUnavailable(
                f"S3 bucket {self.bucket} does not exist: create it, or fix LZ_STORAGE_URL"
            ) from None

    # Reconciliation at startup, as the local store offers it

    def storage_ids(self) -> list[str]:
        return [sid for sid, _ in self._objects()]

    def storage_ids_older_than(self, seconds: float, now: float) -> list[str]:
        return [sid for sid, modified in self._objects() if modified.timestamp() < now - seconds]

    def cleanup_staging(self, older_than: float = 24 * 3600) -> int:
        """Abort multipart uploads of ``put`` calls that died; return how many.

        Their parts are invisible but billed until aborted. Only old ones: a
        young one may belong to a live ``put`` in another process.
        """
        cutoff = time.time() - older_than
        aborted = 0
        paginator = self.client.get_paginator("list_multipart_uploads")
        with vendor_errors("multipart cleanup"):
            for page in paginator.paginate(Bucket=self.bucket, Prefix=f"{self.prefix}{OBJECTS}"):
                for upload in page.get("Uploads", []):
                    if upload["Initiated"].timestamp() < cutoff:
                        self.client.abort_multipart_upload(
                            Bucket=self.bucket, Key=upload["Key"], UploadId=upload["UploadId"]
                        )
                        aborted += 1
        return aborted

    def _objects(self) -> Iterator[tuple[str, datetime]]:
        for item in self.list_keys(f"{self.prefix}{OBJECTS}"):
            name = item["Key"].rsplit("/", 1)[-1]
            if is_storage_id(name):
                yield name, item["LastModified"]

    # Pre-signed uploads and landing them

    def incoming_key(self, upload_id: str, logical_key: str) -> str:
        return f"{self.prefix}{INCOMING}{checked_upload_id(upload_id)}/{logical_key}"

    def incoming(self) -> Iterator[IncomingObject]:
        start = f"{self.prefix}{INCOMING}"
        for item in self.list_keys(start):
            upload_id, sep, logical_key = item["Key"][len(start) :].partition("/")
            if not sep or not is_upload_id(upload_id) or not logical_key:
                continue  # not a key landingzone signs: left alone for the operator
            yield IncomingObject(
                item["Key"], upload_id, logical_key, int(item["Size"]), item["LastModified"]
            )

    def adopt(self, incoming: IncomingObject) -> str | None:
        """Copy an incoming object under a new storage id (server side); return the id.

        None when the incoming object is gone: another worker landed it first.
        """
        storage_id = new_storage_id()
        try:
            with vendor_errors("copy"):
                self.client.copy_object(
                    Bucket=self.bucket,
                    Key=self.key_for(storage_id),
                    CopySource={"Bucket": self.bucket, "Key": incoming.s3_key},
                )
        except FileNotFoundError:
            return None
        return storage_id

    def digests(self, storage_id: str) -> Digests:
        """Size, SHA-256 and MD5 of a committed object, streamed (bounded memory)."""
        with self.open(storage_id) as source:
            return hash_stream(source.read, READ_BLOCK)

    def discard_incoming(self, incoming: IncomingObject) -> None:
        with vendor_errors("delete"):
            self.client.delete_object(Bucket=self.bucket, Key=incoming.s3_key)

    def list_keys(self, prefix: str) -> Iterator[Any]:
        """Every object under ``prefix`` (keys are whole, from the bucket's root)."""
        paginator = self.client.get_paginator("list_objects_v2")
        with vendor_errors("list"):
            for page in paginator.paginate(Bucket=self.bucket, Prefix=prefix):
                yield from page.get("Contents", [])
