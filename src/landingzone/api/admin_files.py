"""The admin API's files (SPEC §9): every customer's files, one file, its retry and retraction.

The same use-cases as `landingzone admin file ...` (domain/catalog.py). A file reads as
``GET /analytics/files/{id}`` answers it, plus its ``customer``.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Request
from fastapi.responses import JSONResponse

from landingzone.api.context import context
from landingzone.api.deps import actor, authorize
from landingzone.api.files import file_json
from landingzone.api.query import only_params, page_limit, single_param
from landingzone.auth.scopes import ADMIN
from landingzone.domain.listings import CustomerFile
from landingzone.validation.report import CellError

router = APIRouter(prefix="/admin/v1/files", tags=["admin"])
FileId = Annotated[str, Path(alias="id", description="The file's id.")]


def customer_file_json(
    found: CustomerFile, errors: list[CellError] | None = None
) -> dict[str, Any]:
    return {**file_json(found.file, errors), "customer": found.customer}


@router.get("", summary="Every customer's files, newest first")
def list_files(request: Request) -> JSONResponse:
    authorize(request, ADMIN)
    only_params(request, {"customer", "status", "datasetType", "since", "limit", "cursor"})
    page = context(request).catalog.list_files(
        limit=page_limit(request),
        customer=single_param(request, "customer"),
        status=single_param(request, "status"),
        dataset_type=single_param(request, "datasetType"),
        since=single_param(request, "since"),
        cursor=single_param(request, "cursor"),
    )
    return JSONResponse(
        {"items": [customer_file_json(f) for f in page.items], "nextCursor": page.next_cursor}
    )


@router.get("/{id}", summary="A file of any customer, with its status and first errors")
def get_file(file_id: FileId, request: Request) -> JSONResponse:
    authorize(request, ADMIN)
    only_params(request, set())
    catalog = context(request).catalog
    found = catalog.file(file_id)
    return JSONResponse(customer_file_json(found, catalog.first_errors(found.file.id)))


@router.post("/{id}/retry", summary="Validate a Failed file again")
def retry_file(file_id: FileId, request: Request) -> JSONResponse:
    principal = authorize(request, ADMIN)
    only_params(request, set())
    retried = context(request).catalog.retry_file(file_id, actor(request, principal))
    return JSONResponse(customer_file_json(retried))


@router.delete("/{id}", summary="Retract a file of any customer: its rows and bytes go")
def retract_file(file_id: FileId, request: Request) -> JSONResponse:
    principal = authorize(request, ADMIN)
    only_params(request, set())
    retracted = context(request).catalog.retract_file(file_id, actor(request, principal))
    return JSONResponse(customer_file_json(retracted))
