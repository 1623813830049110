"""What the admin API's routes share (SPEC §9): the page parameters and answer, and the
admin API's words for the domain's refusals of a body field or an unknown name."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Annotated, Any, TypeVar

from fastapi import Depends, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ValidationError

from landingzone.api.deps import authorize, request_body
from landingzone.api.errors import describe_validation
from landingzone.api.query import only_params, page_limit, single_param
from landingzone.auth.scopes import ADMIN
from landingzone.domain.access import Principal
from landingzone.domain.admin import InvalidField, UnknownClient, UnknownCustomer
from landingzone.domain.paging import Page
from landingzone.errors import NotFound, Unprocessable

PREFIX = "/admin/v1"
Item = TypeVar("Item")
Body = TypeVar("Body", bound=BaseModel)


def operator_caller(request: Request) -> Principal:
    """The caller, with scope `admin`: a dependency, so a route with a body checks it
    before the body is read or parsed (no 422 for who may not ask at all)."""
    return authorize(request, ADMIN)


OperatorCaller = Annotated[Principal, Depends(operator_caller)]
RawBody = Annotated[bytes, Depends(request_body)]


def parse_body(model: type[Body], raw: bytes) -> Body:
    """The JSON body as ``model``; a 422 naming the field otherwise."""
    try:
        value = json.loads(raw)
    except (ValueError, UnicodeDecodeError, RecursionError):
        raise Unprocessable(
            "Invalid request: the body is not valid JSON: send a UTF-8 JSON object."
        ) from None
    try:
        return model.model_validate(value)
    except ValidationError as exc:
        raise Unprocessable(f"Invalid request: {describe_validation(exc.errors())}.") from None


def page_params(request: Request, filters: set[str] | None = None) -> tuple[int, str | None]:
    """``?limit=&cursor=`` (and only ``filters`` besides): the page size and cursor."""
    only_params(request, {"limit", "cursor", *(filters or set())})
    return page_limit(request), single_param(request, "cursor") or None


def page_json(page: Page[Item], item: Callable[[Item], dict[str, Any]]) -> JSONResponse:
    return JSONResponse(
        {"items": [item(entry) for entry in page.items], "nextCursor": page.next_cursor}
    )


@contextmanager
def admin_answers() -> Iterator[None]:
    """A refused body field is the body's 422 naming it; an unknown customer or client
    names the listing that has them (the CLI names its own commands instead)."""
    try:
        yield
    except InvalidField as exc:
        raise Unprocessable(f"Invalid request: {exc.field}: {exc.message}") from None
    except UnknownCustomer as exc:
        raise NotFound(f"{exc.message} See GET {PREFIX}/customers.") from None
    except UnknownClient as exc:
        raise NotFound(
            f"{exc.message} See GET {PREFIX}/customers/{{name}}/clients or GET {PREFIX}/clients."
        ) from None
