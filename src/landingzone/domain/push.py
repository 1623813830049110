"""The batch Push API use-cases (SPEC §3): signed URLs for up to 100 files, and the listing."""

from __future__ import annotations

import time
from dataclasses import dataclass

from landingzone.auth.signing import new_upload_ids
from landingzone.domain import paging
from landingzone.domain.audit import ISSUE_URLS, Actor
from landingzone.domain.keys import PUSH_TYPES, PushKey
from landingzone.domain.models import App, Customer, FileRecord, StoredObject
from landingzone.domain.names import filename_problem, is_app_id, normalize_filename
from landingzone.domain.paging import check_limit
from landingzone.domain.ports import (
    DatasetCatalog,
    FileCatalog,
    GroupedAuditTrail,
    ObjectCatalog,
    Tenants,
    UploadUrlSigner,
)
from landingzone.errors import InvalidInput, MissingArgument, NotFound

MAX_BATCH = 100


@dataclass(frozen=True)
class FilePage:
    items: list[StoredObject]
    next_cursor: str | None
    # The file (id, status, failure reason) of each item that is validated, by object.
    files: dict[int, FileRecord]


def encode_cursor(object_pk: int) -> str:
    return paging.encode_cursor("o", object_pk)


def decode_cursor(cursor: str) -> int:
    return paging.decode_cursor("o", cursor)


class PushService:
    def __init__(
        self,
        tenants: Tenants,
        catalog: ObjectCatalog,
        files: FileCatalog,
        datasets: DatasetCatalog,
        signer: UploadUrlSigner,
        url_ttl: int,
        audit: GroupedAuditTrail,
    ) -> None:
        self._audit = audit
        self._tenants = tenants
        self._catalog = catalog
        self._files = files
        self._datasets = datasets
        self._signer = signer
        self._url_ttl = url_ttl

    def app(self, customer_id: int, app_id: str) -> tuple[Customer, App]:
        found = (
            self._tenants.get_app_with_customer(customer_id, app_id) if is_app_id(app_id) else None
        )
        if found is None:
            raise NotFound(
                f"App '{app_id}' does not exist for this customer; ask your operator to create it."
            )
        app, customer = found
        return customer, app

    async def upload_urls(
        self,
        customer_id: int,
        app_id: str,
        filenames: list[str],
        file_type: str | None,
        actor: Actor,
    ) -> dict[str, str]:
        """Signed PUT URLs by filename, once the batch is in the audit log (SPEC §9)."""
        urls = self._sign_batch(customer_id, app_id, filenames, file_type)
        # The target names the app and the count, never a URL (each is a bearer secret).
        await self._audit.record(
            actor.did(ISSUE_URLS, f"{app_id}: {len(urls)} upload URLs", customer_id)
        )
        return urls

    def _sign_batch(
        self, customer_id: int, app_id: str, filenames: list[str], file_type: str | None
    ) -> dict[str, str]:
        if not filenames:
            raise MissingArgument("filenames")
        if len(filenames) > MAX_BATCH:
            raise InvalidInput(
                f"Too many filenames ({len(filenames)}): send at most {MAX_BATCH} per request."
            )
        if file_type is not None:
            self._check_type(file_type)
        seen: set[str] = set()
        normalized: list[tuple[str, str]] = []
        for raw in filenames:
            problem = filename_problem(raw)
            if problem:
                raise InvalidInput(f"Invalid filename {raw!r}: it {problem}.")
            name = normalize_filename(raw)
            if name in seen:
                raise InvalidInput(f"Duplicate filename {raw!r}: name each file once per request.")
            seen.add(name)
            normalized.append((raw, name))
        customer, app = self.app(customer_id, app_id)
        expires_at = int(time.time()) + self._url_ttl
        upload_ids = new_upload_ids(len(normalized))
        return {
            raw: self._signer.presign_put(
                PushKey(customer.name, app.app_id, file_type, name).render(), expires_at, upload_id
            )
            for (raw, name), upload_id in zip(normalized, upload_ids, strict=True)
        }

    def _check_type(self, file_type: str) -> None:
        """``users``, ``contracts``, ``other`` (seed 002) or any dataset type's name (SPEC §3)."""
        if file_type in PUSH_TYPES or self._datasets.latest(file_type) is not None:
            return
        datasets = sorted(self._datasets.names() - set(PUSH_TYPES))
        choices = ", ".join(PUSH_TYPES)
        if datasets:
            choices += f", or a dataset type: {', '.join(datasets)}"
        raise InvalidInput(f"Unknown type {file_type!r}: use {choices}.")

    def list_files(self, customer_id: int, app_id: str, limit: int, cursor: str | None) -> FilePage:
        check_limit(limit)
        before = decode_cursor(cursor) if cursor else None
        _, app = self.app(customer_id, app_id)
        items = self._catalog.list_for_app(app.id, limit + 1, before)
        next_cursor = encode_cursor(items[limit - 1].id) if len(items) > limit else None
        page = items[:limit]
        validated = self._files.files_for_objects([item.id for item in page])
        return FilePage(items=page, next_cursor=next_cursor, files=validated)
