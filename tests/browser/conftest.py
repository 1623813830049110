"""Playwright on the system's Chromium (``/usr/bin/chromium``, Debian's ``chromium``).

Playwright cannot download its own browsers here, so it drives the distribution's
Chromium. One headless browser serves all of tests/browser; every test gets a fresh
context (no shared cookies or storage) and a page in it. When a test fails, the
page's screenshot is saved as ``failure.png`` in the test's ``tmp_path`` and its
path is added to the report.

Without Chromium the tests skip on a developer machine; with ``CI``
set they fail, like the PostgreSQL and Redis tests (``service_missing``).
"""

from __future__ import annotations

import os
from collections.abc import Generator, Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, expect, sync_playwright

from tests.conftest import service_missing

CHROMIUM = Path("/usr/bin/chromium")
# Long enough for a cold start on a busy 2-core machine, short enough to fail fast.
TIMEOUT_MS = 15_000
FAILURE_REPORTS = pytest.StashKey[dict[str, pytest.TestReport]]()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    # Keep each phase's report on the item, so the page fixture's teardown knows
    # whether the test body failed and a screenshot is worth taking.
    report = yield
    item.stash.setdefault(FAILURE_REPORTS, {})[report.when] = report
    return report


# Package scope, not session: while Playwright's sync API is running it marks its
# event loop as the thread's running loop, so asyncio.run() in any later test of
# the suite would fail. The browser closes when the run leaves tests/browser.
@pytest.fixture(scope="package")
def browser() -> Iterator[Browser]:
    if not CHROMIUM.is_file():
        service_missing(f"Chromium at {CHROMIUM} (apt-get install chromium)")
    # expect() waits 5 s by default, too short for ReDoc on a busy machine.
    expect.set_options(timeout=TIMEOUT_MS)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM),
            headless=True,
            # Chromium's sandbox refuses to run as root (containers, CI).
            args=["--no-sandbox"] if os.geteuid() == 0 else [],
        )
        try:
            yield browser
        finally:
            browser.close()


@pytest.fixture
def context(browser: Browser) -> Iterator[BrowserContext]:
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    context.set_default_timeout(TIMEOUT_MS)
    try:
        yield context
    finally:
        context.close()


@pytest.fixture
def page(context: BrowserContext, request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Page]:
    page = context.new_page()
    yield page
    reports = request.node.stash.get(FAILURE_REPORTS, {})
    if "call" in reports and reports["call"].failed and not page.is_closed():
        screenshot = tmp_path / "failure.png"
        page.screenshot(path=screenshot)  # the viewport: what a person would see
        reports["call"].sections.append(("browser", f"screenshot of the page: {screenshot}"))
