"""Operators read any stored bytes back (SPEC §9): the object catalog and its content.

Scope ``admin``; nothing here depends on the caller's customer. The content
routes answer as the owners' ones do (``api/downloads.py``'s ``deliver``).
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Request
from fastapi.responses import JSONResponse, Response

from landingzone.api.context import context
from landingzone.api.deps import actor, authorize
from landingzone.api.downloads import FileId, deliver
from landingzone.api.query import only_params, page_limit, single_param
from landingzone.auth.scopes import ADMIN
from landingzone.domain.downloads import ListedObject
from landingzone.timeutil import iso_z

router = APIRouter(prefix="/admin/v1", tags=["admin"])
ObjectId = Annotated[str, Path(alias="id", description="An id GET /admin/v1/objects listed.")]


def object_json(item: ListedObject) -> dict[str, Any]:
    stored = item.stored
    return {
        "id": stored.id,
        "customer": item.customer,
        "app": item.app,
        "name": stored.filename,
        "type": stored.type,
        "version": stored.version,
        "size": stored.size,
        "sha256": stored.sha256,
        "uploadedAt": iso_z(stored.uploaded_at),
    }


@router.get("/objects", summary="Every customer's stored files, newest first")
def list_objects(request: Request) -> JSONResponse:
    authorize(request, ADMIN)
    only_params(request, {"customer", "app", "limit", "cursor"})
    page = context(request).downloads.list_objects(
        single_param(request, "customer"),
        single_param(request, "app"),
        page_limit(request),
        single_param(request, "cursor") or None,
    )
    return JSONResponse(
        {"items": [object_json(item) for item in page.items], "nextCursor": page.next_cursor}
    )


@router.get("/objects/{id}/content", summary="The stored bytes of any object")
def object_content(object_id: ObjectId, request: Request) -> Response:
    principal = authorize(request, ADMIN)
    downloads = context(request).downloads
    found = downloads.any_object(object_id)
    return deliver(request, downloads, found, actor(request, principal))


@router.get("/files/{id}/content", summary="The uploaded bytes of any Files API file")
def file_content(file_id: FileId, request: Request) -> Response:
    principal = authorize(request, ADMIN)
    downloads = context(request).downloads
    found = downloads.any_file(file_id)
    return deliver(request, downloads, found, actor(request, principal))
