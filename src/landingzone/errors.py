"""The one error hierarchy of landingzone.

Domain, auth and storage code raise these; ``api/errors.py`` is the only place
they become HTTP responses. Two wire dialects exist:

* ``ApiError`` and subclasses: the JSON body ``{"code": "<status>", "message",
  "success": false}`` of SPEC §7, used by every JSON face. ``OAuthError`` adds
  RFC 6749's ``error`` and ``error_description``.
* ``S3Error``: the object endpoint's XML body ``<Error><Code>…`` (SPEC §6).

Messages say what is wrong and how to fix it; they never contain secrets.
"""

from __future__ import annotations


class LandingzoneError(Exception):
    """Base of every error landingzone raises on purpose."""


class ApiError(LandingzoneError):
    """An error with an HTTP status and a message for the caller."""

    status: int = 500

    def __init__(self, message: str, *, headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.headers = headers or {}


class BadRequest(ApiError):
    status = 400


class Unauthorized(ApiError):
    """401; RFC 9110 §15.5.2 requires a challenge, so one is always sent."""

    status = 401

    def __init__(self, message: str, *, headers: dict[str, str] | None = None) -> None:
        super().__init__(message, headers=headers or {"WWW-Authenticate": BEARER_REALM})


class Forbidden(ApiError):
    status = 403


class NotFound(ApiError):
    status = 404


class MethodNotAllowed(ApiError):
    status = 405


class Conflict(ApiError):
    status = 409


class PayloadTooLarge(ApiError):
    status = 413


class Unprocessable(ApiError):
    status = 422


class TooManyRequests(ApiError):
    status = 429

    def __init__(self, message: str, *, retry_after: int) -> None:
        super().__init__(message, headers={"Retry-After": str(retry_after)})
        self.retry_after = retry_after


class ServiceUnavailable(ApiError):
    status = 503


BEARER_REALM = 'Bearer realm="landingzone"'


class MissingToken(Unauthorized):
    """No bearer token at all (RFC 6750 §3: no error code in the challenge)."""

    def __init__(self) -> None:
        super().__init__(
            "Missing access_token: send 'Authorization: Bearer <access_token>' "
            "from POST /oauth2/token.",
            headers={"WWW-Authenticate": BEARER_REALM},
        )


class InvalidToken(Unauthorized):
    def __init__(self, message: str = "Invalid access_token") -> None:
        super().__init__(
            message,
            headers={"WWW-Authenticate": f'{BEARER_REALM}, error="invalid_token"'},
        )


class InsufficientScope(Forbidden):
    def __init__(self, scope: str) -> None:
        super().__init__(
            f"The access_token lacks the '{scope}' scope: request a token with scope={scope}.",
            headers={
                "WWW-Authenticate": (f'{BEARER_REALM}, error="insufficient_scope", scope="{scope}"')
            },
        )


class OAuthError(ApiError):
    """RFC 6749 §5.2 token endpoint error."""

    def __init__(self, status: int, error: str, description: str) -> None:
        headers = {"WWW-Authenticate": 'Basic realm="landingzone"'} if status == 401 else None
        super().__init__(description, headers=headers)
        self.status = status
        self.error = error


class S3Error(LandingzoneError):
    """An object-endpoint error, answered as S3's XML error document."""

    def __init__(
        self, status: int, code: str, message: str, *, headers: dict[str, str] | None = None
    ) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.headers = headers or {}


class StorageFull(LandingzoneError):
    """The object store has no space left; callers should retry later."""


class StorageUnavailable(LandingzoneError):
    """The object store did not answer, or refused a request it should take; retry later."""


class ConfigurationError(LandingzoneError):
    """A setting is unusable; the message names it and how to fix it."""
