"""What the admin API's routes share (SPEC §9): the page parameters and answer, and the
admin API's words for the domain's refusals of a body field or an unknown name."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

from fastapi import Request
from fastapi.responses import JSONResponse

from landingzone.api.query import only_params, single_param
from landingzone.domain.admin import (
    DEFAULT_PAGE,
    MAX_PAGE,
    InvalidField,
    UnknownClient,
    UnknownCustomer,
)
from landingzone.domain.paging import Page
from landingzone.errors import BadRequest, NotFound, Unprocessable

PREFIX = "/admin/v1"
Item = TypeVar("Item")


def page_params(request: Request, filters: set[str] | None = None) -> tuple[int, str | None]:
    """``?limit=&cursor=`` (and only ``filters`` besides): the page size and cursor."""
    only_params(request, {"limit", "cursor", *(filters or set())})
    raw_limit = single_param(request, "limit")
    if raw_limit is not None and not (raw_limit.isascii() and raw_limit.isdigit()):
        raise BadRequest(f"Invalid limit '{raw_limit}': use a whole number from 1 to {MAX_PAGE}.")
    limit = int(raw_limit) if raw_limit is not None else DEFAULT_PAGE
    return limit, single_param(request, "cursor") or None


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
