"""Removing what a retired file leaves behind: its Parquet parts, and if retracted its bytes.

A file retires in one database commit (superseded by its replacement, or retracted);
what it leaves in the analytics store and the object store can only go after that
commit. The commit sets ``purge_pending``; ``purge`` runs right after it, and the
pipeline's reconciler ``sweep``s whatever a crash left in between. Both are
idempotent: removing a part or an object twice is harmless.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Protocol

from landingzone.domain.models import FileRecord, FileStatus
from landingzone.storage.analytics import AnalyticsStore
from landingzone.storage.base import ObjectStore

log = logging.getLogger(__name__)
SWEEP_BATCH = 100


@dataclass(frozen=True)
class RetiredFile:
    """A superseded or retracted file whose leftovers are still to be removed."""

    record: FileRecord
    customer: str
    # The stored object's id while its row names one (a retracted file's bytes go too).
    storage_id: str | None


class RetiredFiles(Protocol):
    def retired(self, file_id: str) -> RetiredFile | None: ...
    def pending_purges(self, limit: int) -> list[RetiredFile]: ...
    def purged(self, file_id: str) -> None: ...


class FileRetirement:
    def __init__(self, files: RetiredFiles, store: ObjectStore, analytics: AnalyticsStore) -> None:
        self._files = files
        self._store = store
        self._analytics = analytics

    def purge(self, file_id: str) -> None:
        """Remove the leftovers of a file that just retired (nothing if there are none)."""
        retired = self._files.retired(file_id)
        if retired is not None:
            self._remove(retired)

    def sweep(self) -> int:
        """Finish the purges a crash interrupted; the number of files done."""
        done = 0
        while batch := self._files.pending_purges(SWEEP_BATCH):
            for retired in batch:
                self._remove(retired)
            done += len(batch)
        if done:
            log.info("purged the leftovers of %d retired files", done)
        return done

    def _remove(self, retired: RetiredFile) -> None:
        record = retired.record
        # Every attempt's part, the last one included.
        self._analytics.remove_older(
            record.dataset_name, retired.customer, record.id, record.attempt + 1
        )
        if record.status is FileStatus.DELETED and retired.storage_id is not None:
            self._store.delete(retired.storage_id)
        self._files.purged(record.id)
