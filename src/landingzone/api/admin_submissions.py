"""The admin API's Upload API submissions (SPEC §9): every customer's, newest first.

The same use-case as the other operator listings (domain/catalog.py); a submission's
progress and counts, never its data (that stays behind the customer's GetResults).
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from landingzone.api.context import context
from landingzone.api.deps import authorize
from landingzone.api.query import only_params, page_limit, single_param
from landingzone.auth.scopes import ADMIN
from landingzone.domain.listings import SubmissionEntry
from landingzone.timeutil import iso_z

router = APIRouter(prefix="/admin/v1/submissions", tags=["admin"])


def _time(value: Any) -> str | None:
    return iso_z(value) if value is not None else None


def submission_json(entry: SubmissionEntry) -> dict[str, Any]:
    return {
        "token": entry.token,
        "customer": entry.customer,
        "name": entry.name,
        "clientId": entry.client_id,
        "status": entry.status.value,
        "failureReason": entry.failure_reason,
        "replacedBy": entry.replaced_by,
        "dataRows": entry.data_rows,
        "eventRows": entry.event_rows,
        "errorCount": entry.error_count,
        "createdAt": iso_z(entry.created_at),
        "startedAt": _time(entry.started_at),
        "finishedAt": _time(entry.finished_at),
    }


@router.get("", summary="Every customer's Upload API submissions, newest first")
def list_submissions(request: Request) -> JSONResponse:
    authorize(request, ADMIN)
    only_params(request, {"customer", "status", "since", "limit", "cursor"})
    page = context(request).catalog.list_submissions(
        limit=page_limit(request),
        customer=single_param(request, "customer"),
        status=single_param(request, "status"),
        since=single_param(request, "since"),
        cursor=single_param(request, "cursor"),
    )
    return JSONResponse(
        {"items": [submission_json(s) for s in page.items], "nextCursor": page.next_cursor}
    )
