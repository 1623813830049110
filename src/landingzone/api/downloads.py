"""Owners read their stored bytes back (SPEC §3, §4): a pushed file, or a Files API file.

``deliver`` is how every download route answers (the operators' ones in
``api/admin_objects.py`` too): 304 when ``If-None-Match`` names the stored
version; on S3 a 307 to a short-lived pre-signed GET (the bytes never pass
through landingzone); else the bytes streamed from the store in bounded memory,
the whole body (200) or one ``Range`` of it (206).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated, BinaryIO

from fastapi import APIRouter, Path, Request
from fastapi.responses import RedirectResponse, Response, StreamingResponse
from starlette.concurrency import iterate_in_threadpool

from landingzone.api.context import context
from landingzone.api.deps import actor, authorize
from landingzone.api.query import only_params, single_param
from landingzone.api.ranges import not_modified, range_applies, requested_range
from landingzone.auth.scopes import CONNECTOR_WRITE, FILES_READ, FILES_WRITE
from landingzone.domain.audit import Actor
from landingzone.domain.downloads import Download, DownloadService
from landingzone.errors import BadRequest

router = APIRouter()
STREAM_BLOCK = 1024 * 1024
# A pushed file is read back by the connector that pushed it, or by a reader.
OBJECT_READERS = (CONNECTOR_WRITE, FILES_READ)
# A Files API file, by its reader or its uploader (as its status is).
FILE_READERS = (FILES_READ, FILES_WRITE)
SHA256_HEADER = "X-Lz-Sha256"

AppId = Annotated[str, Path(alias="appId", description="The app the file was pushed to.")]
FileName = Annotated[str, Path(alias="fileName", description="The pushed file's name.")]
FileId = Annotated[str, Path(alias="id", description="The id from POST /analytics/files/upload")]


def blocks(source: BinaryIO) -> Iterator[bytes]:
    """The stream in blocks of at most 1 MiB, closed at the end (or when the reader leaves)."""
    with source:
        while block := source.read(STREAM_BLOCK):
            yield block


def deliver(
    request: Request, downloads: DownloadService, download: Download, who: Actor
) -> Response:
    """The answer to a download request for ``download``, on behalf of ``who``."""
    etag = download.etag
    described = {"Content-Disposition": download.disposition, SHA256_HEADER: download.stored.sha256}
    if not_modified(request.headers.get("if-none-match"), etag):
        return Response(status_code=304, headers={"ETag": etag})
    if downloads.redirects:
        url = downloads.link(download, who)
        # The URL works for minutes only: no cache may keep the redirect.
        return RedirectResponse(
            url, status_code=307, headers={**described, "Cache-Control": "no-store"}
        )
    size = download.size
    wanted = (
        requested_range(request.headers.get("range"), size)
        if range_applies(request.headers.get("if-range"), etag)
        else None
    )
    start, length = (wanted.start, wanted.length) if wanted else (0, size)
    headers = {
        **described,
        "ETag": etag,
        "Content-Type": download.content_type,
        "Content-Length": str(length),
        "Accept-Ranges": "bytes",
    }
    if wanted:
        headers["Content-Range"] = wanted.content_range(size)
    source = downloads.open(download, who, start, length)
    return StreamingResponse(
        iterate_in_threadpool(blocks(source)), status_code=206 if wanted else 200, headers=headers
    )


def version_param(request: Request) -> int | None:
    raw = single_param(request, "version")
    if raw is None:
        return None
    if not (raw.isascii() and raw.isdigit()) or len(raw) > 9 or int(raw) < 1:
        raise BadRequest(
            f"Invalid version '{raw}': use a version the listing shows (1, 2, ...), "
            "or leave it out for the current one."
        )
    return int(raw)


@router.get(
    "/services/push/v1/customer/apps/{appId}/files/{fileName}/content",
    tags=["push"],
    summary="The stored bytes of a pushed file (current version, or ?version=N)",
)
def pushed_file_content(app_id: AppId, file_name: FileName, request: Request) -> Response:
    principal = authorize(request, OBJECT_READERS)
    only_params(request, {"version", "type"})
    version = version_param(request)
    downloads = context(request).downloads
    found = downloads.owned_object(
        principal.customer_id, app_id, file_name, version, single_param(request, "type")
    )
    return deliver(request, downloads, found, actor(request, principal))


@router.get(
    "/analytics/files/{id}/content",
    tags=["files"],
    summary="The uploaded bytes of a Files API file",
)
def file_content(file_id: FileId, request: Request) -> Response:
    principal = authorize(request, FILE_READERS)
    downloads = context(request).downloads
    found = downloads.owned_file(principal.customer_id, file_id)
    return deliver(request, downloads, found, actor(request, principal))
