"""Typed errors of the SDK, each carrying the server's status, code and message."""

from __future__ import annotations


class LandingzoneClientError(Exception):
    """A request the server refused (or could not be reached for)."""

    def __init__(
        self,
        message: str,
        *,
        status: int | None = None,
        code: str | None = None,
        scope: str | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.status = status
        self.code = code
        # The scope the server said was missing (RFC 6750 insufficient_scope), if any.
        self.scope = scope

    def __str__(self) -> str:
        if not self.status:
            return self.message
        # The JSON error body's code is the status again ("429"): say it once.
        named = f" {self.code}" if self.code and self.code != str(self.status) else ""
        return f"{self.status}{named}: {self.message}"


class AuthenticationError(LandingzoneClientError):
    """Wrong client id or secret, or a token the server no longer accepts (401)."""


class PermissionDenied(LandingzoneClientError):
    """The client lacks a scope, or a signed URL was refused (403)."""


class NotFound(LandingzoneClientError):
    """An unknown app, file or token, or another customer's (404)."""


class ServerUnreachable(LandingzoneClientError):
    """No answer from the server after every retry (connection errors, timeouts)."""


class RetriesExhausted(LandingzoneClientError):
    """The server kept answering 429 or 5xx until the retry budget ran out."""


def error_for(
    status: int, code: str | None, message: str, scope: str | None = None
) -> LandingzoneClientError:
    kind = {401: AuthenticationError, 403: PermissionDenied, 404: NotFound}.get(
        status, LandingzoneClientError
    )
    return kind(message, status=status, code=code, scope=scope)
