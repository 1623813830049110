"""The outermost ASGI layer: access log with redaction, and the object-endpoint fast path.

Signed-URL PUTs skip FastAPI's routing and middleware entirely (they are the
byte-heavy path); everything else goes to the FastAPI app.
"""

from __future__ import annotations

import logging
import time

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from landingzone.auth.signing import OBJECT_ROUTE_PREFIX
from landingzone.logs import redact_query

access_log = logging.getLogger("landingzone.access")


class LandingzoneApp:
    def __init__(self, api: ASGIApp, objects: ASGIApp) -> None:
        self.api = api
        self.objects = objects

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.api(scope, receive, send)
            return
        target = self.objects if scope["path"].startswith(OBJECT_ROUTE_PREFIX) else self.api
        started = time.perf_counter()
        status = 0

        async def logged_send(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await target(scope, receive, logged_send)
        finally:
            if access_log.isEnabledFor(logging.INFO):
                self._log(scope, status, started)

    @staticmethod
    def _log(scope: Scope, status: int, started: float) -> None:
        query = redact_query(scope.get("query_string", b"").decode("latin-1"))
        client = scope.get("client") or ("-", 0)
        access_log.info(
            '%s "%s %s%s" %s %.1fms',
            client[0],
            scope["method"],
            scope["path"],
            f"?{query}" if query else "",
            status or "-",
            (time.perf_counter() - started) * 1000,
        )
