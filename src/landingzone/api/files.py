"""The Files API (SPEC §4, seed 003): upload URLs for dataset files, status and listing."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from typing import Annotated, Any

from fastapi import APIRouter, Path, Request
from fastapi.responses import JSONResponse, Response, StreamingResponse
from pydantic import BaseModel, ConfigDict, Field
from starlette.concurrency import iterate_in_threadpool

from landingzone.api.context import context
from landingzone.api.deps import actor, authorize
from landingzone.api.idempotency import idempotent
from landingzone.api.query import only_params, page_limit, single_param
from landingzone.auth.scopes import FILES_READ, FILES_WRITE
from landingzone.domain.access import Principal
from landingzone.domain.models import FileRecord
from landingzone.errors import BadRequest
from landingzone.timeutil import iso_z
from landingzone.validation.report import CellError

router = APIRouter(prefix="/analytics/files", tags=["files"])
# Reading a file's status needs files.read, or files.write: an uploader polls
# the files it sent.
READERS = (FILES_READ, FILES_WRITE)
FileId = Annotated[str, Path(alias="id", description="The id from POST /analytics/files/upload")]


class FileSpec(BaseModel):
    model_config = ConfigDict(extra="ignore")

    name: Annotated[str, Field(description="The file name, e.g. provider_2025-01-01.csv")]
    type: Annotated[str, Field(description="The file format; 'csv'.")]


class UploadRequest(BaseModel):
    model_config = ConfigDict(extra="ignore", populate_by_name=True)

    dataset_type: Annotated[str, Field(alias="datasetType", description="A dataset type name.")]
    file: FileSpec
    replaces: Annotated[
        str | None,
        Field(
            description="The id of a file of the caller's that this one corrects: once this "
            "file Completes, that one becomes Superseded and its rows leave analytics in "
            "the same commit."
        ),
    ] = None


def _time(value: Any) -> str | None:
    return iso_z(value) if value is not None else None


def error_json(error: CellError) -> dict[str, Any]:
    return {
        "row": error.row,
        "column": error.column,
        "field": error.field,
        "value": error.value,
        "code": error.code,
        "message": error.message,
    }


def file_json(record: FileRecord, errors: list[CellError] | None = None) -> dict[str, Any]:
    return {
        "id": record.id,
        "datasetType": record.dataset_name,
        "file": {
            "name": record.name,
            "type": record.file_type,
            "size": record.size,
            "sha256": record.sha256,
        },
        "status": record.status.value,
        "failureReason": record.failure_reason,
        "createdAt": _time(record.created_at),
        "uploadedAt": _time(record.uploaded_at),
        "startedAt": _time(record.started_at),
        "finishedAt": _time(record.finished_at),
        "statistics": {
            "rowsTotal": record.rows_total,
            "rowsImported": record.rows_imported,
            "rowsRejected": record.rows_rejected,
            "bytes": record.size,
            "durationMs": record.duration_ms,
        },
        "errorCount": record.error_count,
        # Cut when the validator kept fewer errors than it counted, or the inline
        # list shows fewer than were kept (the export has all that were kept).
        "errorsTruncated": record.errors_truncated or record.error_count > len(errors or []),
        "errors": [error_json(e) for e in errors or []],
        "replaces": record.replaces,
        "supersededBy": record.superseded_by,
        "retiredAt": _time(record.retired_at),
    }


@router.post("/upload", status_code=201, summary="A one-hour upload URL for a dataset file")
def create_upload(body: UploadRequest, request: Request) -> Response:
    principal = authorize(request, FILES_WRITE)
    # A retry with the same Idempotency-Key answers the first 201 again (api/idempotency.py).
    return idempotent(
        request, principal, "files.upload", body, lambda: issue_upload(request, principal, body)
    )


def issue_upload(request: Request, principal: Principal, body: UploadRequest) -> JSONResponse:
    issued = context(request).files.create(
        principal.customer_id,
        body.dataset_type,
        body.file.name,
        body.file.type,
        actor(request, principal),
        body.replaces,
    )
    record = issued.file
    document: dict[str, Any] = {
        "id": record.id,
        "uploadUrl": issued.upload_url,
        "expiresAt": iso_z(record.url_expires_at),
        "status": record.status.value,
        "datasetType": record.dataset_name,
        "file": {"name": record.name, "type": record.file_type},
    }
    if record.replaces is not None:
        # Only then: the seed's answer has exactly the fields above.
        document["replaces"] = record.replaces
    return JSONResponse(document, status_code=201)


@router.delete("/{id}", summary="Retract a file: its rows leave analytics, its bytes go")
def retract_file(
    file_id: FileId,
    request: Request,
) -> JSONResponse:
    principal = authorize(request, FILES_WRITE)
    record = context(request).files.retract(
        principal.customer_id, file_id, actor(request, principal)
    )
    return JSONResponse(file_json(record))


@router.get("/{id}", summary="A file's status and import statistics")
def get_file(
    file_id: FileId,
    request: Request,
) -> JSONResponse:
    principal = authorize(request, READERS)
    files = context(request).files
    record = files.get(principal.customer_id, file_id)
    return JSONResponse(file_json(record, files.first_errors(record.id)))


@router.get("", summary="Files of the caller's customer, newest first")
def list_files(request: Request) -> JSONResponse:
    principal = authorize(request, READERS)
    only_params(request, {"status", "datasetType", "limit", "cursor"})
    page = context(request).files.list_files(
        principal.customer_id,
        page_limit(request),
        single_param(request, "status"),
        single_param(request, "datasetType"),
        single_param(request, "cursor"),
    )
    return JSONResponse(
        {"files": [file_json(r) for r in page.items], "nextCursor": page.next_cursor}
    )


@router.get("/{id}/errors", summary="The file's whole error report, streamed")
def file_errors(
    file_id: Annotated[str, Path(alias="id")],
    request: Request,
) -> StreamingResponse:
    principal = authorize(request, READERS)
    only_params(request, {"format"})
    fmt = single_param(request, "format") or "json"
    if fmt not in ("json", "csv"):
        raise BadRequest(f"Invalid format '{fmt}': use json or csv.")
    files = context(request).files
    record = files.get(principal.customer_id, file_id)
    errors = files.all_errors(record.id)
    if fmt == "csv":
        return StreamingResponse(
            iterate_in_threadpool(errors_csv(errors)),
            media_type="text/csv; charset=utf-8",
            headers={"Content-Disposition": f'attachment; filename="{record.id}-errors.csv"'},
        )
    return StreamingResponse(
        iterate_in_threadpool(errors_json(errors)), media_type="application/json"
    )


def errors_json(errors: Iterator[CellError]) -> Iterator[bytes]:
    yield b"["
    for index, error in enumerate(errors):
        yield (b"," if index else b"") + json.dumps(error_json(error)).encode()
    yield b"]"


FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
CSV_COLUMNS = ["row", "column", "field", "value", "code", "message"]


def spreadsheet_safe(cell: object) -> str:
    """Text a spreadsheet shows as text: a leading formula character gets a quote."""
    text = "" if cell is None else str(cell)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def errors_csv(errors: Iterator[CellError]) -> Iterator[bytes]:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    for error in errors:
        writer.writerow([spreadsheet_safe(v) for v in error_json(error).values()])
        if buffer.tell() > 64 * 1024:
            yield buffer.getvalue().encode()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue().encode()
