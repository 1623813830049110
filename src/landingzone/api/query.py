"""Strict query-string handling: unexpected or repeated parameters are a 400, not ignored."""

from __future__ import annotations

from fastapi import Request

from landingzone.domain.paging import DEFAULT_PAGE, MAX_PAGE
from landingzone.errors import BadRequest


def only_params(request: Request, allowed: set[str]) -> None:
    unexpected = sorted(set(request.query_params.keys()) - allowed)
    if unexpected:
        raise BadRequest(
            f"Unexpected query parameter '{unexpected[0]}': only {', '.join(sorted(allowed))} "
            "are accepted."
        )


def single_param(request: Request, name: str) -> str | None:
    values = request.query_params.getlist(name)
    if len(values) > 1:
        raise BadRequest(f"Query parameter '{name}' was given {len(values)} times; give it once.")
    return values[0] if values else None


def page_limit(request: Request) -> int:
    """``?limit=``, a whole number (the use-case checks its range), or the default page size."""
    raw = single_param(request, "limit")
    if raw is None:
        return DEFAULT_PAGE
    if not (raw.isascii() and raw.isdigit()) or len(raw) > 9:
        raise BadRequest(f"Invalid limit '{raw}': use a whole number from 1 to {MAX_PAGE}.")
    return int(raw)
