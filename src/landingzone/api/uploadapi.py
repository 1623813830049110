"""The Upload API (SPEC §5, seed 004): POST /UploadData and GET /GetResults, with /api aliases."""

from __future__ import annotations

from collections.abc import Iterator

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response, StreamingResponse
from starlette.concurrency import iterate_in_threadpool, run_in_threadpool

from landingzone.api.context import context
from landingzone.api.deps import authorize
from landingzone.api.query import single_param
from landingzone.auth.scopes import UPLOAD_API
from landingzone.errors import BadRequest, PayloadTooLarge
from landingzone.storage.base import ObjectStore

router = APIRouter(tags=["upload api"])
STREAM_BLOCK = 256 * 1024


def _too_large(limit: int) -> PayloadTooLarge:
    return PayloadTooLarge(
        f"The body is larger than {limit} bytes: split the Data into several submissions "
        "(each with its own Name)."
    )


async def _read_body(request: Request, limit: int) -> bytes:
    """The body, refused with 413 as soon as it is known to exceed ``limit``."""
    declared = request.headers.get("content-length", "")
    if declared.isascii() and declared.isdigit() and int(declared) > limit:
        raise _too_large(limit)
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise _too_large(limit)
        chunks.append(chunk)
    return b"".join(chunks)


async def upload_data(request: Request) -> JSONResponse:
    principal = authorize(request, UPLOAD_API)
    ctx = context(request)
    raw = await _read_body(request, ctx.upload_api_max_body)
    # Storing the bodies fsyncs: off the event loop.
    token = await run_in_threadpool(ctx.upload_api.submit, principal, raw)
    return JSONResponse(token)


def _stream(store: ObjectStore, storage_id: str) -> Iterator[bytes]:
    with store.open(storage_id) as source:
        while block := source.read(STREAM_BLOCK):
            yield block


async def get_results(request: Request) -> Response:
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
    ctx = context(request)
    answer = await run_in_threadpool(
        ctx.upload_api.results, principal, values["token"], values["dataKey"], values["key"]
    )
    if answer.storage_id is None:
        return JSONResponse(answer.value)
    blocks = iterate_in_threadpool(_stream(ctx.upload_api.store, answer.storage_id))
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
