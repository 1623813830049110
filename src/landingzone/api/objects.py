"""The embedded object endpoint (SPEC §6): PUT on a signed URL, S3-style.

A raw ASGI app rather than a FastAPI route: it streams the body chunk by chunk
with no framework buffering, and answers S3's XML error documents, which no
other face uses.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import AsyncIterator
from urllib.parse import parse_qsl
from xml.sax.saxutils import escape

from anyio import to_thread
from starlette.types import Receive, Scope, Send

from landingzone.api.errors import DATABASE_RETRY_AFTER, RequestAnswered
from landingzone.auth.signing import OBJECT_ROUTE_PREFIX
from landingzone.db.engine import database_unavailable
from landingzone.domain.uploads import INCOMPLETE_BODY, UploadService, parse_content_md5
from landingzone.errors import S3Error

log = logging.getLogger(__name__)


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
        except S3Error as exc:
            headers = {"content-type": "application/xml", "x-lz-request-id": request_id}
            headers.update(exc.headers)
            if exc.status == 405:
                headers["allow"] = "PUT"
            await _send(send, exc.status, headers, xml_error(exc.code, exc.message, request_id))
            return
        except RequestAnswered:
            raise  # the body guard answered (timeout); the staged bytes are already dropped
        except BodyInterrupted:
            log.info("upload interrupted by the client; nothing stored (request %s)", request_id)
            # A client that only half-closed still reads the answer.
            await _send(
                send,
                400,
                {"content-type": "application/xml", "x-lz-request-id": request_id},
                xml_error("IncompleteBody", INCOMPLETE_BODY, request_id),
            )
            return
        except Exception as exc:
            if database_unavailable(exc):
                log.warning(
                    "database unavailable during a PUT (request %s): %s",
                    request_id,
                    str(exc).strip().splitlines()[0] if str(exc).strip() else exc,
                )
                await _send(
                    send,
                    503,
                    {
                        "content-type": "application/xml",
                        "x-lz-request-id": request_id,
                        "retry-after": str(DATABASE_RETRY_AFTER),
                    },
                    xml_error(
                        "SlowDown",
                        "Please reduce your request rate: the metadata "
                        "database is unavailable; nothing was stored. Retry.",
                        request_id,
                    ),
                )
                return
            log.exception("unhandled error in the object endpoint (request %s)", request_id)
            await _send(
                send,
                500,
                {"content-type": "application/xml", "x-lz-request-id": request_id},
                xml_error("InternalError", "We encountered an internal error. Retry.", request_id),
            )
            return
        await _send(
            send,
            200,
            {"etag": f'"{etag}"', "x-lz-version": str(version), "x-lz-request-id": request_id},
        )

    async def _handle(self, scope: Scope, receive: Receive) -> tuple[str, int]:
        if scope["method"] != "PUT":
            raise S3Error(
                405,
                "MethodNotAllowed",
                "The specified method is not allowed: signed URLs take PUT.",
            )
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
        raise S3Error(400, "InvalidArgument", "Content-Length must be a whole number of bytes.")
    return int(value)
