"""Orphan cleanup: what a crash or a killed worker left in the store and the spool.

Run by `landingzone serve` before it listens. An object is committed to the
store before its catalog row; a crash between the two leaves an object no row
names, which only this finds.
"""

from __future__ import annotations

import contextlib
import logging
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Protocol

from landingzone.storage.base import ObjectStore

log = logging.getLogger(__name__)
# Committed objects with no catalog row (a crash between rename and commit) are
# removed once they are this old; younger ones may belong to a live request.
ORPHAN_GRACE_SECONDS = 3600
SPOOL_GRACE_SECONDS = 24 * 3600
CHUNK = 500  # storage ids asked about in one catalog query


class StorageIdCatalog(Protocol):
    """A catalog whose rows refer to stored objects (uploads, submissions)."""

    def known_storage_ids(self, candidates: list[str]) -> set[str]: ...


class Housekeeping:
    def __init__(
        self, store: ObjectStore, catalogs: Sequence[StorageIdCatalog], spool_dir: Path
    ) -> None:
        self._store = store
        self._catalogs = catalogs
        self._spool_dir = spool_dir

    def cleanup(self) -> tuple[int, int]:
        """Remove abandoned temp files and orphaned objects; return both counts."""
        staged = self._store.cleanup_staging() + self._cleanup_spool()
        candidates = self._store.storage_ids_older_than(ORPHAN_GRACE_SECONDS, time.time())
        orphans: list[str] = []
        for start in range(0, len(candidates), CHUNK):
            chunk = candidates[start : start + CHUNK]
            known: set[str] = set()
            for catalog in self._catalogs:
                known |= catalog.known_storage_ids(chunk)
            orphans.extend(sid for sid in chunk if sid not in known)
        for sid in orphans:
            self._store.delete(sid)
        if staged or orphans:
            log.info("cleanup removed %d temp files and %d orphaned objects", staged, len(orphans))
        return staged, len(orphans)

    def _cleanup_spool(self) -> int:
        """Remove the S3 temp files (object copies, Parquet parts) a killed worker left.

        Only old ones: a worker process sharing the data directory may be
        validating from a young one right now.
        """
        removed = 0
        cutoff = time.time() - SPOOL_GRACE_SECONDS
        # Everything in the spool is a temp file of one job.
        for path in self._spool_dir.glob("*"):
            with contextlib.suppress(FileNotFoundError):
                if path.stat().st_mtime < cutoff:
                    path.unlink()
                    removed += 1
        return removed
