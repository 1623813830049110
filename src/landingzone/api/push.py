"""The batch Push API (SPEC §3, seeds 000-002): signed upload URLs and the listing."""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import parse_qsl

from fastapi import APIRouter, Path, Request
from fastapi.responses import JSONResponse

from landingzone.api.context import context
from landingzone.api.deps import actor, authorize
from landingzone.api.query import only_params, page_limit, single_param
from landingzone.auth.scopes import CONNECTOR_WRITE
from landingzone.domain.models import FileRecord, StoredObject
from landingzone.errors import BadRequest
from landingzone.timeutil import iso_z

router = APIRouter(prefix="/services/push/v1/customer/apps/{appId}", tags=["push"])
AppId = Annotated[str, Path(alias="appId", description="The app the files are for.")]


# The one route here that is async although it reaches the database: profiled under
# load (bench/README.md, "Where the time goes"), a sync handler's thread-pool hand-offs
# were ~14% of a 100-URL batch's CPU, and its catalog reads take well under a
# millisecond on the event loop (verified tokens are cached). Its audit entry is
# committed by a writer thread, in a group with the other requests' (db/audit_group.py).
@router.get(
    "/upload",
    summary="Signed upload URLs for up to 100 filenames",
    responses={200: {"description": "filename -> signed PUT URL, in request order"}},
)
async def upload_urls(app_id: AppId, request: Request) -> JSONResponse:
    principal = authorize(request, CONNECTOR_WRITE)
    only_params(request, {"filenames", "type"})
    urls = await context(request).push.upload_urls(
        principal.customer_id,
        app_id,
        utf8_values(request, "filenames"),
        single_param(request, "type"),
        actor(request, principal),
    )
    return JSONResponse(urls)


def utf8_values(request: Request, name: str) -> list[str]:
    """The values of ``name``, decoded strictly as UTF-8 (SPEC §3: a filename is UTF-8).

    Starlette replaces undecodable bytes with U+FFFD, which would make ``%ff`` and
    ``%fe`` the same name: here such a value is a 400 instead.
    """
    raw: bytes = request.scope.get("query_string", b"")
    try:
        pairs = parse_qsl(
            raw.decode("utf-8"), keep_blank_values=True, encoding="utf-8", errors="strict"
        )
    except UnicodeDecodeError:
        raise BadRequest(
            "The query string is not valid UTF-8: percent-encode each filename's UTF-8 bytes "
            "(e.g. é as %C3%A9)."
        ) from None
    return [value for key, value in pairs if key == name]


def file_json(item: StoredObject, file: FileRecord | None = None) -> dict[str, Any]:
    return {
        "name": item.filename,
        "type": item.type,
        "size": item.size,
        "sha256": item.sha256,
        "md5": item.md5,
        "version": item.version,
        "uploadedAt": iso_z(item.uploaded_at),
        # Plain pushes (and non-tabular ones) are stored, not validated; a validated
        # push is a file of the Files API, followed up there by its id.
        "id": file.id if file else None,
        "status": file.status.value if file else "Stored",
        "failureReason": file.failure_reason if file else None,
    }


@router.get("/files", summary="Files pushed to this app, newest first")
def list_files(app_id: AppId, request: Request) -> JSONResponse:
    principal = authorize(request, CONNECTOR_WRITE)
    only_params(request, {"limit", "cursor"})
    page = context(request).push.list_files(
        principal.customer_id,
        app_id,
        page_limit(request),
        single_param(request, "cursor"),
    )
    return JSONResponse(
        {
            "files": [file_json(item, page.files.get(item.id)) for item in page.items],
            "nextCursor": page.next_cursor,
        }
    )
