"""The embedded object endpoint (SPEC §6): PUT on a signed URL, S3-style.

A raw ASGI app rather than a FastAPI route: it streams the body chunk by chunk
with no framework buffering, and answers S3's XML error documents, which no
other face uses. ``S3_ANSWERS`` is the one table from the domain's refusal
reasons to those documents (docs/errors.md lists every row).
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass, field
from urllib.parse import parse_qsl
from xml.sax.saxutils import escape

from anyio import to_thread
from starlette.types import Receive, Scope, Send

from landingzone.api.errors import DATABASE_RETRY_AFTER, RequestAnswered
from landingzone.auth.signing import OBJECT_ROUTE_PREFIX
from landingzone.db.engine import database_unavailable
from landingzone.domain.uploads import UploadService, parse_content_md5
from landingzone.errors import Reason, UploadRefused

log = logging.getLogger(__name__)

# Seconds a client should wait before retrying a PUT refused because the disk is full.
STORE_FULL_RETRY_AFTER = 30


@dataclass(frozen=True)
class S3Answer:
    """An S3 XML error: status, ``Code`` and a ``Message`` template filled from the details."""

    status: int
    code: str
    message: str
    headers: Mapping[str, str] = field(default_factory=dict)


def _access_denied(message: str) -> S3Answer:
    return S3Answer(403, "AccessDenied", message)


# The one table from refusal reasons to S3's words (SPEC §6); docs/errors.md lists every row.
S3_ANSWERS: dict[Reason, S3Answer] = {
    Reason.WRONG_METHOD: S3Answer(
        405,
        "MethodNotAllowed",
        "The specified method is not allowed: signed URLs take PUT.",
        {"Allow": "PUT"},
    ),
    Reason.MISSING_AUTH: _access_denied(
        "Query-string authentication requires the X-Lz-Upload, X-Lz-Expires and "
        "X-Lz-Signature parameters: use the signed URL exactly as issued."
    ),
    Reason.SIGNATURE: S3Answer(
        403,
        "SignatureDoesNotMatch",
        "The request signature we calculated does not match the signature you provided. "
        "Use the URL exactly as issued, with PUT.",
    ),
    Reason.EXPIRED: _access_denied("Request has expired: ask for a new upload URL."),
    Reason.STORE_MOVED: _access_denied(
        "This server now stores uploads in S3 and no longer accepts them on its own "
        "URLs: ask for a new upload URL."
    ),
    Reason.USED: _access_denied("Request has already been used: ask for a new upload URL."),
    Reason.TARGET_GONE: _access_denied("The upload target of this URL no longer exists."),
    Reason.FILE_CLOSED: _access_denied("The file is {status}: ask for a new upload URL."),
    Reason.IN_FLIGHT: S3Answer(
        409,
        "OperationAborted",
        "Another upload to this URL is in progress; wait for it to finish.",
    ),
    Reason.BAD_LENGTH: S3Answer(
        400, "InvalidArgument", "Content-Length must be a whole number of bytes."
    ),
    Reason.TOO_LARGE: S3Answer(
        400,
        "EntityTooLarge",
        "Your proposed upload exceeds the maximum allowed size of {limit} bytes.",
    ),
    Reason.INVALID_DIGEST: S3Answer(
        400, "InvalidDigest", "The Content-MD5 you specified was invalid."
    ),
    Reason.BAD_DIGEST: S3Answer(
        400, "BadDigest", "The Content-MD5 you specified did not match what we received."
    ),
    Reason.INCOMPLETE: S3Answer(
        400,
        "IncompleteBody",
        "You did not provide the number of bytes specified by the Content-Length HTTP header.",
    ),
    Reason.STORE_FULL: S3Answer(
        503,
        "SlowDown",
        "The object store is out of space; retry later.",
        {"Retry-After": str(STORE_FULL_RETRY_AFTER)},
    ),
}
# Failures rather than refusals: the request was fine, the server could not serve it.
DATABASE_DOWN = S3Answer(
    503,
    "SlowDown",
    "Please reduce your request rate: the metadata database is unavailable; "
    "nothing was stored. Retry.",
    {"Retry-After": str(DATABASE_RETRY_AFTER)},
)
INTERNAL_ERROR = S3Answer(500, "InternalError", "We encountered an internal error. Retry.")


class BodyInterrupted(Exception):
    """The client went away before sending the whole body."""


def xml_error(code: str, message: str, request_id: str) -> bytes:
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f"<Error><Code>{escape(code)}</Code><Message>{escape(message)}</Message>"
        f"<RequestId>{request_id}</RequestId></Error>"
    ).encode()


async def _send(send: Send, status: int, headers: dict[str, str], body: bytes = b"") -> None:
    raw = [(k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in headers.items()]
    raw.append((b"content-length", str(len(body)).encode()))
    await send({"type": "http.response.start", "status": status, "headers": raw})
    await send({"type": "http.response.body", "body": body})


async def _send_error(
    send: Send, answer: S3Answer, request_id: str, details: Mapping[str, object] | None = None
) -> None:
    headers = {"content-type": "application/xml", "x-lz-request-id": request_id}
    headers.update({name.lower(): value for name, value in answer.headers.items()})
    message = answer.message.format_map(details or {})
    await _send(send, answer.status, headers, xml_error(answer.code, message, request_id))


async def body_chunks(receive: Receive) -> AsyncIterator[bytes]:
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            raise BodyInterrupted()
        chunk = message.get("body", b"")
        if chunk:
            yield chunk
        if not message.get("more_body", False):
            return


class ObjectEndpoint:
    def __init__(self, uploads: UploadService) -> None:
        self._uploads = uploads

    # async on purpose: the body streams in through `await receive()` and the ingest lanes'
    # threads hash and write it as it arrives (bench/RESULTS.md (b): 331 MB/s for 1 GiB;
    # "PUT memory": the worker grows by 5-7 MB whatever the body's pace).
    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        request_id = uuid.uuid4().hex[:16]
        try:
            etag, version = await self._handle(scope, receive)
        except UploadRefused as refused:
            await _send_error(send, S3_ANSWERS[refused.reason], request_id, refused.details)
            return
        except RequestAnswered:
            raise  # the body guard answered (timeout); the staged bytes are already dropped
        except BodyInterrupted:
            log.info("upload interrupted by the client; nothing stored (request %s)", request_id)
            # A client that only half-closed still reads the answer.
            await _send_error(send, S3_ANSWERS[Reason.INCOMPLETE], request_id)
            return
        except Exception as exc:
            if database_unavailable(exc):
                log.warning(
                    "database unavailable during a PUT (request %s): %s",
                    request_id,
                    str(exc).strip().splitlines()[0] if str(exc).strip() else exc,
                )
                await _send_error(send, DATABASE_DOWN, request_id)
                return
            log.exception("unhandled error in the object endpoint (request %s)", request_id)
            await _send_error(send, INTERNAL_ERROR, request_id)
            return
        await _send(
            send,
            200,
            {"etag": f'"{etag}"', "x-lz-version": str(version), "x-lz-request-id": request_id},
        )

    async def _handle(self, scope: Scope, receive: Receive) -> tuple[str, int]:
        if scope["method"] != "PUT":
            raise UploadRefused(Reason.WRONG_METHOD)
        key = scope["path"][len(OBJECT_ROUTE_PREFIX) :]
        query = parse_qsl(scope.get("query_string", b"").decode("latin-1"), keep_blank_values=True)
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
        target = await to_thread.run_sync(self._uploads.authorize, "PUT", key, query)
        content_length = _content_length(headers.get("content-length"))
        content_md5 = parse_content_md5(headers.get("content-md5"))
        stored = await self._uploads.receive(
            target, body_chunks(receive), content_length, content_md5
        )
        return stored.md5, stored.version


def _content_length(value: str | None) -> int | None:
    if value is None:
        return None
    if not (value.strip().isascii() and value.strip().isdigit()):
        raise UploadRefused(Reason.BAD_LENGTH)
    return int(value)
