"""Validating one claimed file: read its object, validate, write Parquet, commit fenced.

Order, for exactly-once results: the Parquet part of this attempt is made
durable first, then the file row is updated only if it still carries this
attempt (fencing). A worker whose claim was taken over finds its commit refused
and removes its own part; a Failed file keeps no part at all.
"""

from __future__ import annotations

import contextlib
import logging
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO

from landingzone.domain.models import FileOutcome, FileRecord, FileStatus, StoredObject
from landingzone.domain.ports import DatasetCatalog, FileQueue, ObjectCatalog, Tenants
from landingzone.domain.retirement import FileRetirement
from landingzone.errors import StorageFull, StorageUnavailable
from landingzone.storage.analytics import AnalyticsStore
from landingzone.storage.base import ObjectStore
from landingzone.validation import FAST_PATH_MIN_BYTES
from landingzone.validation.report import CellError

if TYPE_CHECKING:
    from landingzone.validation.schema import DatasetType

log = logging.getLogger(__name__)


def dictionary_columns(dataset: DatasetType) -> list[str]:
    """The fields worth dictionary-encoding in Parquet: those with few distinct values."""
    return [f.name for f in dataset.table_schema.fields if f.constraints.enum is not None]


@dataclass
class ValidationJob:
    files: FileQueue
    objects: ObjectCatalog
    datasets: DatasetCatalog
    tenants: Tenants
    store: ObjectStore
    analytics: AnalyticsStore
    error_cap: int
    temp_dir: Path | None = None
    # Where objects of a store without local files are downloaded for validation.
    spool_dir: Path | None = None
    # Removes the Parquet of the file a Completed replacement superseded.
    retirement: FileRetirement | None = None

    def run(self, record: FileRecord) -> bool:
        """Validate a claimed file; True if this attempt's result was committed."""
        from landingzone.validation.validator import Validator  # pyarrow, DuckDB: only here

        started = time.monotonic()
        version = self.datasets.get(record.dataset_type_id)
        stored = self.objects.get(record.object_pk) if record.object_pk is not None else None
        customer = self.tenants.get_customer(record.customer_id)
        if version is None or stored is None or customer is None:
            outcome = FileOutcome(
                FileStatus.FAILED, "the uploaded object or its dataset type is missing",
                0, 0, 0, 0, 0, False,
            )  # fmt: skip
            return self.files.complete(record.id, record.attempt, outcome, [])
        dataset = version.dataset
        # A retry starts clean: parts of earlier attempts go.
        self.analytics.remove_older(dataset.name, customer.name, record.id, record.attempt)
        writer = self.analytics.writer(
            dataset.name, customer.name, record.id, record.attempt, dictionary_columns(dataset)
        )
        errors: list[CellError] = []
        try:
            with self._local_copy(stored) as local, self._open(stored, local) as source:
                validator = Validator(
                    dataset,
                    self.error_cap,
                    temp_dir=self.temp_dir,
                    delimiter=DELIMITERS.get(record.file_type, ","),
                )
                report = validator.validate(StoreReader(source), writer, local, hash_all=True)
            corrupted = corruption(stored, report.sha256)
            if report.fatal or corrupted:
                writer.abort()
            else:
                writer.commit(report.duplicate_rows)
        except BaseException as exc:
            writer.abort()
            if not isinstance(exc, Exception) or retryable(exc):
                raise
            outcome = processing_error(record, exc, started)
        else:
            if corrupted:
                log.error("file %s: %s (storage id %s)", record.id, corrupted, stored.storage_id)
                outcome = failed(corrupted, started)
            else:
                outcome = FileOutcome(
                    status=FileStatus.FAILED if report.fatal else FileStatus.COMPLETED,
                    failure_reason=report.fatal,
                    rows_total=report.rows_total,
                    rows_imported=report.rows_imported,
                    rows_rejected=report.rows_rejected,
                    duration_ms=elapsed_ms(started),
                    error_count=report.error_count,
                    errors_truncated=report.errors_truncated,
                )
                errors = report.errors
        committed = self.files.complete(record.id, record.attempt, outcome, errors)
        if committed:
            # A stale attempt may have published its part after this one started
            # (and then died before its refused commit could remove it): drop it now.
            self.analytics.remove_older(dataset.name, customer.name, record.id, record.attempt)
            if record.replaces is not None and self.retirement is not None:
                self.retirement.purge(record.replaces)
        else:
            log.warning(
                "file %s attempt %d lost its claim; result discarded", record.id, record.attempt
            )
            self._drop_part(dataset.name, customer.name, record)
        return committed

    @contextmanager
    def _local_copy(self, stored: StoredObject) -> Iterator[Path | None]:
        """The object as a local file, for the parallel fast path; None to stream it.

        A store without local files (S3) has a large object downloaded into the
        spool directory first (boto3 fetches ranges in parallel), and removed
        after. With no spool directory, or no room in it, the object is streamed
        to the exact validator instead.
        """
        local = self.store.local_path(stored.storage_id)
        if local is not None or self.spool_dir is None or stored.size < FAST_PATH_MIN_BYTES:
            yield local
            return
        target = self.spool_dir / f"{stored.storage_id}-{uuid.uuid4().hex[:8]}.spool"
        try:
            try:
                self.spool_dir.mkdir(parents=True, exist_ok=True)
                self.store.download(stored.storage_id, target)
            except OSError as exc:
                log.warning("spooling %s failed (%s): streaming it", stored.storage_id, exc)
                yield None
                return
            yield target
        finally:
            with contextlib.suppress(OSError):
                target.unlink(missing_ok=True)

    def _open(self, stored: StoredObject, local: Path | None) -> BinaryIO:
        return local.open("rb") if local is not None else self.store.open(stored.storage_id)

    def _drop_part(self, dataset: str, customer: str, record: FileRecord) -> None:
        self.analytics.drop_part(dataset, customer, record.id, record.attempt)


class StoreReadFailed(Exception):
    """Reading the stored object failed: the store, not the file (retried)."""


class StoreReader:
    """The stored object's stream, its read errors marked as the store's."""

    def __init__(self, source: BinaryIO) -> None:
        self._source = source

    def read(self, size: int = -1, /) -> bytes:
        try:
            return self._source.read(size)
        except Exception as exc:
            raise StoreReadFailed(f"reading the stored object failed: {exc}") from exc


def retryable(exc: Exception) -> bool:
    """Infrastructure failures, which another attempt may not meet: the store, the disk,
    the database, memory. Anything else raised while validating is deterministic."""
    import duckdb
    from sqlalchemy.exc import SQLAlchemyError

    infrastructure = (
        StoreReadFailed, StorageUnavailable, StorageFull, OSError, MemoryError,
        SQLAlchemyError, duckdb.IOException,
    )  # fmt: skip
    return isinstance(exc, infrastructure)


def elapsed_ms(started: float) -> int:
    return int((time.monotonic() - started) * 1000)


def failed(reason: str, started: float) -> FileOutcome:
    return FileOutcome(FileStatus.FAILED, reason, 0, 0, 0, elapsed_ms(started), 0, False)


def processing_error(record: FileRecord, exc: Exception, started: float) -> FileOutcome:
    """Fail the file at once: validating it again would fail the same way."""
    log.error(
        "file %s attempt %d: validation failed; failing the file without retrying",
        record.id, record.attempt, exc_info=exc,
    )  # fmt: skip
    cause = (str(exc).strip().splitlines() or [""])[0][:300]
    reason = (
        f"processing-error: landingzone could not validate this file "
        f"({type(exc).__name__}: {cause}); retrying would not help. "
        "Report it to the operator with the file id."
    )
    return failed(reason, started)


CORRUPTED = "stored object corrupted"
# A pushed ``.tsv`` is tab-separated (domain/tabular.py); every other type is CSV.
DELIMITERS = {"tsv": "\t"}


def corruption(stored: StoredObject, sha256: str | None) -> str | None:
    """Why the bytes read are not the bytes uploaded (an operator problem), or None."""
    return hash_mismatch(sha256, stored.sha256)


def hash_mismatch(read: str | None, recorded: str | None) -> str | None:
    """The corruption reason when the SHA-256 ``read`` is not the one ``recorded``, or None."""
    if read is None or not recorded or read == recorded:
        return None
    return (
        f"{CORRUPTED}: the stored bytes have SHA-256 {read}, not {recorded} as "
        "uploaded; this is a storage fault, not an error in the data: an operator must "
        "restore the object from a backup (landingzone admin verify lists the damage)"
    )
