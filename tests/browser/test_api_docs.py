"""/docs (Swagger UI) and /redoc (ReDoc) render in Chromium with no request off-origin.

The API reference pages must work on an air-gapped network (SPEC: self-hosted), so
every request to another origin is aborted: the pages have to render the title and
the operations from landingzone's own assets and /openapi.json alone.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from tests.browser.origin import confine_to_origin
from tests.e2e.server import ServerProcess

# One operation from each page's rendering of /openapi.json, as the pages print it.
OPERATION_PATH = "/analytics/files/upload"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    data_dir: Path = tmp_path_factory.mktemp("docs-server") / "data"
    proc = ServerProcess(data_dir).start()
    yield proc
    proc.stop()


def test_swagger_ui_renders_offline(server: ServerProcess, page: Page) -> None:
    guard = confine_to_origin(page, server.url)

    page.goto(f"{server.url}/docs")

    expect(page.locator(".swagger-ui .info .title")).to_contain_text("landingzone")
    operation = page.locator(".opblock-post").filter(
        has=page.locator(".opblock-summary-path", has_text=OPERATION_PATH)
    )
    expect(operation.first).to_be_visible()
    expect(operation.first.locator(".opblock-summary-method")).to_have_text("POST")
    page.wait_for_load_state("networkidle")
    assert f"{server.url}/openapi.json" in guard.requested
    assert any("/docs/assets/swagger-ui-bundle.js" in url for url in guard.requested)
    guard.assert_clean()


def test_redoc_renders_offline(server: ServerProcess, page: Page) -> None:
    guard = confine_to_origin(page, server.url)

    page.goto(f"{server.url}/redoc")

    expect(page.locator(".api-info h1")).to_contain_text("landingzone")
    # ReDoc prints each operation's method and path in its right-hand panel.
    endpoint = page.locator("[data-section-id] div", has_text=OPERATION_PATH).filter(
        has=page.locator("span.http-verb.post")
    )
    expect(endpoint.first).to_be_visible()
    page.wait_for_load_state("networkidle")
    assert f"{server.url}/openapi.json" in guard.requested
    assert any("/docs/assets/redoc.standalone.js" in url for url in guard.requested)
    guard.assert_clean()
