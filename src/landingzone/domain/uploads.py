"""Receiving a PUT on a signed URL (SPEC §6), independent of HTTP.

Order matters and is the durability contract: verify the URL, refuse an
oversize declared body before reading it, claim the upload id (refused while
a live request holds it), stream into a temp file while hashing, check length and
Content-MD5, fsync and rename, then record the row, then answer. A failure at
any step leaves no object and the URL still usable; only the recorded row
consumes it. Refusals are ``UploadRefused(Reason.…)``; ``api/objects.py`` says
them in S3's words.
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
from landingzone.domain.targets import UploadTarget, UploadTargets
from landingzone.errors import Reason, StorageFull, UploadRefused
from landingzone.storage.base import StagingStore, UploadInFlight


def parse_content_md5(header: str | None) -> bytes | None:
    if header is None:
        return None
    try:
        digest = base64.b64decode(header.strip(), validate=True)
    except (binascii.Error, ValueError):
        digest = b""
    if len(digest) != 16:
        raise UploadRefused(Reason.INVALID_DIGEST)
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
            raise UploadRefused(Reason.MISSING_AUTH)
        if len(query) != len(wanted) or not (
            params[EXPIRES_PARAM].isascii() and params[EXPIRES_PARAM].isdigit()
        ):
            raise UploadRefused(Reason.SIGNATURE)
        upload_id = params[UPLOAD_PARAM]
        expires_at = int(params[EXPIRES_PARAM])
        if not self._signer.verify(method, key, upload_id, expires_at, params[SIGNATURE_PARAM]):
            raise UploadRefused(Reason.SIGNATURE)
        # Checked when the request arrives: a slow upload that starts in time completes.
        if time.time() > expires_at:
            raise UploadRefused(Reason.EXPIRED)
        if self._store is None:
            # URLs issued before the operator moved storage to S3 still verify.
            raise UploadRefused(Reason.STORE_MOVED)
        recorded = self._catalog.by_upload_id(upload_id)
        if recorded is not None and recorded.object_key == key:
            return Replay(recorded)
        return self._targets.resolve(key, upload_id)

    def check_declared_length(self, content_length: int | None) -> None:
        if content_length is not None and content_length > self.max_size:
            raise UploadRefused(Reason.TOO_LARGE, limit=self.max_size)

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
            raise UploadRefused(Reason.USED)
        try:
            staged = self._store.begin_upload(target.upload_id)
        except UploadInFlight:
            raise UploadRefused(Reason.IN_FLIGHT) from None
        except StorageFull:
            raise UploadRefused(Reason.STORE_FULL) from None
        try:
            try:
                result = await ingest(chunks, staged, self.max_size)
            except BodyTooLarge:
                raise UploadRefused(Reason.TOO_LARGE, limit=self.max_size) from None
            except StorageFull:
                raise UploadRefused(Reason.STORE_FULL) from None
            if content_length is not None and result.size != content_length:
                raise UploadRefused(Reason.INCOMPLETE)
            if content_md5 is not None and content_md5 != result.md5_digest:
                raise UploadRefused(Reason.BAD_DIGEST)
            try:
                storage_id = await to_thread.run_sync(staged.commit)
            except StorageFull:
                raise UploadRefused(Reason.STORE_FULL) from None
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
            raise UploadRefused(Reason.USED) from None
        except BaseException:
            # Unrecorded bytes are not acknowledged: drop them now rather than at cleanup.
            await to_thread.run_sync(self._store.delete, storage_id)
            raise
        return stored


async def replay(
    stored: StoredObject, chunks: AsyncIterator[bytes], content_length: int | None
) -> StoredObject:
    """``stored`` when the body is the bytes it holds, else refused as used; nothing is written."""
    if content_length is not None and content_length != stored.size:
        raise UploadRefused(Reason.USED)
    try:
        result = await ingest(chunks, _Discard(), stored.size)
    except BodyTooLarge:
        raise UploadRefused(Reason.USED) from None
    if not same_bytes(stored, result.size, result.sha256) or result.md5 != stored.md5:
        raise UploadRefused(Reason.USED)
    return stored


def same_bytes(stored: StoredObject, size: int, sha256: str) -> bool:
    return stored.size == size and stored.sha256 == sha256
