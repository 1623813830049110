"""The Files API (SPEC §4, seed 003): upload URLs for dataset files, status and listing."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field

from landingzone.api.context import context
from landingzone.api.deps import authorize
from landingzone.api.query import only_params, single_param
from landingzone.auth.scopes import FILES_READ, FILES_WRITE
from landingzone.domain.files import DEFAULT_PAGE
from landingzone.domain.models import FileRecord
from landingzone.errors import BadRequest
from landingzone.timeutil import iso_z

router = APIRouter(prefix="/analytics/files", tags=["files"])
# Reading a file's status needs files.read, or files.write: an uploader polls
# the files it sent.
READERS = (FILES_READ, FILES_WRITE)


class FileSpec(BaseModel):
    model_config = ConfigDict(extra="ignore")

    name: Annotated[str, Field(description="The file name, e.g. provider_2025-01-01.csv")]
    type: Annotated[str, Field(description="The file format; 'csv'.")]


class UploadRequest(BaseModel):
    model_config = ConfigDict(extra="ignore", populate_by_name=True)

    dataset_type: Annotated[str, Field(alias="datasetType", description="A dataset type name.")]
    file: FileSpec


def _time(value: Any) -> str | None:
    return iso_z(value) if value is not None else None


def file_json(record: FileRecord) -> dict[str, Any]:
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
            "rowsTotal": None,
            "rowsImported": None,
            "rowsRejected": None,
            "bytes": record.size,
            "durationMs": None,
        },
        "errorCount": 0,
        "errorsTruncated": False,
        "errors": [],
    }


@router.post("/upload", status_code=201, summary="A one-hour upload URL for a dataset file")
async def create_upload(body: UploadRequest, request: Request) -> JSONResponse:
    principal = authorize(request, FILES_WRITE)
    issued = context(request).files.create(
        principal.customer_id, body.dataset_type, body.file.name, body.file.type
    )
    record = issued.file
    return JSONResponse(
        {
            "id": record.id,
            "uploadUrl": issued.upload_url,
            "expiresAt": iso_z(record.url_expires_at),
            "status": record.status.value,
            "datasetType": record.dataset_name,
            "file": {"name": record.name, "type": record.file_type},
        },
        status_code=201,
    )


@router.get("/{id}", summary="A file's status and import statistics")
async def get_file(
    file_id: Annotated[
        str, Path(alias="id", description="The id from POST /analytics/files/upload")
    ],
    request: Request,
) -> JSONResponse:
    principal = authorize(request, READERS)
    return JSONResponse(file_json(context(request).files.get(principal.customer_id, file_id)))


@router.get("", summary="Files of the caller's customer, newest first")
async def list_files(request: Request) -> JSONResponse:
    principal = authorize(request, READERS)
    only_params(request, {"status", "datasetType", "limit", "cursor"})
    raw_limit = single_param(request, "limit")
    if raw_limit is not None and not raw_limit.isdigit():
        raise BadRequest(f"Invalid limit '{raw_limit}': use a whole number from 1 to 1000.")
    page = context(request).files.list(
        principal.customer_id,
        int(raw_limit) if raw_limit is not None else DEFAULT_PAGE,
        single_param(request, "status"),
        single_param(request, "datasetType"),
        single_param(request, "cursor"),
    )
    return JSONResponse(
        {"files": [file_json(r) for r in page.items], "nextCursor": page.next_cursor}
    )
