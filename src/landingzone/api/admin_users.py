"""The admin API's portal users (SPEC §9, §10): list, create, disable, enable, reset.

Scope ``admin``, checked before a body is read; the caller's own customer plays no
part. Answers never carry a password hash; a one-time password only in the answer
that made it, never cached.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field

from landingzone.api.admin_common import OperatorCaller, RawBody, parse_body
from landingzone.api.context import context
from landingzone.api.deps import actor, authorize
from landingzone.api.query import only_params, page_limit, single_param
from landingzone.auth.scopes import ADMIN
from landingzone.domain.models import User
from landingzone.domain.users import IssuedUser
from landingzone.timeutil import iso_z

router = APIRouter(prefix="/admin/v1/users", tags=["admin"])
Email = Annotated[str, Path(description="The user's email (any case).")]
# An answer with a password in it is for its one reader: no cache may keep it.
NO_STORE = {"Cache-Control": "no-store"}


class NewUserBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    email: Annotated[str, Field(description="The user's email; unique in any case.")]
    role: Annotated[str, Field(description="operator (every customer) or member (one).")]
    customer: Annotated[str | None, Field(description="The member's customer.")] = None
    password: Annotated[
        str | None, Field(description="At least 12 characters; none: a one-time password.")
    ] = None


class PasswordBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    password: Annotated[
        str | None, Field(description="At least 12 characters; none: a one-time password.")
    ] = None


def user_json(user: User) -> dict[str, Any]:
    return {
        "email": user.email,
        "role": user.role.value,
        "customer": user.customer,
        "enabled": user.enabled,
        "mustChangePassword": user.must_change_password,
        "createdAt": iso_z(user.created_at),
        "passwordChangedAt": iso_z(user.password_changed_at),
        "disabledAt": iso_z(user.disabled_at) if user.disabled_at else None,
        "lastSignInAt": iso_z(user.last_sign_in_at) if user.last_sign_in_at else None,
    }


def issued_response(issued: IssuedUser, status: int) -> JSONResponse:
    return JSONResponse(
        {**user_json(issued.user), "oneTimePassword": issued.one_time_password},
        status_code=status,
        headers=NO_STORE,
    )


@router.get("", summary="Portal users, in the order they were created")
def list_users(request: Request) -> JSONResponse:
    authorize(request, ADMIN)
    only_params(request, {"customer", "limit", "cursor"})
    page = context(request).users.list_users(
        single_param(request, "customer") or None,
        page_limit(request),
        single_param(request, "cursor") or None,
    )
    return JSONResponse(
        {"items": [user_json(u) for u in page.items], "nextCursor": page.next_cursor}
    )


@router.post("", status_code=201, summary="Create a portal user")
def create_user(request: Request, principal: OperatorCaller, raw: RawBody) -> JSONResponse:
    body = parse_body(NewUserBody, raw)
    issued = context(request).users.create(
        body.email, body.role, body.customer, body.password, actor(request, principal)
    )
    return issued_response(issued, 201)


@router.post("/{email}/disable", summary="Disable a user: their sign-ins are refused")
def disable_user(email: Email, request: Request) -> JSONResponse:
    principal = authorize(request, ADMIN)
    return JSONResponse(user_json(context(request).users.disable(email, actor(request, principal))))


@router.post("/{email}/enable", summary="Enable a disabled user again")
def enable_user(email: Email, request: Request) -> JSONResponse:
    principal = authorize(request, ADMIN)
    return JSONResponse(user_json(context(request).users.enable(email, actor(request, principal))))


@router.post("/{email}/reset-password", summary="A new password for a user")
def reset_password(
    email: Email, request: Request, principal: OperatorCaller, raw: RawBody
) -> JSONResponse:
    # No body at all: a one-time password, as with a body without "password".
    password = parse_body(PasswordBody, raw).password if raw.strip() else None
    issued = context(request).users.reset_password(email, password, actor(request, principal))
    return issued_response(issued, 200)
