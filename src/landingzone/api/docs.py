"""Swagger UI (``/docs``) and ReDoc (``/redoc``), served with their assets by landingzone.

FastAPI's own pages load their JavaScript and CSS from a CDN, so they stay blank on
an air-gapped network. Here the pages reference only same-origin URLs under
``/docs/assets``, which serve the Swagger UI and ReDoc bundles that the PyPI package
``fastapi-offline`` ships (FastAPI's "self-hosting JavaScript and CSS for docs" recipe).
The app is created with ``openapi_url=None, docs_url=None, redoc_url=None`` so these
routes, and ``api/openapi.py``'s document, replace FastAPI's.
"""

from __future__ import annotations

import importlib.resources
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.openapi.docs import (
    get_redoc_html,
    get_swagger_ui_html,
    get_swagger_ui_oauth2_redirect_html,
)
from fastapi.responses import HTMLResponse
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


def assets_directory() -> Path:
    """fastapi-offline's bundled Swagger UI and ReDoc files (package data, not code)."""
    directory = Path(str(importlib.resources.files("fastapi_offline").joinpath("static")))
    missing = [
        name for name in (SWAGGER_JS, SWAGGER_CSS, REDOC_JS) if not (directory / name).is_file()
    ]
    if missing:
        raise RuntimeError(f"fastapi-offline has no {', '.join(missing)} in {directory}")
    return directory


def install_docs(api: FastAPI) -> None:
    """Add /docs, /docs/oauth2-redirect, /redoc and their assets to ``api``."""
    api.mount(ASSETS_URL, StaticFiles(directory=assets_directory()), name="docs-assets")

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
