"""Request dependencies: bearer authentication, scope check and the per-client rate limit."""

from __future__ import annotations

from collections.abc import Callable

from fastapi import Request

from landingzone.api.context import context
from landingzone.domain.access import Principal
from landingzone.errors import InvalidToken, MissingToken


def bearer_token(request: Request) -> str:
    header = request.headers.get("authorization")
    if not header:
        raise MissingToken()
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise InvalidToken("Invalid access_token: send 'Authorization: Bearer <access_token>'.")
    return token.strip()


def require(scope: str) -> Callable[[Request], Principal]:
    """A dependency that authenticates the caller, checks ``scope`` and counts the request."""

    def dependency(request: Request) -> Principal:
        ctx = context(request)
        principal = ctx.access.authenticate(bearer_token(request), scope)
        ctx.limiter.check(f"client:{principal.client_id}")
        return principal

    return dependency
