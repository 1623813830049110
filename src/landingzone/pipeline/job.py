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
from landingzone.domain.ports import DatasetCatalog, FileCatalog, ObjectCatalog, Tenants
from landingzone.storage.analytics import AnalyticsStore
from landingzone.storage.base import ObjectStore
from landingzone.validation import FAST_PATH_MIN_BYTES

if TYPE_CHECKING:
    from landingzone.validation.schema import DatasetType

log = logging.getLogger(__name__)


def dictionary_columns(dataset: DatasetType) -> list[str]:
    """The fields worth dictionary-encoding in Parquet: those with few distinct values."""
    return [f.name for f in dataset.table_schema.fields if f.constraints.enum is not None]


@dataclass
class ValidationJob:
    files: FileCatalog
    objects: ObjectCatalog
    datasets: DatasetCatalog
    tenants: Tenants
    store: ObjectStore
    analytics: AnalyticsStore
    error_cap: int
    temp_dir: Path | None = None
    # Where objects of a store without local files are downloaded for validation.
    spool_dir: Path | None = None

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
        try:
            with self._local_copy(stored) as local, self._open(stored, local) as source:
                validator = Validator(dataset, self.error_cap, temp_dir=self.temp_dir)
                report = validator.validate(source, writer, local)
            if report.fatal:
                writer.abort()
            else:
                writer.commit(report.duplicate_rows)
        except BaseException:
            writer.abort()
            raise
        outcome = FileOutcome(
            status=FileStatus.FAILED if report.fatal else FileStatus.COMPLETED,
            failure_reason=report.fatal,
            rows_total=report.rows_total,
            rows_imported=report.rows_imported,
            rows_rejected=report.rows_rejected,
            duration_ms=int((time.monotonic() - started) * 1000),
            error_count=report.error_count,
            errors_truncated=report.errors_truncated,
        )
        committed = self.files.complete(record.id, record.attempt, outcome, report.errors)
        if committed:
            # A stale attempt may have published its part after this one started
            # (and then died before its refused commit could remove it): drop it now.
            self.analytics.remove_older(dataset.name, customer.name, record.id, record.attempt)
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
