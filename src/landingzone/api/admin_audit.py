"""`GET /admin/v1/audit` (SPEC §9): the audit log, newest first, filtered and paged."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from landingzone.api.admin_common import PREFIX, admin_answers, page_json, page_params
from landingzone.api.context import context
from landingzone.api.deps import authorize
from landingzone.api.documents import audit_json
from landingzone.api.query import single_param
from landingzone.auth.scopes import ADMIN
from landingzone.domain.admin import InvalidField
from landingzone.errors import BadRequest

router = APIRouter(prefix=PREFIX, tags=["admin"])
FILTERS = ("customer", "actor", "action", "since")


@router.get("/audit", summary="The audit log, newest first")
def audit_log(request: Request) -> JSONResponse:
    authorize(request, ADMIN)
    limit, cursor = page_params(request, set(FILTERS))
    given = {name: single_param(request, name) or None for name in FILTERS}
    # An empty since is no time at all: a 400 that says what to give, not every entry.
    given["since"] = single_param(request, "since")
    with admin_answers():  # an unknown customer: 404
        try:
            page = context(request).audit_log.page(
                given["customer"], given["actor"], given["action"], given["since"], limit, cursor
            )
        except InvalidField as exc:  # a query parameter, not a body field: a 400
            raise BadRequest(exc.message) from None
    return page_json(page, audit_json)
