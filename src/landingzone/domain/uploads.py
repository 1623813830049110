"""Receiving a PUT on a signed URL (SPEC §6), independent of HTTP.

Order matters and is the durability contract: verify the URL, refuse an
oversize declared body before reading it, claim the upload id (409 if a live
request holds it), stream into a temp file while hashing, check length and
Content-MD5, fsync and rename, then record the row, then answer. A failure at
any step leaves no object and the URL still usable; only the recorded row
consumes it.
"""

from __future__ import annotations

import base64
import binascii
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass

from anyio import to_thread

from landingzone.auth.signing import EXPIRES_PARAM, SIGNATURE_PARAM, UPLOAD_PARAM, UrlSigner
from landingzone.domain.ingest import BodyTooLarge, ingest
from landingzone.domain.models import StoredObject
from landingzone.domain.ports import UploadAlreadyUsed
from landingzone.domain.targets import ALREADY_USED, UploadTarget, UploadTargets, access_denied
from landingzone.errors import S3Error, StorageFull
from landingzone.storage.base import StagingStore, UploadInFlight

SLOW_DOWN_RETRY_AFTER = 30
INCOMPLETE_BODY = (
    "You did not provide the number of bytes specified by the Content-Length HTTP header."
)


SIGNATURE_MISMATCH = S3Error(
    403,
    "SignatureDoesNotMatch",
    "The request signature we calculated does not match the signature you provided. "
    "Use the URL exactly as issued, with PUT.",
)


def parse_content_md5(header: str | None) -> bytes | None:
    if header is None:
        return None
    try:
        digest = base64.b64decode(header.strip(), validate=True)
    except (binascii.Error, ValueError):
        digest = b""
    if len(digest) != 16:
        raise S3Error(400, "InvalidDigest", "The Content-MD5 you specified was invalid.")
    return digest


@dataclass(frozen=True)
class Replay:
    """A PUT on a URL whose upload is already recorded: the same bytes again answer 200.

    S3 answers a repeated PUT 200; a client whose first 200 was lost on the way
    retries the same URL and must learn that its bytes are stored, not get a 403
    that makes it upload a second version.
    """

    stored: StoredObject


class _Discard:
    """A sink that only lets ``ingest`` hash a replayed body."""

    def write(self, block: bytes | memoryview) -> None:
        pass

    def commit(self) -> str:
        raise NotImplementedError("a replayed body is never stored")

    def abort(self) -> None:
        pass


class UploadService:
    def __init__(
        self,
        targets: UploadTargets,
        store: StagingStore | None,
        signer: UrlSigner,
        max_size: int,
    ) -> None:
        self._targets = targets
        self._catalog = targets.catalog
        self._store = store
        self._signer = signer
        self.max_size = max_size

    def authorize(
        self, method: str, key: str, query: list[tuple[str, str]]
    ) -> UploadTarget | Replay:
        """Check the signature and expiry of a request on ``key``; return what it may write."""
        params = dict(query)
        wanted = (UPLOAD_PARAM, EXPIRES_PARAM, SIGNATURE_PARAM)
        if any(name not in params for name in wanted):
            raise access_denied(
                "Query-string authentication requires the X-Lz-Upload, X-Lz-Expires and "
                "X-Lz-Signature parameters: use the signed URL exactly as issued."
            )
        if len(query) != len(wanted) or not (
            params[EXPIRES_PARAM].isascii() and params[EXPIRES_PARAM].isdigit()
        ):
            raise SIGNATURE_MISMATCH
        upload_id = params[UPLOAD_PARAM]
        expires_at = int(params[EXPIRES_PARAM])
        if not self._signer.verify(method, key, upload_id, expires_at, params[SIGNATURE_PARAM]):
            raise SIGNATURE_MISMATCH
        # Checked when the request arrives: a slow upload that starts in time completes.
        if time.time() > expires_at:
            raise access_denied("Request has expired: ask for a new upload URL.")
        if self._store is None:
            # URLs issued before the operator moved storage to S3 still verify.
            raise access_denied(
                "This server now stores uploads in S3 and no longer accepts them on its own "
                "URLs: ask for a new upload URL."
            )
        recorded = self._catalog.by_upload_id(upload_id)
        if recorded is not None and recorded.object_key == key:
            return Replay(recorded)
        return self._targets.resolve(key, upload_id)

    def check_declared_length(self, content_length: int | None) -> None:
        if content_length is not None and content_length > self.max_size:
            raise entity_too_large(self.max_size)

    async def receive(
        self,
        target: UploadTarget | Replay,
        chunks: AsyncIterator[bytes],
        content_length: int | None,
        content_md5: bytes | None,
    ) -> StoredObject:
        self.check_declared_length(content_length)
        if isinstance(target, Replay):
            return await replay(target.stored, chunks, content_length)
        assert self._store is not None, "authorize refuses uploads without a staging store"
        if await to_thread.run_sync(self._catalog.upload_used, target.upload_id):
            raise access_denied(ALREADY_USED)
        try:
            staged = self._store.begin_upload(target.upload_id)
        except UploadInFlight:
            raise S3Error(
                409,
                "OperationAborted",
                "Another upload to this URL is in progress; wait for it to finish.",
            ) from None
        except StorageFull:
            raise slow_down() from None
        try:
            try:
                result = await ingest(chunks, staged, self.max_size)
            except BodyTooLarge:
                raise entity_too_large(self.max_size) from None
            except StorageFull:
                raise slow_down() from None
            if content_length is not None and result.size != content_length:
                raise S3Error(400, "IncompleteBody", INCOMPLETE_BODY)
            if content_md5 is not None and content_md5 != result.md5_digest:
                raise S3Error(
                    400,
                    "BadDigest",
                    "The Content-MD5 you specified did not match what we received.",
                )
            try:
                storage_id = await to_thread.run_sync(staged.commit)
            except StorageFull:
                raise slow_down() from None
        finally:
            staged.abort()
        new = target.new_object(storage_id, result.size, result.sha256, result.md5)
        try:
            stored = await to_thread.run_sync(self._targets.record, target, new)
        except UploadAlreadyUsed:
            await to_thread.run_sync(self._store.delete, storage_id)
            # Two PUTs of one URL raced and the other recorded first: same bytes, same answer.
            recorded = await to_thread.run_sync(self._catalog.by_upload_id, target.upload_id)
            if recorded is not None and same_bytes(recorded, result.size, result.sha256):
                return recorded
            raise access_denied(ALREADY_USED) from None
        except BaseException:
            # Unrecorded bytes are not acknowledged: drop them now rather than at cleanup.
            await to_thread.run_sync(self._store.delete, storage_id)
            raise
        return stored


async def replay(
    stored: StoredObject, chunks: AsyncIterator[bytes], content_length: int | None
) -> StoredObject:
    """``stored`` when the body is the bytes it holds, else AccessDenied; nothing is written."""
    if content_length is not None and content_length != stored.size:
        raise access_denied(ALREADY_USED)
    try:
        result = await ingest(chunks, _Discard(), stored.size)
    except BodyTooLarge:
        raise access_denied(ALREADY_USED) from None
    if not same_bytes(stored, result.size, result.sha256) or result.md5 != stored.md5:
        raise access_denied(ALREADY_USED)
    return stored


def same_bytes(stored: StoredObject, size: int, sha256: str) -> bool:
    return stored.size == size and stored.sha256 == sha256


def entity_too_large(limit: int) -> S3Error:
    return S3Error(
        400,
        "EntityTooLarge",
        f"Your proposed upload exceeds the maximum allowed size of {limit} bytes.",
    )


def slow_down() -> S3Error:
    return S3Error(
        503,
        "SlowDown",
        "The object store is out of space; retry later.",
        headers={"Retry-After": str(SLOW_DOWN_RETRY_AFTER)},
    )
