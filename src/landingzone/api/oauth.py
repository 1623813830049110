"""The OAuth 2.0 client-credentials token endpoint (RFC 6749 §4.4), SPEC §2."""

from __future__ import annotations

import base64
import binascii
from typing import Annotated
from urllib.parse import parse_qsl, unquote_plus

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse

from landingzone.api.context import context
from landingzone.api.errors import NO_STORE
from landingzone.errors import OAuthError, TooManyRequests

router = APIRouter(tags=["oauth"])
FORM = "application/x-www-form-urlencoded"
# Seed 004's own example sends the media type without its "application/" part.
FORM_TYPES = frozenset({FORM, "x-www-form-urlencoded"})
# A token request has five parameters at most; more is not a token request.
MAX_FIELDS = 20


def invalid_request(description: str) -> OAuthError:
    return OAuthError(400, "invalid_request", description)


def basic_credentials(header: str) -> tuple[str, str]:
    """``Basic base64(urlencode(id) ":" urlencode(secret))`` as RFC 6749 §2.3.1 and seed 004 say."""
    try:
        decoded = base64.b64decode(header.strip(), validate=True).decode()
    except (binascii.Error, ValueError, UnicodeDecodeError):
        raise OAuthError(
            401, "invalid_client", "Malformed Basic credentials: send base64(client_id:secret)."
        ) from None
    client_id, sep, secret = decoded.partition(":")
    if not sep:
        raise OAuthError(401, "invalid_client", "Basic credentials need 'client_id:client_secret'.")
    return unquote_plus(client_id), unquote_plus(secret)


async def form_body(request: Request) -> bytes:
    """The token request's body, once its media type is a form: read on the event loop
    before the sync route runs (the body guard, api/edges.py, has bounded its size)."""
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type not in FORM_TYPES:
        raise invalid_request(f"Send the token request as {FORM}.")
    return await request.body()


@router.post("/oauth2/token", summary="Issue an access token (client credentials)")
@router.post("/connect/token", include_in_schema=False)
def token(request: Request, body: Annotated[bytes, Depends(form_body)]) -> JSONResponse:
    ctx = context(request)
    # Parsed here rather than by request.form(): its errors are not RFC 6749's, and it
    # ignores the seed's "x-www-form-urlencoded".
    pairs = parse_form(body)
    fields = dict(pairs)
    if len(fields) != len(pairs):
        raise invalid_request("Each token request parameter may appear only once.")

    header = request.headers.get("authorization", "")
    scheme, _, value = header.partition(" ")
    body_id, body_secret = fields.get("client_id"), fields.get("client_secret")
    if header and scheme.lower() == "basic":
        if body_secret is not None:
            raise invalid_request("Authenticate with HTTP Basic or with form fields, not both.")
        client_id, client_secret = basic_credentials(value)
    elif body_id is not None and body_secret is not None:
        client_id, client_secret = body_id, body_secret
    else:
        raise OAuthError(
            401,
            "invalid_client",
            "Missing client credentials: use HTTP Basic or client_id and client_secret fields.",
        )

    grant_type = fields.get("grant_type")
    if not grant_type:
        raise invalid_request("Missing grant_type: send grant_type=client_credentials.")
    if grant_type != "client_credentials":
        raise OAuthError(
            400,
            "unsupported_grant_type",
            f"grant_type '{grant_type}' is not supported: use client_credentials.",
        )

    # Keyed by address and client id: nobody elsewhere can use up a client's allowance.
    limit_key = f"token:{request.client.host if request.client else '-'}:{client_id}"
    try:
        ctx.limiter.check(limit_key)
    except TooManyRequests as exc:
        exc.headers.update(NO_STORE)
        raise
    grant = ctx.access.issue_token(client_id, client_secret, fields.get("scope"))
    return JSONResponse(
        {
            "access_token": grant.access_token,
            "token_type": "Bearer",
            "expires_in": grant.expires_in,
            "scope": scope_as_asked(fields.get("scope"), grant.scopes),
        },
        headers=NO_STORE,
    )


def parse_form(body: bytes) -> list[tuple[str, str]]:
    try:
        return parse_qsl(
            body.decode("ascii"),
            keep_blank_values=True,
            strict_parsing=False,
            encoding="utf-8",
            errors="strict",
            max_num_fields=MAX_FIELDS,
        )
    except (UnicodeDecodeError, ValueError):
        raise invalid_request(
            f"The body is not a valid {FORM} form (ASCII, UTF-8 percent-escapes, at most "
            f"{MAX_FIELDS} parameters)."
        ) from None


def scope_as_asked(asked: str | None, granted: list[str]) -> str:
    """The granted scopes in the words of the request (RFC 6749 §5.1).

    A client that asked for ``https://api.productiv.com/connector.write`` gets
    that string back, not ``connector.write``: requests-oauthlib compares the
    two and warns or raises when they differ. A grant made without a scope
    parameter lists the client's scopes by name.
    """
    if not asked or not asked.strip():
        return " ".join(granted)
    words = list(dict.fromkeys(asked.split()))
    # issue_token grants exactly what was asked or refuses; mixed spellings of one
    # scope are the only way the counts differ, and then names are unambiguous.
    return " ".join(words) if len(words) == len(granted) else " ".join(granted)
