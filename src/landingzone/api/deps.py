"""Request dependencies: bearer authentication, scope check and the per-client rate limit,
and the body of a sync route."""

from __future__ import annotations

from fastapi import Request

from landingzone.api.context import context
from landingzone.domain.access import Principal
from landingzone.domain.audit import Actor
from landingzone.errors import InvalidToken, MissingToken


def bearer_token(request: Request) -> str:
    return parse_bearer(request.headers.get("authorization"))


def parse_bearer(header: str | None) -> str:
    if not header:
        raise MissingToken()
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise InvalidToken("Invalid access_token: send 'Authorization: Bearer <access_token>'.")
    return token.strip()


def authorize(request: Request, scope: str | tuple[str, ...]) -> Principal:
    """Authenticate the caller, check ``scope`` and count the request against its rate limit.

    Called first thing in sync route handlers rather than as a FastAPI
    dependency: each sync dependency costs its own hop through the thread pool.
    """
    ctx = context(request)
    principal = ctx.access.authenticate(bearer_token(request), scope)
    ctx.limiter.check(f"client:{principal.client_id}")
    return principal


async def request_body(request: Request) -> bytes:
    """The whole body, for a sync route that parses it itself: awaited on the event loop
    (the body guard, api/edges.py, bounds its size and pace) before the route runs in
    the thread pool. No database or store work here."""
    return await request.body()


def actor(request: Request, principal: Principal) -> Actor:
    """Who the audit log names for this request: the client, with the request's id."""
    request_id = getattr(request.state, "request_id", None)
    return Actor(principal.client_id, request_id)
