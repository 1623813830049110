"""The one error catalog of landingzone.

Domain code raises *what* went wrong; the faces at the edge say it on the wire,
each with one table:

* ``UploadRefused(Reason.…)``: why the object endpoint (a PUT on a signed URL)
  or the S3 lander refuses an upload. ``api/objects.py`` maps each ``Reason``
  to S3's XML error (status, ``Code``, ``Message``; SPEC §6); the lander logs it.
* ``DomainError`` and subclasses (``NotFound``, ``AlreadyExists``,
  ``NameTaken``, ``InvalidInput``, ``InvalidToken``…): a use-case refused a
  request, with a message for the person who made it. ``api/errors.py`` maps each class to its
  status in the JSON body ``{"code": "<status>", "message", "success": false}``
  of SPEC §7; the CLI prints the message.
* ``ApiError`` and subclasses: refusals of the HTTP faces themselves (a bad
  query string, a missing token, a rate limit), raised by ``api/`` and the rate
  limiter; they carry their status and the headers their RFC requires.
  ``OAuthError`` adds RFC 6749's ``error`` and ``error_description``.
* ``StorageFull``, ``StorageUnavailable``, ``ConfigurationError``: the store and
  the settings, in our words (vendor errors become these at the edge).

Messages say what is wrong and how to fix it; they never contain secrets.
"""

from __future__ import annotations

from enum import Enum


class LandingzoneError(Exception):
    """Base of every error landingzone raises on purpose."""


# -- The object endpoint and the S3 lander ---------------------------------------------------


class Reason(Enum):
    """Why an upload on a signed URL is refused; each value says it for a log line."""

    WRONG_METHOD = "not a PUT"
    MISSING_AUTH = "the signed URL's query string is incomplete"
    SIGNATURE = "the signature does not match"
    EXPIRED = "the URL has expired"
    STORE_MOVED = "the URL was issued for the embedded store, which no longer takes uploads"
    USED = "the URL has already been used"
    TARGET_GONE = "the upload target no longer exists"
    FILE_CLOSED = "the file is {status}"
    IN_FLIGHT = "another upload to the URL is in progress"
    BAD_LENGTH = "the Content-Length is not a whole number"
    TOO_LARGE = "the body is over the size limit of {limit} bytes"
    INVALID_DIGEST = "the Content-MD5 is malformed"
    BAD_DIGEST = "the body does not match its Content-MD5"
    INCOMPLETE = "the body is shorter or longer than its Content-Length"
    STORE_FULL = "the object store is out of space"


class UploadRefused(LandingzoneError):
    """An upload refused for ``reason``; ``details`` fill the reason's placeholders."""

    def __init__(self, reason: Reason, **details: object) -> None:
        super().__init__(reason.value.format_map(details))
        self.reason = reason
        self.details = details


# -- Use-cases: refusals in the domain's words ------------------------------------------------


class DomainError(LandingzoneError):
    """A use-case refused a request; ``message`` says why and how to fix it."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class InvalidInput(DomainError):
    """An argument (a name, a limit, a cursor, a choice) is not one the use-case takes."""


class MissingArgument(InvalidInput):
    """A required list argument is empty; the face says how to pass it."""

    def __init__(self, argument: str) -> None:
        super().__init__(f"Missing '{argument}'.")
        self.argument = argument


class InvalidCursor(InvalidInput):
    """A page cursor that no listing handed out; the face names its field."""

    def __init__(self) -> None:
        super().__init__("Invalid cursor.")


class InvalidDocument(DomainError):
    """A submitted document (a file's description, an UploadData request) is invalid."""


class WrongCredentials(DomainError):
    """A credential sent alongside the token (the Upload API's key) is not the caller's."""


class SignInRefused(WrongCredentials):
    """A portal user's email and password do not match an enabled user (or the current
    password given to change it is wrong); the message never says which emails exist."""


class ClientRejected(DomainError):
    """Client authentication failed: unknown client, wrong secret, or a disabled client."""


class ScopeRefused(DomainError):
    """A token request asks for a scope that does not exist or the client does not hold."""


class InvalidToken(DomainError):
    """The access token is malformed, tampered with, expired, or its client is disabled."""

    def __init__(self, message: str = "Invalid access_token") -> None:
        super().__init__(message)


class InsufficientScope(DomainError):
    """A valid access token without the scope the operation needs."""

    def __init__(self, scope: str) -> None:
        super().__init__(f"The access token lacks the '{scope}' scope.")
        self.scope = scope


class NotFound(DomainError):
    """What the request names does not exist (or belongs to another customer)."""


class AlreadyExists(DomainError):
    """A name that must be unique is taken (a customer, an app)."""


class NameTaken(AlreadyExists):
    """An Upload API submission Name exists and the request does not replace it."""

    def __init__(self, name: str) -> None:
        super().__init__(f"A submission named '{name}' already exists.")
        self.name = name


class WrongState(DomainError):
    """The request does not fit the current state (results of an unfinished submission)."""


class UnknownDatasetType(InvalidDocument):
    """A file was announced for a dataset type the installation does not have."""

    def __init__(self, name: str, known: list[str]) -> None:
        super().__init__(f"Unknown dataset type '{name}'.")
        self.name = name
        self.known = ", ".join(known) or "none yet"


class InvalidReplacement(InvalidDocument):
    """``replaces`` names no file of the caller's, or one of another dataset type."""


class InvalidFileName(InvalidDocument):
    """A file's name breaks the filename rules; ``problem`` says which."""

    def __init__(self, name: str, problem: str) -> None:
        super().__init__(f"Invalid file name {name!r}: it {problem}.")
        self.quoted = repr(name)
        self.problem = problem


class UnsupportedFileType(InvalidDocument):
    """A file's declared format is not one validation reads."""

    def __init__(self, file_type: str, supported: tuple[str, ...]) -> None:
        super().__init__(f"Unsupported file type '{file_type}'.")
        self.file_type = file_type
        self.supported = ", ".join(supported)


class UnknownResultKind(InvalidInput):
    """GetResults asked for an output a submission does not have; ``kinds`` are the real ones."""

    def __init__(self, kind: str, kinds: tuple[str, ...]) -> None:
        super().__init__(f"Unknown result kind '{kind}': one of {', '.join(kinds)}.")
        self.kind = kind
        self.kinds = ", ".join(kinds)


class ResultsNotReady(WrongState):
    """The submission is still Pending or Processing: only its status exists yet."""

    def __init__(self, status: str) -> None:
        super().__init__(f"The submission is {status}.")
        self.status = status


class NoResults(WrongState):
    """The submission failed: it has feedback, and no results."""

    def __init__(self) -> None:
        super().__init__("The submission failed, so it has no results.")


class NotStored(DomainError):
    """The object store did not take the data; nothing was kept, retry later."""


# Idempotency keys (SPEC §4, domain/idempotency.py): the words are the API's (api/errors.py).


class InvalidIdempotencyKey(InvalidInput):
    """An Idempotency-Key that is not 1 to 255 visible ASCII characters; ``problem`` says why."""

    def __init__(self, problem: str) -> None:
        super().__init__(f"Invalid idempotency key: {problem}.")
        self.problem = problem


class IdempotencyKeyReused(DomainError):
    """The key was first used, within its 24 hours, for a different request."""

    def __init__(self) -> None:
        super().__init__("The idempotency key was already used for a different request.")


class IdempotencyKeyInUse(WrongState):
    """The first request with the key has not answered yet."""

    def __init__(self) -> None:
        super().__init__("A request with this idempotency key is in progress.")


# -- The HTTP faces' own refusals -------------------------------------------------------------


class ApiError(LandingzoneError):
    """An HTTP face's refusal: its status, a message for the caller, the headers it needs."""

    status: int = 500

    def __init__(self, message: str, *, headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.headers = headers or {}


class BadRequest(ApiError):
    status = 400


class PayloadTooLarge(ApiError):
    status = 413


class Unprocessable(ApiError):
    """422: a JSON body the edge cannot parse into its model (main's ``api/uploadapi_body.py``)."""

    status = 422


class RangeNotSatisfiable(ApiError):
    """416: a download's Range lies outside the body (RFC 9110 §15.5.17)."""

    status = 416

    def __init__(self, message: str, *, size: int) -> None:
        super().__init__(message, headers={"Content-Range": f"bytes */{size}"})
        self.size = size


class TooManyRequests(ApiError):
    status = 429

    def __init__(self, message: str, *, retry_after: int) -> None:
        super().__init__(message, headers={"Retry-After": str(retry_after)})
        self.retry_after = retry_after


BEARER_REALM = 'Bearer realm="landingzone"'


class MissingToken(ApiError):
    """No bearer token at all (RFC 6750 §3: no error code in the challenge)."""

    status = 401

    def __init__(self) -> None:
        super().__init__(
            "Missing access_token: send 'Authorization: Bearer <access_token>' "
            "from POST /oauth2/token.",
            headers={"WWW-Authenticate": BEARER_REALM},
        )


class OAuthError(ApiError):
    """RFC 6749 §5.2 token endpoint error."""

    def __init__(self, status: int, error: str, description: str) -> None:
        headers = {"WWW-Authenticate": 'Basic realm="landingzone"'} if status == 401 else None
        super().__init__(description, headers=headers)
        self.status = status
        self.error = error


class StorageFull(LandingzoneError):
    """The object store has no space left; callers should retry later."""


class StorageUnavailable(LandingzoneError):
    """The object store did not answer, or refused a request it should take; retry later."""


class ConfigurationError(LandingzoneError):
    """A setting is unusable; the message names it and how to fix it."""
