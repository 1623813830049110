"""The OAuth 2.0 client-credentials token endpoint (RFC 6749 §4.4), SPEC §2."""

from __future__ import annotations

import base64
import binascii
from urllib.parse import unquote_plus

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool

from landingzone.api.context import context
from landingzone.api.errors import NO_STORE
from landingzone.domain.access import TokenGrant
from landingzone.errors import OAuthError, TooManyRequests

router = APIRouter(tags=["oauth"])
FORM = "application/x-www-form-urlencoded"


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


@router.post("/oauth2/token", summary="Issue an access token (client credentials)")
@router.post("/connect/token", include_in_schema=False)
async def token(request: Request) -> JSONResponse:
    ctx = context(request)
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type != FORM:
        raise invalid_request(f"Send the token request as {FORM}.")
    form = await request.form()
    fields = {k: v for k, v in form.multi_items() if isinstance(v, str)}
    if len(form.multi_items()) != len(fields) or len(set(form.keys())) != len(form.multi_items()):
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

    def issue() -> TokenGrant:
        try:
            ctx.limiter.check(limit_key)
        except TooManyRequests as exc:
            exc.headers.update(NO_STORE)
            raise
        return ctx.access.issue_token(client_id, client_secret, fields.get("scope"))

    grant = await run_in_threadpool(issue)
    return JSONResponse(
        {
            "access_token": grant.access_token,
            "token_type": "Bearer",
            "expires_in": grant.expires_in,
            "scope": " ".join(grant.scopes),
        },
        headers=NO_STORE,
    )
