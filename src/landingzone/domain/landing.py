"""Landing uploads that went straight to S3 on pre-signed URLs.

With the embedded store the server sees every PUT; with S3 the bytes never
pass through landingzone, so the validation workers poll the ``incoming/``
prefix (``LZ_S3_POLL_SECONDS``) and land what they find, in this order:

1. an upload id already recorded (a repeat PUT on a URL still in its lifetime,
   or a crash after step 5): the incoming object is discarded;
2. the target is resolved like the embedded endpoint does (refused, e.g.
   a Files API file that failed meanwhile): discarded, with a warning;
3. larger than ``LZ_MAX_OBJECT_SIZE``: discarded, with a warning (a pre-signed
   PUT cannot carry a size limit; S3 itself caps a PUT at 5 GiB);
4. copied server side under a fresh storage id (gone meanwhile: another
   worker landed it), then hashed (SHA-256 and MD5,
   streamed) from that immutable copy;
5. recorded exactly as an embedded upload is (the same rows, the same queue);
6. the incoming object is deleted.

Every step is safe to repeat: several workers may poll at once, and the
upload id's uniqueness in the catalog decides which copy is kept; a crash
between 4 and 5 leaves an unrecorded copy that startup reconciliation removes.
Polling, not S3 event notifications, because it works the same on every
S3-compatible store and needs nothing configured on the bucket.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Protocol

from landingzone.domain.ports import UploadAlreadyUsed
from landingzone.domain.targets import UploadTargets
from landingzone.errors import Reason, UploadRefused
from landingzone.storage.base import Digests, IncomingObject

log = logging.getLogger(__name__)
LANDING_THREADS = 8


class IncomingStore(Protocol):
    def incoming(self) -> Iterator[IncomingObject]: ...
    def adopt(self, incoming: IncomingObject) -> str | None: ...
    def digests(self, storage_id: str) -> Digests: ...
    def discard_incoming(self, incoming: IncomingObject) -> None: ...
    def delete(self, storage_id: str) -> None: ...


@dataclass
class LandingCounts:
    landed: int = 0
    discarded: int = 0


class Lander:
    def __init__(self, store: IncomingStore, targets: UploadTargets, max_size: int) -> None:
        self._store = store
        self._targets = targets
        self._max_size = max_size

    def land_all(self) -> LandingCounts:
        """Land every incoming object; one that fails is retried at the next poll.

        Several at once: each landing is a few S3 round trips and a database
        commit, so a push of a thousand small files would otherwise take a
        thousand times that latency to appear.
        """
        counts = LandingCounts()
        with ThreadPoolExecutor(LANDING_THREADS, thread_name_prefix="lz-land") as pool:
            for landed in pool.map(self._land_logged, self._store.incoming()):
                if landed is True:
                    counts.landed += 1
                elif landed is False:
                    counts.discarded += 1
        return counts

    def _land_logged(self, incoming: IncomingObject) -> bool | None:
        """``land``, with a failure logged (None) instead of raised."""
        try:
            return self.land(incoming)
        except Exception:
            log.exception("landing upload %s failed; retrying later", incoming.upload_id)
            return None

    def land(self, incoming: IncomingObject) -> bool:
        """Record one incoming object; False when it was discarded instead."""
        if self._targets.catalog.upload_used(incoming.upload_id):
            self._store.discard_incoming(incoming)
            return False
        try:
            target = self._targets.resolve(incoming.logical_key, incoming.upload_id)
            if incoming.size > self._max_size:
                raise UploadRefused(Reason.TOO_LARGE, limit=self._max_size)
        except UploadRefused as refused:
            log.warning(
                "discarding upload %s to %s (%d bytes): %s [%s]",
                incoming.upload_id, incoming.logical_key, incoming.size, refused,
                refused.reason.name,
            )  # fmt: skip
            self._store.discard_incoming(incoming)
            return False
        storage_id = self._store.adopt(incoming)
        if storage_id is None:
            return False  # another worker landed it and deleted the incoming object
        try:
            digests = self._store.digests(storage_id)
            new = target.new_object(storage_id, digests.size, digests.sha256, digests.md5)
            self._targets.record(target, new)
        except UploadAlreadyUsed:
            # Another worker landed the same upload first: its copy is the one recorded.
            self._store.delete(storage_id)
            self._store.discard_incoming(incoming)
            return False
        except BaseException:
            self._store.delete(storage_id)
            raise
        self._store.discard_incoming(incoming)
        log.info("landed upload %s to %s (%d bytes)", incoming.upload_id, target.key, digests.size)
        return True
