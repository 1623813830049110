"""The one place errors become HTTP responses, in the common body of SPEC §7.

``{"code": "<status>", "message": "...", "success": false}``, plus RFC 6749's
``error``/``error_description`` on the token endpoint. FastAPI's own
validation, 404 and 405 errors are reshaped here too: no ``{"detail": ...}``.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from landingzone.errors import ApiError, OAuthError

log = logging.getLogger(__name__)

# Token endpoint answers, errors included, must not be cached (RFC 6749 §5.1).
NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}
STATUS_MESSAGES = {
    404: "Not found: no such endpoint. See docs/api.md for the routes landingzone serves.",
    413: "Request body too large.",
}


def error_body(status: int, message: str, **extra: Any) -> dict[str, Any]:
    return {"code": str(status), "message": message, "success": False, **extra}


def error_response(
    status: int, message: str, headers: dict[str, str] | None = None, **extra: Any
) -> JSONResponse:
    return JSONResponse(error_body(status, message, **extra), status_code=status, headers=headers)


def _api_error(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, ApiError)
    extra: dict[str, Any] = {}
    if isinstance(exc, OAuthError):
        extra = {"error": exc.error, "error_description": exc.message}
    headers = dict(exc.headers)
    if isinstance(exc, OAuthError):
        headers.update(NO_STORE)
    return error_response(exc.status, exc.message, headers, **extra)


def describe_validation(errors: Sequence[Any]) -> str:
    parts = []
    for error in errors:
        loc = [str(p) for p in error.get("loc", ()) if p not in ("body",)]
        where = ".".join(loc) or "body"
        parts.append(f"{where}: {error.get('msg', 'invalid')}")
    return "; ".join(parts)


def _validation_error(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    errors = exc.errors()
    in_body = any(e.get("loc", ("",))[0] == "body" for e in errors)
    status = 422 if in_body else 400
    return error_response(status, f"Invalid request: {describe_validation(errors)}.")


def _http_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    status = exc.status_code
    if status == 405:
        message = f"Method {request.method} is not allowed on {request.url.path}."
        allow = (exc.headers or {}).get("Allow")
        if allow:
            message += f" Use {allow}."
    else:
        message = STATUS_MESSAGES.get(status) or str(exc.detail)
    return error_response(status, message, dict(exc.headers or {}))


def _unexpected(request: Request, exc: Exception) -> JSONResponse:
    log.error("unhandled error on %s %s", request.method, request.url.path, exc_info=exc)
    return error_response(500, "Internal server error; it has been logged. Retry later.")


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(ApiError, _api_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(Exception, _unexpected)
