"""Builds the HTTP application from an ``ApiContext``: a fresh app per call, no globals."""

from __future__ import annotations

from fastapi import FastAPI

from landingzone import __version__
from landingzone.api import (
    admin_audit,
    admin_datasets,
    admin_files,
    admin_objects,
    admin_submissions,
    admin_tenants,
    admin_users,
    analytics,
    downloads,
    files,
    health,
    oauth,
    push,
    uploadapi,
)
from landingzone.api.asgi import LandingzoneApp, bearer_checker
from landingzone.api.context import ApiContext
from landingzone.api.edges import BodyLimits
from landingzone.api.errors import install_error_handlers
from landingzone.api.objects import ObjectEndpoint
from landingzone.api.openapi import describe_api


def create_api(ctx: ApiContext) -> FastAPI:
    api = FastAPI(
        title="landingzone",
        version=__version__,
        description="Self-hosted landing zone for customer data files.",
        # describe_api serves these: the document from a sync route (it reads the
        # database), the pages without a CDN.
        openapi_url=None,
        docs_url=None,
        redoc_url=None,
    )
    api.state.context = ctx
    install_error_handlers(api)
    api.include_router(oauth.router)
    api.include_router(push.router)
    api.include_router(files.router)
    api.include_router(analytics.router)
    api.include_router(uploadapi.router)
    api.include_router(downloads.router)
    api.include_router(admin_objects.router)
    api.include_router(health.router)
    api.include_router(admin_users.router)
    api.include_router(admin_datasets.router)
    api.include_router(admin_files.router)
    api.include_router(admin_submissions.router)
    api.include_router(admin_tenants.router)
    api.include_router(admin_audit.router)
    describe_api(api)  # /openapi.json, /docs, /redoc
    return api


def create_asgi_app(ctx: ApiContext) -> LandingzoneApp:
    limits = BodyLimits(
        idle_timeout=ctx.body_idle_timeout,
        json_max_body=ctx.max_json_body,
        upload_api_max_body=ctx.upload_api_max_body,
        object_max_body=ctx.uploads.max_size,
    )
    return LandingzoneApp(create_api(ctx), ObjectEndpoint(ctx.uploads), limits, bearer_checker(ctx))
