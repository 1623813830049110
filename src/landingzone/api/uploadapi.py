"""The Upload API (SPEC §5, seed 004): POST /UploadData and GET /GetResults, with /api aliases."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse, Response, StreamingResponse
from starlette.concurrency import iterate_in_threadpool

from landingzone.api.context import context
from landingzone.api.deps import authorize, request_body
from landingzone.api.idempotency import idempotent
from landingzone.api.query import single_param
from landingzone.api.uploadapi_body import UploadDataBody
from landingzone.auth.scopes import UPLOAD_API
from landingzone.domain.access import Principal
from landingzone.errors import BadRequest

router = APIRouter(tags=["upload api"])


def upload_api_caller(request: Request) -> Principal:
    """The caller, with the Upload API's scope: a dependency, so it is checked before
    the body is read (the body guard, api/edges.py, has checked the token itself)."""
    return authorize(request, UPLOAD_API)


def upload_data(
    request: Request,
    principal: Annotated[Principal, Depends(upload_api_caller)],
    raw: Annotated[bytes, Depends(request_body)],
) -> Response:
    body = UploadDataBody.parse(raw)
    # A retry with the same Idempotency-Key answers the first token again (api/idempotency.py).
    return idempotent(
        request,
        principal,
        "uploaddata",
        body,
        lambda: JSONResponse(context(request).upload_api.submit(principal, body.request())),
    )


def get_results(request: Request) -> Response:
    principal = authorize(request, UPLOAD_API)
    values = {}
    for name in ("token", "dataKey", "key"):
        value = single_param(request, name)
        if value is None or not value.strip():
            raise BadRequest(
                f"Query parameter '{name}' is required: GetResults?token=<processing token>"
                "&dataKey=status|feedback|tableofresultids&key=<API key>."
            )
        values[name] = value
    upload_api = context(request).upload_api
    answer = upload_api.results(principal, values["token"], values["dataKey"], values["key"])
    if answer.storage_id is None:
        return JSONResponse(answer.value)
    blocks = iterate_in_threadpool(upload_api.document(answer.storage_id))
    return StreamingResponse(blocks, media_type="application/json")


for prefix in ("", "/api"):
    router.add_api_route(
        f"{prefix}/UploadData",
        upload_data,
        methods=["POST"],
        summary="Submit Data (and EventData) CSV; answers the processing token",
        include_in_schema=not prefix,
    )
    router.add_api_route(
        f"{prefix}/GetResults",
        get_results,
        methods=["GET"],
        summary="A submission's status, feedback or tableofresultids",
        include_in_schema=not prefix,
    )
