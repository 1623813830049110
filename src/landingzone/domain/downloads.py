"""Reading stored bytes back (SPEC §3, §4, §9): owners read their own, operators any.

A download names one stored version: a pushed object by app, name and version, a
Files API file by id, or (operators) an object by its catalog id. ``DownloadService``
resolves it (404 for what the caller may not see, 409 for a file whose bytes were
never stored), then either opens the bytes, or a range of them, for the HTTP face to
stream, or, where the object store hands out its own short-lived GET URLs (S3),
returns one to redirect to. Each delivery appends one ``object.download`` row to the
audit log: who read which object of which customer.
"""

from __future__ import annotations

import mimetypes
from dataclasses import dataclass
from typing import BinaryIO, Protocol
from urllib.parse import quote

from landingzone.domain import paging
from landingzone.domain.audit import Actor
from landingzone.domain.models import FileRecord, FileStatus, StoredObject
from landingzone.domain.names import is_app_id, normalize_filename
from landingzone.domain.paging import check_limit
from landingzone.domain.ports import AuditTrail, Tenants
from landingzone.errors import InvalidInput, NotFound, WrongState
from landingzone.timeutil import utcnow

DOWNLOAD = "object.download"
CURSOR_KIND = "o"  # object ids, newest first: the push listing's kind too
FALLBACK_TYPE = "application/octet-stream"
MAX_ID = 2**63 - 1  # no catalog id is larger; a larger number is no id, not a database error
# RFC 5987 attr-char: what a filename* value may carry unescaped.
ATTR_CHARS = "!#$&+-.^_`|~"
# ASCII a plain filename="..." cannot carry safely (quoting, and browsers that decode %XX).
UNSAFE_IN_QUOTES = frozenset('"\\%')


def content_type_for(name: str) -> str:
    """The media type the name's extension says (``text/csv``), else octet-stream."""
    guessed, _ = mimetypes.guess_type(name, strict=False)
    return guessed or FALLBACK_TYPE


def attachment(name: str) -> str:
    """``Content-Disposition`` saving the bytes as ``name`` (RFC 6266, RFC 5987 beyond ASCII).

    An ASCII fallback ``filename`` for old clients, and ``filename*`` with the exact
    UTF-8 name where the fallback had to change it.
    """
    plain = name.isascii() and name.isprintable() and not UNSAFE_IN_QUOTES & set(name)
    if plain:
        return f'attachment; filename="{name}"'
    fallback = "".join(
        c if c.isascii() and c.isprintable() and c not in UNSAFE_IN_QUOTES else "_" for c in name
    )
    exact = quote(name, safe=ATTR_CHARS)
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{exact}"


@dataclass(frozen=True)
class Download:
    """One stored version about to be read: its bytes, and how they are presented."""

    stored: StoredObject
    name: str  # the filename the reader saves the bytes under
    target: str  # what the audit log names: the object key, or the Files API file id

    @property
    def size(self) -> int:
        return self.stored.size

    @property
    def etag(self) -> str:
        """The quoted MD5, as the upload's PUT answered it."""
        return f'"{self.stored.md5}"'

    @property
    def content_type(self) -> str:
        return content_type_for(self.name)

    @property
    def disposition(self) -> str:
        return attachment(self.name)


@dataclass(frozen=True)
class ListedObject:
    """A stored version as the operators' listing shows it, with its owners' names."""

    stored: StoredObject
    customer: str
    app: str | None  # None for a Files API upload, which belongs to no app


@dataclass(frozen=True)
class ObjectFilter:
    """What `GET /admin/v1/objects` narrows the catalog to."""

    customer_id: int | None = None
    app_id: str | None = None


class ObjectVersions(Protocol):
    """The object catalog as downloads read it."""

    def get(self, object_pk: int) -> StoredObject | None: ...
    def find_version(
        self, app_pk: int, filename: str, version: int | None, type: str | None
    ) -> StoredObject | None: ...
    def listing(
        self, where: ObjectFilter, limit: int, before_id: int | None
    ) -> list[ListedObject]: ...


class FileLookup(Protocol):
    def get(self, file_id: str) -> FileRecord | None: ...


class RangedReads(Protocol):
    """The object store's part in a download it streams itself."""

    def open_range(self, storage_id: str, start: int, length: int) -> BinaryIO: ...


class DownloadLinks(Protocol):
    """An object store's own short-lived GET URLs (S3's pre-signed GETs)."""

    def presign_get(self, storage_id: str, content_type: str, content_disposition: str) -> str: ...


def _no_bytes(record: FileRecord) -> str:
    """Why a file has no stored bytes to read, in words that say what to do."""
    if record.status is FileStatus.PENDING and record.url_expires_at < utcnow():
        return (
            f"File '{record.id}' has no stored bytes: its upload URL expired unused. "
            "Ask for a new upload URL (POST /analytics/files/upload) and upload it again."
        )
    if record.status is FileStatus.PENDING:
        return (
            f"File '{record.id}' has no stored bytes yet: it is waiting for its upload. "
            "PUT the file to its uploadUrl first."
        )
    if record.status is FileStatus.DELETED:
        return f"File '{record.id}' was retracted: its stored bytes were deleted."
    reason = f" ({record.failure_reason})" if record.failure_reason else ""
    return f"File '{record.id}' has no stored bytes: it is {record.status.value}{reason}."


class DownloadService:
    def __init__(
        self,
        tenants: Tenants,
        objects: ObjectVersions,
        files: FileLookup,
        store: RangedReads,
        links: DownloadLinks | None,
        audit: AuditTrail,
    ) -> None:
        self._tenants = tenants
        self._objects = objects
        self._files = files
        self._store = store
        self._links = links
        self._audit = audit

    # -- what to read ------------------------------------------------------------------

    def owned_object(
        self,
        customer_id: int | None,
        app_id: str,
        filename: str,
        version: int | None = None,
        type: str | None = None,
    ) -> Download:
        """A pushed object of the caller's app: the newest upload of ``filename`` (of that
        ``type``, if given), or its ``version``."""
        app = (
            self._tenants.get_app(customer_id, app_id)
            if customer_id is not None and is_app_id(app_id)
            else None
        )
        if app is None:
            raise NotFound(
                f"App '{app_id}' does not exist for this customer; ask your operator to create it."
            )
        if version is not None and version < 1:
            raise InvalidInput(f"Invalid version {version}: versions count from 1.")
        name = normalize_filename(filename)
        stored = self._objects.find_version(app.id, name, version, type)
        if stored is None:
            which = f" version {version}" if version is not None else ""
            kind = f" of type '{type}'" if type is not None else ""
            raise NotFound(
                f"No file '{name}'{kind}{which} was pushed to app '{app_id}': "
                "GET .../files lists what was."
            )
        return Download(stored, stored.filename, stored.object_key)

    def owned_file(self, customer_id: int | None, file_id: str) -> Download:
        """A Files API file of the caller's customer."""
        record = self._files.get(file_id)
        if record is None or record.customer_id != customer_id:
            raise NotFound(f"No file with id '{file_id}'.")
        return self._file_bytes(record)

    def any_file(self, file_id: str) -> Download:
        """Any customer's Files API file (operators)."""
        record = self._files.get(file_id)
        if record is None:
            raise NotFound(f"No file with id '{file_id}'.")
        return self._file_bytes(record)

    def any_object(self, object_id: str) -> Download:
        """Any customer's stored version, by its catalog id (operators)."""
        known = object_id.isascii() and object_id.isdigit() and int(object_id) <= MAX_ID
        stored = self._objects.get(int(object_id)) if known else None
        if stored is None:
            raise NotFound(f"No object with id '{object_id}': GET /admin/v1/objects lists them.")
        return Download(stored, stored.filename, stored.object_key)

    def _file_bytes(self, record: FileRecord) -> Download:
        stored = self._objects.get(record.object_pk) if record.object_pk is not None else None
        if stored is None or record.status is FileStatus.DELETED:
            raise WrongState(_no_bytes(record))
        return Download(stored, record.name, record.id)

    def list_objects(
        self, customer: str | None, app_id: str | None, limit: int, cursor: str | None
    ) -> paging.Page[ListedObject]:
        """Every customer's stored versions, newest first (operators)."""
        check_limit(limit)
        before = paging.decode_cursor(CURSOR_KIND, cursor) if cursor else None
        customer_id: int | None = None
        if customer is not None:
            found = self._tenants.get_customer_by_name(customer)
            if found is None:
                raise NotFound(f"No customer named '{customer}'.")
            customer_id = found.id
            if app_id is not None and self._tenants.get_app(found.id, app_id) is None:
                raise NotFound(f"Customer '{customer}' has no app '{app_id}'.")
        fetched = self._objects.listing(ObjectFilter(customer_id, app_id), limit + 1, before)
        return paging.page_of(fetched, limit, CURSOR_KIND, lambda item: item.stored.id)

    # -- reading it --------------------------------------------------------------------

    @property
    def redirects(self) -> bool:
        """Whether downloads are served by the object store itself (a redirect)."""
        return self._links is not None

    def link(self, download: Download, actor: Actor) -> str:
        """A short-lived URL the object store serves the bytes at; audited as a download."""
        if self._links is None:
            raise RuntimeError("this object store hands out no download URLs: open() the bytes")
        url = self._links.presign_get(
            download.stored.storage_id, download.content_type, download.disposition
        )
        self._record(download, actor)
        return url

    def open(self, download: Download, actor: Actor, start: int, length: int) -> BinaryIO:
        """``length`` bytes from ``start``, to stream; audited as a download."""
        try:
            source = self._store.open_range(download.stored.storage_id, start, length)
        except FileNotFoundError:
            raise WrongState(
                f"The stored bytes of '{download.name}' are missing from the object store; "
                "your operator can check them with 'landingzone admin verify'."
            ) from None
        try:
            self._record(download, actor)
        except BaseException:
            source.close()
            raise
        return source

    def _record(self, download: Download, actor: Actor) -> None:
        self._audit.record(actor.did(DOWNLOAD, download.target, download.stored.customer_id))
