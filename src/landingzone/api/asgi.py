"""The outermost ASGI layer: access log with redaction, and the object-endpoint fast path.

Signed-URL PUTs skip FastAPI's routing and middleware entirely (they are the
byte-heavy path); everything else goes to the FastAPI app.
"""

from __future__ import annotations

import contextlib
import logging
import time
import uuid

from anyio import to_thread
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from landingzone.api.context import ApiContext
from landingzone.api.deps import parse_bearer
from landingzone.api.edges import Authenticator, BodyGuard, BodyLimits
from landingzone.auth.scopes import ALL_SCOPES
from landingzone.auth.signing import OBJECT_ROUTE_PREFIX
from landingzone.errors import InsufficientScope
from landingzone.logs import redact_query

access_log = logging.getLogger("landingzone.access")


def is_object_path(path: str) -> bool:
    return path.startswith(OBJECT_ROUTE_PREFIX)


def bearer_checker(ctx: ApiContext) -> Authenticator:
    """Checks a bearer token before a route reads its body; the route checks the scope."""

    async def check(header: str) -> None:
        token = parse_bearer(header)

        def verify() -> None:
            # A valid token without the route's scope gets the route's own 403.
            with contextlib.suppress(InsufficientScope):
                ctx.access.authenticate(token, ALL_SCOPES)

        await to_thread.run_sync(verify)

    return check


class LandingzoneApp:
    def __init__(
        self, api: ASGIApp, objects: ASGIApp, limits: BodyLimits, authenticate: Authenticator
    ) -> None:
        self.api = api
        self.objects = objects
        # Both faces read their bodies only through the guard (api/edges.py).
        self._guarded_api = BodyGuard(api, limits, authenticate, is_object_path)
        self._guarded_objects = BodyGuard(objects, limits, authenticate, is_object_path)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.api(scope, receive, send)  # lifespan
            return
        started = time.perf_counter()
        status = 0
        if is_object_path(scope["path"]):
            target = self._guarded_objects  # the object endpoint names its own requests
            request_id = None
        else:
            target = self._guarded_api
            # One id per API request: in the answer's headers, the access log and the
            # audit log (request.state.request_id), so a change can be traced to its call.
            request_id = uuid.uuid4().hex[:16]
            scope.setdefault("state", {})["request_id"] = request_id

        async def logged_send(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                if request_id is not None:
                    headers = list(message.get("headers", []))
                    headers.append((b"x-lz-request-id", request_id.encode()))
                    message = {**message, "headers": headers}
            await send(message)

        try:
            await target(scope, receive, logged_send)
        finally:
            if access_log.isEnabledFor(logging.INFO):
                self._log(scope, status, started, request_id)

    @staticmethod
    def _log(scope: Scope, status: int, started: float, request_id: str | None) -> None:
        query = redact_query(scope.get("query_string", b"").decode("latin-1"))
        client = scope.get("client") or ("-", 0)
        access_log.info(
            '%s "%s %s%s" %s %.1fms%s',
            client[0],
            scope["method"],
            scope["path"],
            f"?{query}" if query else "",
            status or "-",
            (time.perf_counter() - started) * 1000,
            f" {request_id}" if request_id else "",
        )
