"""Swagger UI (``/docs``) and ReDoc (``/redoc``), served with their assets by landingzone.

FastAPI's own pages load their JavaScript and CSS from a CDN, so they stay blank on
an air-gapped network. Here the pages reference only same-origin URLs under
``/docs/assets``, which serve the Swagger UI and ReDoc bundles that the PyPI package
``fastapi-offline`` ships (FastAPI's "self-hosting JavaScript and CSS for docs" recipe).
The app is created with ``openapi_url=None, docs_url=None, redoc_url=None`` so these
routes, and ``api/openapi.py``'s document, replace FastAPI's.

One request the bundles make on their own is removed: ReDoc 2 always renders an
"API docs by Redocly" link whose logo image it loads from ``cdn.redoc.ly``. Offline
that image fails quietly, but online every visit to /redoc would tell Redocly about
it, so ``/docs/assets/redoc.standalone.js`` is served with the logo URL blanked (the
component hides an image that fails to load). ``tests/browser`` checks in Chromium
that neither page requests anything from another origin.
"""

from __future__ import annotations

import functools
import hashlib
import importlib.resources
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.openapi.docs import (
    get_redoc_html,
    get_swagger_ui_html,
    get_swagger_ui_oauth2_redirect_html,
)
from fastapi.responses import HTMLResponse, Response
from fastapi.staticfiles import StaticFiles

OPENAPI_URL = "/openapi.json"  # served by api/openapi.py
DOCS_URL = "/docs"
REDOC_URL = "/redoc"
OAUTH2_REDIRECT_URL = "/docs/oauth2-redirect"
ASSETS_URL = "/docs/assets"
# The files the pages load, all inside fastapi-offline's static directory.
SWAGGER_JS = "swagger-ui-bundle.js"
SWAGGER_CSS = "swagger-ui.css"
REDOC_JS = "redoc.standalone.js"
FAVICON = "favicon.png"
# The only other-origin URL redoc.standalone.js loads by itself (the Redocly logo).
REDOC_CDN_LOGO = b'"https://cdn.redoc.ly/redoc/logo-mini.svg"'


def assets_directory() -> Path:
    """fastapi-offline's bundled Swagger UI and ReDoc files (package data, not code)."""
    directory = Path(str(importlib.resources.files("fastapi_offline").joinpath("static")))
    missing = [
        name for name in (SWAGGER_JS, SWAGGER_CSS, REDOC_JS) if not (directory / name).is_file()
    ]
    if missing:
        raise RuntimeError(f"fastapi-offline has no {', '.join(missing)} in {directory}")
    return directory


@functools.cache
def offline_redoc_bundle(directory: Path) -> bytes:
    """ReDoc's bundle without its CDN logo: an empty ``src`` fails without a request.
    Read once per process (every app made in it serves the same ~1 MB)."""
    return (directory / REDOC_JS).read_bytes().replace(REDOC_CDN_LOGO, b'""')


def install_docs(api: FastAPI) -> None:
    """Add /docs, /docs/oauth2-redirect, /redoc and their assets to ``api``."""
    directory = assets_directory()
    redoc_bundle = offline_redoc_bundle(directory)
    redoc_etag = f'"{hashlib.sha256(redoc_bundle).hexdigest()[:32]}"'

    # Registered before the mount, which would otherwise serve the file unchanged.
    @api.get(f"{ASSETS_URL}/{REDOC_JS}", include_in_schema=False)
    async def redoc_script(request: Request) -> Response:
        headers = {"ETag": redoc_etag, "Cache-Control": "no-cache"}
        if request.headers.get("if-none-match") == redoc_etag:
            return Response(status_code=304, headers=headers)
        return Response(redoc_bundle, media_type="text/javascript", headers=headers)

    api.mount(ASSETS_URL, StaticFiles(directory=directory), name="docs-assets")

    def asset(request: Request, name: str) -> str:
        # Same origin, and correct behind a proxy that sets root_path.
        return f"{request.scope.get('root_path', '')}{ASSETS_URL}/{name}"

    @api.get(DOCS_URL, include_in_schema=False)
    async def swagger_ui(request: Request) -> HTMLResponse:
        root = request.scope.get("root_path", "")
        return get_swagger_ui_html(
            openapi_url=f"{root}{OPENAPI_URL}",
            title=f"{api.title} - Swagger UI",
            oauth2_redirect_url=f"{root}{OAUTH2_REDIRECT_URL}",
            swagger_js_url=asset(request, SWAGGER_JS),
            swagger_css_url=asset(request, SWAGGER_CSS),
            swagger_favicon_url=asset(request, FAVICON),
            # Swagger UI would otherwise fetch a badge from validator.swagger.io.
            swagger_ui_parameters={**(api.swagger_ui_parameters or {}), "validatorUrl": None},
        )

    @api.get(OAUTH2_REDIRECT_URL, include_in_schema=False)
    async def swagger_ui_redirect() -> HTMLResponse:
        return get_swagger_ui_oauth2_redirect_html()

    @api.get(REDOC_URL, include_in_schema=False)
    async def redoc(request: Request) -> HTMLResponse:
        root = request.scope.get("root_path", "")
        return get_redoc_html(
            openapi_url=f"{root}{OPENAPI_URL}",
            title=f"{api.title} - ReDoc",
            redoc_js_url=asset(request, REDOC_JS),
            redoc_favicon_url=asset(request, FAVICON),
            with_google_fonts=False,
        )
