"""The request-body guard every request passes before any route reads its body.

It answers, itself and before the route sees a byte, the requests that must not
reach a route: a JSON request without a valid bearer token (401), a body whose
``Content-Length`` exceeds the route's limit (413), a malformed or conflicting
``Content-Length`` (400) and a PUT without any length (411). While the route
reads, it counts the bytes (413 past the limit without a ``Content-Length``)
and times each wait for the next chunk (``body_idle_timeout``): a stalled body
gets an answer and the connection is closed, instead of holding a worker slot.

Once the guard has answered, whatever the route still tries to send is dropped,
and the ``RequestAnswered`` it raised from ``receive`` ends the route quietly.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from landingzone.api.errors import (
    DATABASE_RETRY_AFTER,
    DATABASE_UNAVAILABLE,
    NO_STORE,
    TOKEN_PATHS,
    RequestAnswered,
    error_body,
    json_answer,
)
from landingzone.api.objects import xml_error
from landingzone.db.engine import database_unavailable
from landingzone.errors import ApiError, DomainError, MissingToken

log = logging.getLogger(__name__)

BODY_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
REQUEST_TIMEOUT_S3 = (
    "Your socket connection to the server was not read from or written to within the "
    "timeout period. Send the body without pauses, or retry."
)


@dataclass(frozen=True)
class BodyLimits:
    idle_timeout: float
    json_max_body: int
    upload_api_max_body: int
    object_max_body: int

    def for_path(self, path: str, is_object: bool) -> int:
        if is_object:
            return self.object_max_body
        if path.rstrip("/").endswith("/UploadData"):
            return self.upload_api_max_body
        return self.json_max_body


Authenticator = Callable[[str], Awaitable[None]]


def _headers(scope: Scope) -> dict[str, str]:
    found: dict[str, str] = {}
    for raw_name, raw_value in scope["headers"]:
        name = raw_name.decode("latin-1").lower()
        value = raw_value.decode("latin-1")
        # A repeated Content-Length with different values is as malformed as a bad one.
        found[name] = f"{found[name]},{value}" if name in found else value
    return found


class EdgeRefusal(Exception):
    """The guard refuses the request; ``answer`` renders it in the endpoint's dialect."""

    def __init__(self, status: int, s3_code: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.s3_code = s3_code
        self.message = message


class BodyGuard:
    def __init__(
        self,
        app: ASGIApp,
        limits: BodyLimits,
        authenticate: Authenticator,
        is_object: Callable[[str], bool],
    ) -> None:
        self.app = app
        self.limits = limits
        self.authenticate = authenticate
        self.is_object = is_object

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        exchange = _Exchange(scope, receive, send, self)
        await exchange.run()


class _Exchange:
    """One request through the guard."""

    def __init__(self, scope: Scope, receive: Receive, send: Send, guard: BodyGuard) -> None:
        self.scope = scope
        self.downstream_receive = receive
        self.downstream_send = send
        self.guard = guard
        self.path: str = scope["path"]
        self.is_object = guard.is_object(self.path)
        self.limit = guard.limits.for_path(self.path, self.is_object)
        self.received = 0
        self.body_done = scope["method"] not in BODY_METHODS and not self._has_body_headers()
        self.answered = False
        self.started = False

    def _has_body_headers(self) -> bool:
        headers = _headers(self.scope)
        return "content-length" in headers or "transfer-encoding" in headers

    async def run(self) -> None:
        try:
            await self._check_headers()
        except EdgeRefusal as refusal:
            await self._answer(refusal)
            return
        except ApiError as exc:
            await self._answer_json(exc.status, exc.message, exc.headers)
            return
        except DomainError as exc:  # the token check's refusal (InvalidToken)
            worded = json_answer(exc)
            await self._answer_json(worded.status, worded.message, dict(worded.headers))
            return
        except Exception as exc:
            if not database_unavailable(exc):
                raise
            log.warning("database unavailable checking a bearer token: %s", type(exc).__name__)
            retry = {"retry-after": str(DATABASE_RETRY_AFTER)}
            await self._answer_json(503, DATABASE_UNAVAILABLE, retry)
            return
        with contextlib.suppress(RequestAnswered):
            await self.guard.app(self.scope, self.receive, self.send)

    async def _check_headers(self) -> None:
        headers = _headers(self.scope)
        method = self.scope["method"]
        chunked = "chunked" in headers.get("transfer-encoding", "").lower()
        declared = headers.get("content-length")
        if declared is not None:
            if chunked:
                raise EdgeRefusal(
                    400,
                    "InvalidArgument",
                    "Send either Content-Length or Transfer-Encoding: chunked, not both.",
                )
            if not (declared.strip().isascii() and declared.strip().isdigit()):
                raise EdgeRefusal(
                    400, "InvalidArgument", "Content-Length must be a whole number of bytes."
                )
        length = int(declared) if declared is not None else None
        has_body = chunked or bool(length)
        if self.is_object:
            if method == "PUT" and length is None and not chunked:
                raise EdgeRefusal(
                    411,
                    "MissingContentLength",
                    "You must provide the Content-Length HTTP header (curl: --data-binary "
                    "@FILE or -T FILE).",
                )
            # The object endpoint checks its signature and size itself, in S3's words.
            return
        if has_body and method in BODY_METHODS and self.path not in TOKEN_PATHS:
            await self._check_bearer(headers.get("authorization"))
        if length is not None and length > self.limit:
            raise EdgeRefusal(413, "EntityTooLarge", self._too_large())

    async def _check_bearer(self, header: str | None) -> None:
        if not header:
            raise MissingToken()
        await self.guard.authenticate(header)

    def _too_large(self) -> str:
        return f"The request body is larger than this endpoint's limit of {self.limit} bytes. " + (
            "Split the Data into several submissions."
            if self.limit == self.guard.limits.upload_api_max_body
            else "Send a smaller body."
        )

    async def receive(self) -> Message:
        if self.answered:
            raise RequestAnswered()
        if self.body_done:
            return await self.downstream_receive()
        try:
            # asyncio's own timeout: 5.5 us a message here against anyio.fail_after's
            # 13.5 us, paid on every frame of every PUT body.
            async with asyncio.timeout(self.guard.limits.idle_timeout):
                message = await self.downstream_receive()
        except TimeoutError:
            log.info(
                "%s %s: no body bytes for %.0f s after %d bytes; answered and closed",
                self.scope["method"],
                self.path,
                self.guard.limits.idle_timeout,
                self.received,
            )
            await self._answer(EdgeRefusal(408, "RequestTimeout", REQUEST_TIMEOUT_S3))
            raise RequestAnswered() from None
        if message["type"] == "http.request":
            self.received += len(message.get("body", b""))
            if not message.get("more_body", False):
                self.body_done = True
            if self.received > self.limit and not self.is_object:
                await self._answer(EdgeRefusal(413, "EntityTooLarge", self._too_large()))
                raise RequestAnswered()
        else:
            self.body_done = True
        return message

    async def send(self, message: Message) -> None:
        if self.answered:
            return
        if message["type"] == "http.response.start":
            self.started = True
        await self.downstream_send(message)

    async def _answer(self, refusal: EdgeRefusal) -> None:
        if self.is_object:
            # S3 answers a timed-out body 400 RequestTimeout; the other codes keep their status.
            status = 400 if refusal.s3_code == "RequestTimeout" else refusal.status
            request_id = uuid.uuid4().hex[:16]
            await self._send_once(
                status,
                {"content-type": "application/xml", "x-lz-request-id": request_id},
                xml_error(refusal.s3_code, refusal.message, request_id),
            )
            return
        message = refusal.message
        if refusal.s3_code == "RequestTimeout":
            message = (
                f"The request body stalled: no bytes for {self.guard.limits.idle_timeout:.0f} s. "
                "Send the body without pauses, or retry."
            )
        await self._answer_json(refusal.status, message, {})

    async def _answer_json(self, status: int, message: str, headers: dict[str, str]) -> None:
        body = error_body(status, message)
        if self.path in TOKEN_PATHS:
            body.update(error="invalid_request", error_description=message)
            headers = {**headers, **NO_STORE}
        await self._send_once(
            status, {**headers, "content-type": "application/json"}, json.dumps(body).encode()
        )

    async def _send_once(self, status: int, headers: dict[str, str], body: bytes) -> None:
        self.answered = True
        if self.started:
            return  # the route already answered; nothing more can be said
        raw = [(k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in headers.items()]
        raw.append((b"content-length", str(len(body)).encode()))
        if not self.body_done:
            # The rest of the body will not be read: the connection cannot be reused.
            raw.append((b"connection", b"close"))
        start = {"type": "http.response.start", "status": status, "headers": raw}
        await self.downstream_send(start)
        await self.downstream_send({"type": "http.response.body", "body": body})
