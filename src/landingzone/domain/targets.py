"""What an upload URL may write, and recording an upload once its bytes are durable.

Shared by the embedded object endpoint (``domain/uploads.py``), which sees the
PUT itself, and the S3 lander (``domain/landing.py``), which finds the object
after the uploader PUT it straight to S3: both resolve the same logical key
and record the same rows, so a push or a Files API upload behaves the same on
either backend.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from landingzone.domain.keys import FilesKey, parse_files_key, parse_push_key
from landingzone.domain.models import (
    App,
    Customer,
    FileRecord,
    FileStatus,
    NewObject,
    StoredObject,
)
from landingzone.domain.ports import DatasetCatalog, FileCatalog, ObjectCatalog, Tenants
from landingzone.domain.tabular import tabular_type
from landingzone.errors import Reason, UploadRefused
from landingzone.storage.base import ObjectStore
from landingzone.timeutil import utcnow


@dataclass(frozen=True)
class UploadTarget:
    key: str
    upload_id: str
    customer: Customer
    app: App | None
    filename: str
    type: str | None
    file_id: str | None = None  # a Files API upload

    def new_object(self, storage_id: str, size: int, sha256: str, md5: str) -> NewObject:
        """What to record once this target's bytes are durable under ``storage_id``."""
        return NewObject(
            storage_id=storage_id,
            upload_id=self.upload_id,
            customer_id=self.customer.id,
            app_pk=self.app.id if self.app else None,
            object_key=self.key,
            filename=self.filename,
            type=self.type,
            size=size,
            sha256=sha256,
            md5=md5,
        )


class UploadTargets:
    def __init__(
        self,
        tenants: Tenants,
        catalog: ObjectCatalog,
        files: FileCatalog,
        datasets: DatasetCatalog,
        store: ObjectStore,
    ) -> None:
        self._tenants = tenants
        self.catalog = catalog
        self._files = files
        self._datasets = datasets
        self._store = store

    def resolve(self, key: str, upload_id: str) -> UploadTarget:
        """The target of a signed ``key``; refused when it is gone or already used."""
        files_key = parse_files_key(key)
        if files_key is not None:
            return self._resolve_file(key, upload_id, files_key)
        push = parse_push_key(key)
        customer = self._tenants.get_customer_by_name(push.customer) if push else None
        app = self._tenants.get_app(customer.id, push.app_id) if push and customer else None
        if push is None or customer is None or app is None:
            raise UploadRefused(Reason.TARGET_GONE)
        return UploadTarget(key, upload_id, customer, app, push.filename, push.type)

    def _resolve_file(self, key: str, upload_id: str, files_key: FilesKey) -> UploadTarget:
        record = self._files.get(files_key.file_id)
        customer = self._tenants.get_customer(record.customer_id) if record else None
        if (
            record is None
            or customer is None
            or customer.name != files_key.customer
            or record.upload_id != upload_id
        ):
            raise UploadRefused(Reason.TARGET_GONE)
        if record.uploaded_at is not None:
            raise UploadRefused(Reason.USED)
        if record.status is not FileStatus.PENDING:
            raise UploadRefused(Reason.FILE_CLOSED, status=record.status.value)
        return UploadTarget(key, upload_id, customer, None, record.name, None, record.id)

    def record(self, target: UploadTarget, new: NewObject) -> StoredObject:
        """Record the object, and queue the file for validation when it is a table.

        Raises ``UploadAlreadyUsed`` when another request recorded ``upload_id`` first.
        """
        if target.file_id is not None:
            return self._files.record_upload(new, target.file_id)
        version = self._datasets.latest(target.type) if target.type else None
        file_type = (
            tabular_type(target.filename, self._head_of(new.storage_id)) if version else None
        )
        if version is None or file_type is None:
            return self.catalog.record(new)
        # A tabular push whose type names a dataset type is validated like a Files API upload.
        record = FileRecord.pending(
            target.customer.id, version, target.filename, file_type, target.upload_id, utcnow()
        )
        return self._files.record_new_upload(new, record)

    def _head_of(self, storage_id: str) -> Callable[[int], bytes]:
        """Reads the first bytes of a stored object (the durable copy, on either store)."""

        def read_head(size: int) -> bytes:
            with self._store.open(storage_id) as source:
                return source.read(size)

        return read_head
