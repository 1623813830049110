"""The one place errors become HTTP responses, in the common body of SPEC §7.

``{"code": "<status>", "message": "...", "success": false}``, plus RFC 6749's
``error``/``error_description`` on the token endpoint. ``JSON_ANSWERS`` is the
one table from the domain's errors to their status (and the words the API adds);
the HTTP faces' own ``ApiError`` carries its status. FastAPI's own validation,
404 and 405 errors are reshaped here too: no ``{"detail": ...}``.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from sqlalchemy.exc import DBAPIError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.requests import ClientDisconnect
from starlette.routing import compile_path

from landingzone.db.engine import database_unavailable
from landingzone.errors import (
    BEARER_REALM,
    AlreadyExists,
    ApiError,
    ClientRejected,
    DomainError,
    IdempotencyKeyInUse,
    IdempotencyKeyReused,
    InsufficientScope,
    InvalidCursor,
    InvalidDocument,
    InvalidFileName,
    InvalidIdempotencyKey,
    InvalidInput,
    InvalidToken,
    MissingArgument,
    NameTaken,
    NoResults,
    NotFound,
    NotStored,
    OAuthError,
    ResultsNotReady,
    ScopeRefused,
    UnknownDatasetType,
    UnknownResultKind,
    UnsupportedFileType,
    WrongCredentials,
    WrongState,
)

log = logging.getLogger(__name__)

# Token endpoint answers, errors included, must not be cached (RFC 6749 §5.1).
NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}
STATUS_MESSAGES = {
    404: "Not found: no such endpoint. See docs/api.md for the routes landingzone serves.",
    413: "Request body too large.",
}
TOKEN_PATHS = frozenset({"/oauth2/token", "/connect/token"})
# Every answer of the token endpoint carries RFC 6749 §5.2's error code.
OAUTH_ERROR_CODES = {
    400: "invalid_request",
    401: "invalid_client",
    429: "temporarily_unavailable",
    500: "server_error",
    503: "temporarily_unavailable",
}
FASTAPI_PARSE_ERROR = "There was an error parsing the body"
UNPARSABLE_BODY: dict[type[BaseException], str] = {
    UnicodeDecodeError: "The JSON body is not valid UTF-8: send UTF-8 encoded JSON.",
    RecursionError: "The JSON body is nested too deeply: flatten it (at most a few levels).",
}
# Seconds a client should wait before retrying after the database failed.
DATABASE_RETRY_AFTER = 5
DATABASE_UNAVAILABLE = (
    "The metadata database is unavailable; nothing was changed. Retry in a few seconds."
)
# Seconds a client should wait before retrying when the object store did not take the data.
STORE_RETRY_AFTER = 30
# Seconds a retry should wait while the first request with its Idempotency-Key runs.
IDEMPOTENT_RETRY_AFTER = 1


@dataclass(frozen=True)
class JsonAnswer:
    """A domain error on the wire: its status, headers, and the message template.

    ``{message}`` is the domain's own message; the other placeholders are the
    error's attributes, for the words only the API knows (query syntax, fields).
    """

    status: int
    message: str = "{message}"
    headers: Mapping[str, str] = field(default_factory=dict)
    oauth_error: str | None = None  # RFC 6749 §5.2's code, where the status does not say it


# The one table from domain errors to the JSON body (SPEC §7); the most specific class wins.
JSON_ANSWERS: dict[type[DomainError], JsonAnswer] = {
    InvalidInput: JsonAnswer(400),
    MissingArgument: JsonAnswer(400, "Missing '{argument}': pass at least one ?{argument}=NAME."),
    InvalidCursor: JsonAnswer(400, "Invalid cursor: pass the nextCursor of the previous page."),
    ScopeRefused: JsonAnswer(400, oauth_error="invalid_scope"),
    ClientRejected: JsonAnswer(
        401, headers={"WWW-Authenticate": 'Basic realm="landingzone"'}, oauth_error="invalid_client"
    ),
    InvalidToken: JsonAnswer(
        401, headers={"WWW-Authenticate": f'{BEARER_REALM}, error="invalid_token"'}
    ),
    WrongCredentials: JsonAnswer(401, headers={"WWW-Authenticate": BEARER_REALM}),
    InsufficientScope: JsonAnswer(
        403,
        "The access_token lacks the '{scope}' scope: request a token with scope={scope}.",
        {"WWW-Authenticate": f'{BEARER_REALM}, error="insufficient_scope", scope="{{scope}}"'},
    ),
    NotFound: JsonAnswer(404),
    AlreadyExists: JsonAnswer(409),
    NameTaken: JsonAnswer(
        409,
        "A submission named '{name}' already exists: send \"Overwrite\": true to replace it, "
        "or choose another Name.",
    ),
    WrongState: JsonAnswer(409),
    UnknownResultKind: JsonAnswer(400, "Unknown dataKey '{kind}': send one of {kinds}."),
    ResultsNotReady: JsonAnswer(
        409,
        "The submission is {status}: ask for dataKey=status until it is completedsuccessfully "
        "or failed, then for the output.",
    ),
    NoResults: JsonAnswer(
        409,
        "The submission failed, so it has no results: read dataKey=feedback, fix the data, "
        'and send it again with the same Name and "Overwrite": true.',
    ),
    InvalidDocument: JsonAnswer(422),
    # The Files API's body fields, in its own names.
    UnknownDatasetType: JsonAnswer(422, "Unknown datasetType '{name}': use one of {known}."),
    InvalidFileName: JsonAnswer(422, "Invalid file.name {quoted}: it {problem}."),
    UnsupportedFileType: JsonAnswer(
        422, "Unsupported file.type '{file_type}': use one of {supported}."
    ),
    NotStored: JsonAnswer(503, headers={"Retry-After": str(STORE_RETRY_AFTER)}),
    # Idempotency-Key (domain/idempotency.py), as the IETF draft answers them.
    InvalidIdempotencyKey: JsonAnswer(
        400,
        "Invalid Idempotency-Key header: {problem}. Send 1 to 255 visible ASCII characters, "
        "e.g. a UUID, bare or in double quotes.",
    ),
    IdempotencyKeyReused: JsonAnswer(
        422,
        "This Idempotency-Key was already used for a different request (another body or "
        "another route) in the last 24 hours: send a new key with a new request.",
    ),
    IdempotencyKeyInUse: JsonAnswer(
        409,
        "A request with this Idempotency-Key is in progress: retry after Retry-After seconds "
        "to get its answer.",
        {"Retry-After": str(IDEMPOTENT_RETRY_AFTER)},
    ),
}


def json_answer(error: DomainError) -> JsonAnswer:
    """``error`` in the API's words: its class's row (or its nearest ancestor's), filled in."""
    row = next((JSON_ANSWERS[cls] for cls in type(error).__mro__ if cls in JSON_ANSWERS), None)
    if row is None:
        raise LookupError(f"{type(error).__name__} has no row in JSON_ANSWERS")
    details = vars(error)
    return JsonAnswer(
        row.status,
        row.message.format_map(details),
        {name: value.format_map(details) for name, value in row.headers.items()},
        row.oauth_error,
    )


class RequestAnswered(Exception):
    """Raised from ``receive`` once the body guard (api/edges.py) has answered: stop quietly."""


def error_body(status: int, message: str, **extra: Any) -> dict[str, Any]:
    return {"code": str(status), "message": message, "success": False, **extra}


def error_response(
    status: int, message: str, headers: dict[str, str] | None = None, **extra: Any
) -> JSONResponse:
    return JSONResponse(error_body(status, message, **extra), status_code=status, headers=headers)


def answer(
    request: Request,
    status: int,
    message: str,
    headers: dict[str, str] | None = None,
    oauth_error: str | None = None,
) -> JSONResponse:
    """The error response, in RFC 6749's shape (and never cached) on the token endpoint."""
    if request.url.path not in TOKEN_PATHS:
        return error_response(status, message, headers)
    error = oauth_error or OAUTH_ERROR_CODES.get(
        status, "invalid_request" if status < 500 else "server_error"
    )
    return error_response(
        status,
        message,
        {**(headers or {}), **NO_STORE},
        error=error,
        error_description=message,
    )


def _api_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, ApiError)
    if isinstance(exc, OAuthError):
        return error_response(
            exc.status,
            exc.message,
            {**exc.headers, **NO_STORE},
            error=exc.error,
            error_description=exc.message,
        )
    return answer(request, exc.status, exc.message, dict(exc.headers))


def _domain_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, DomainError)
    worded = json_answer(exc)
    return answer(request, worded.status, worded.message, dict(worded.headers), worded.oauth_error)


def describe_validation(errors: Sequence[Any]) -> str:
    parts = []
    for error in errors:
        loc = [str(p) for p in error.get("loc", ()) if p not in ("body",)]
        where = ".".join(loc) or "body"
        parts.append(f"{where}: {error.get('msg', 'invalid')}")
    return "; ".join(parts)


def _validation_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    errors = exc.errors()
    in_body = any(e.get("loc", ("",))[0] == "body" for e in errors)
    status = 422 if in_body else 400
    return answer(request, status, f"Invalid request: {describe_validation(errors)}.")


def _http_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    status = exc.status_code
    headers = dict(exc.headers or {})
    if status == 405:
        message = f"Method {request.method} is not allowed on {request.url.path}."
        allow = allowed_methods(request) or headers.get("Allow")
        if allow:
            headers["Allow"] = allow
            message += f" Use {allow}."
    elif status == 400 and exc.__cause__ is not None and exc.detail == FASTAPI_PARSE_ERROR:
        # FastAPI's answer to a JSON body that json.loads could not even decode (not
        # UTF-8, nested too deeply); a JSON-body problem is a 422 (SPEC §7) that says why.
        status, message = (
            422,
            UNPARSABLE_BODY.get(
                type(exc.__cause__), "The JSON body could not be parsed: send UTF-8 encoded JSON."
            ),
        )
        log.info("%s %s: %s", request.method, request.url.path, message)
    else:
        message = STATUS_MESSAGES.get(status) or str(exc.detail)
    return answer(request, status, message, headers)


def route_templates(routes: Iterable[Any], prefix: str = "") -> Iterator[tuple[str, set[str]]]:
    """(path template, methods) of every route, also inside the included routers that
    newer FastAPI keeps wrapped."""
    for route in routes:
        original = getattr(route, "original_router", None)
        if original is not None:
            context = getattr(route, "include_context", None)
            yield from route_templates(
                original.routes, prefix + (getattr(context, "prefix", "") or "")
            )
        elif isinstance(getattr(route, "path", None), str) and getattr(route, "methods", None):
            yield prefix + route.path, set(route.methods)


def allowed_methods(request: Request) -> str | None:
    """The methods of the path the request names, for a 405's ``Allow``.

    Starlette names only the first matching route's, so a path with a GET and a POST
    route would say GET alone. A literal path wins over a template that also matches
    it (``/analytics/files/upload`` is not ``/analytics/files/{id}``), as in the
    OpenAPI document.
    """
    path = request.scope.get("path", "")
    matching: list[tuple[int, set[str]]] = []
    for template, methods in route_templates(request.app.routes):
        regex, _, convertors = compile_path(template)
        if regex.match(path):
            matching.append((len(convertors), methods))
    if not matching:
        return None
    fewest = min(parameters for parameters, _ in matching)
    allowed = set().union(*(methods for parameters, methods in matching if parameters == fewest))
    return ", ".join(sorted(allowed))


def _database_error(request: Request, exc: Exception) -> JSONResponse:
    if not database_unavailable(exc):
        return _unexpected(request, exc)
    # One line, no traceback: the operator needs to know the database is away, not where.
    log.warning(
        "database unavailable on %s %s: %s", request.method, request.url.path, _first_line(exc)
    )
    return answer(request, 503, DATABASE_UNAVAILABLE, {"Retry-After": str(DATABASE_RETRY_AFTER)})


def _first_line(exc: BaseException) -> str:
    text = str(getattr(exc, "orig", None) or exc)
    return text.strip().splitlines()[0] if text.strip() else type(exc).__name__


def _client_gone(request: Request, _exc: Exception) -> Response:
    log.info(
        "%s %s: the client disconnected before sending the whole body",
        request.method,
        request.url.path,
    )
    return answer(request, 400, "The request body ended early: the client disconnected.")


def _too_deep(request: Request, _exc: Exception) -> JSONResponse:
    log.info("%s %s: body nested too deeply to parse", request.method, request.url.path)
    return answer(request, 422, UNPARSABLE_BODY[RecursionError])


def _already_answered(_request: Request, _exc: Exception) -> Response:
    # The body guard (api/edges.py) has sent the answer; this one is dropped.
    return Response(status_code=500)


def _unexpected(request: Request, exc: Exception) -> JSONResponse:
    log.error("unhandled error on %s %s", request.method, request.url.path, exc_info=exc)
    return answer(request, 500, "Internal server error; it has been logged. Retry later.")


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(ApiError, _api_error)
    app.add_exception_handler(DomainError, _domain_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(DBAPIError, _database_error)
    app.add_exception_handler(PoolTimeout, _database_error)
    app.add_exception_handler(ClientDisconnect, _client_gone)
    app.add_exception_handler(RecursionError, _too_deep)
    app.add_exception_handler(RequestAnswered, _already_answered)
    app.add_exception_handler(Exception, _unexpected)
