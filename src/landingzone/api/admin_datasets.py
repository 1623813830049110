"""The admin API's dataset types (SPEC §9): list, add (or add a version), read with versions.

The same use-cases as `landingzone admin dataset ...` (domain/datasets.py); the body of
``POST /admin/v1/datasets`` is the JSON document `landingzone admin dataset add` reads.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Request
from fastapi.responses import JSONResponse

from landingzone.api.context import context
from landingzone.api.deps import actor, authorize, request_body
from landingzone.api.documents import version_json
from landingzone.api.query import only_params, page_limit, single_param
from landingzone.auth.scopes import ADMIN
from landingzone.domain.access import Principal

router = APIRouter(prefix="/admin/v1/datasets", tags=["admin"])
Name = Annotated[str, Path(alias="name", description="A dataset type's name.")]


def operator_caller(request: Request) -> Principal:
    """The caller, with scope admin: a dependency, so it is checked before the body is read."""
    return authorize(request, ADMIN)


@router.get("", summary="Dataset types, the newest version of each, by name")
def list_datasets(request: Request) -> JSONResponse:
    authorize(request, ADMIN)
    only_params(request, {"limit", "cursor"})
    page = context(request).datasets.list_page(page_limit(request), single_param(request, "cursor"))
    return JSONResponse(
        {"items": [version_json(v) for v in page.items], "nextCursor": page.next_cursor}
    )


@router.post("", status_code=201, summary="Add a dataset type, or a new version of one")
def add_dataset(
    request: Request,
    principal: Annotated[Principal, Depends(operator_caller)],
    raw: Annotated[bytes, Depends(request_body)],
) -> JSONResponse:
    only_params(request, set())
    added = context(request).datasets.add(raw, actor(request, principal))
    return JSONResponse(
        version_json(added, definition=True),
        status_code=201,
        headers={"Location": f"/admin/v1/datasets/{added.dataset.name}"},
    )


@router.get("/{name}", summary="A dataset type with every version, newest first")
def get_dataset(name: Name, request: Request) -> JSONResponse:
    authorize(request, ADMIN)
    only_params(request, set())
    history = context(request).datasets.history(name)
    return JSONResponse(
        {
            **version_json(history.latest, definition=True),
            "versions": [version_json(v, definition=True) for v in history.versions],
        }
    )
