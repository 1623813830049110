"""Confine a Playwright page to one origin, and record what it tried and logged.

The pages landingzone serves must work on an air-gapped network: no CDN, no web
fonts, no badge from a third-party validator. A page under test is routed so that
every request to another origin is aborted and recorded; the test then asserts
that the list is empty, so a page that merely *tries* to reach the internet fails
even on a machine that has internet access.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

if TYPE_CHECKING:
    from playwright.sync_api import ConsoleMessage, Error, Page, Request, Route

# Schemes that never leave the browser (inline images, in-page blobs for workers).
LOCAL_SCHEMES = frozenset({"data", "blob", "about"})


def origin_of(url: str) -> str:
    """``scheme://host:port`` with the default port made explicit, for comparison."""
    parts = urlsplit(url)
    port = parts.port or {"http": 80, "https": 443, "ws": 80, "wss": 443}.get(parts.scheme)
    return f"{parts.scheme}://{parts.hostname}:{port}"


@dataclass
class OriginGuard:
    """What a page confined by :func:`confine_to_origin` requested and logged."""

    origin: str
    requested: list[str] = field(default_factory=list)  # every same-origin URL, in order
    blocked: list[str] = field(default_factory=list)  # other-origin URLs, aborted
    console_errors: list[str] = field(default_factory=list)
    page_errors: list[str] = field(default_factory=list)  # uncaught exceptions

    def assert_clean(self) -> None:
        """Nothing left the origin, nothing was logged as an error, nothing threw."""
        assert self.blocked == [], f"requests to other origins: {self.blocked}"
        assert self.console_errors == [], f"console errors: {self.console_errors}"
        assert self.page_errors == [], f"uncaught page errors: {self.page_errors}"


def confine_to_origin(page: Page, origin_url: str) -> OriginGuard:
    """Abort every request ``page`` makes to an origin other than ``origin_url``'s.

    Call before the first ``page.goto``. Routing is per page, so a test can confine
    one page and leave another free.
    """
    guard = OriginGuard(origin_of(origin_url))

    def route(route: Route, request: Request) -> None:
        url = request.url
        if urlsplit(url).scheme in LOCAL_SCHEMES:
            route.continue_()
        elif origin_of(url) == guard.origin:
            guard.requested.append(url)
            route.continue_()
        else:
            guard.blocked.append(url)
            route.abort("blockedbyclient")

    def console(message: ConsoleMessage) -> None:
        if message.type == "error":
            guard.console_errors.append(f"{message.text} ({message.location.get('url', '')})")

    def page_error(error: Error) -> None:
        guard.page_errors.append(f"{error.name}: {error.message}")

    page.route("**/*", route)
    page.on("console", console)
    page.on("pageerror", page_error)
    return guard
