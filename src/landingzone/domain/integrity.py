"""`landingzone admin verify`: re-hash stored objects and report those that changed.

Stored files are never modified (SPEC §8), so an object whose bytes no longer
hash to the SHA-256 recorded when its upload was acknowledged was damaged at
rest: a disk, a filesystem, a restore, or a hand in the bucket. This reads
every version through the object store (local disk or S3) and compares.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Protocol

from landingzone.domain.models import StoredObject
from landingzone.domain.ports import Tenants
from landingzone.errors import NotFound
from landingzone.storage.base import ObjectStore

READ_BLOCK = 1024 * 1024
PAGE = 500
MISMATCH = "sha256-mismatch"
MISSING = "missing"


class StoredObjects(Protocol):
    def list_after(
        self, after_id: int, limit: int, customer_id: int | None = None
    ) -> list[StoredObject]: ...


@dataclass(frozen=True)
class Damaged:
    """One stored version whose bytes are not the ones acknowledged."""

    stored: StoredObject
    customer: str
    problem: str  # MISMATCH or MISSING
    actual_sha256: str | None
    actual_size: int | None


@dataclass
class VerifyReport:
    checked: int = 0
    bytes_read: int = 0
    problems: list[Damaged] = field(default_factory=list)


def hash_stream(read: Callable[[int], bytes]) -> tuple[str, int]:
    digest = hashlib.sha256()
    size = 0
    while block := read(READ_BLOCK):
        digest.update(block)
        size += len(block)
    return digest.hexdigest(), size


class IntegrityService:
    def __init__(self, tenants: Tenants, objects: StoredObjects, store: ObjectStore) -> None:
        self._tenants = tenants
        self._objects = objects
        self._store = store

    def verify(
        self,
        customer_name: str | None = None,
        progress: Callable[[StoredObject], None] | None = None,
    ) -> VerifyReport:
        """Re-hash every stored version (of one customer, or all) from the store."""
        customer_id = None
        if customer_name is not None:
            customer = self._tenants.get_customer_by_name(customer_name)
            if customer is None:
                raise NotFound(
                    f"No customer named '{customer_name}'; see 'landingzone admin customer list'."
                )
            customer_id = customer.id
        names = {c.id: c.name for c in self._tenants.list_customers()}
        report = VerifyReport()
        for stored in self._all(customer_id):
            if progress is not None:
                progress(stored)
            found = self._check(stored, names.get(stored.customer_id, str(stored.customer_id)))
            report.checked += 1
            if found is None:
                report.bytes_read += stored.size
            else:
                report.bytes_read += found.actual_size or 0
                report.problems.append(found)
        return report

    def _all(self, customer_id: int | None) -> Iterator[StoredObject]:
        after = 0
        while page := self._objects.list_after(after, PAGE, customer_id):
            yield from page
            after = page[-1].id

    def _check(self, stored: StoredObject, customer: str) -> Damaged | None:
        try:
            with self._store.open(stored.storage_id) as source:
                sha256, size = hash_stream(source.read)
        except FileNotFoundError:
            return Damaged(stored, customer, MISSING, None, None)
        if sha256 == stored.sha256 and size == stored.size:
            return None
        return Damaged(stored, customer, MISMATCH, sha256, size)
