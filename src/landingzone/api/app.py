"""Builds the HTTP application from an ``ApiContext``: a fresh app per call, no globals."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from landingzone import __version__
from landingzone.api import analytics, files, health, oauth, push
from landingzone.api.asgi import LandingzoneApp
from landingzone.api.context import ApiContext
from landingzone.api.errors import install_error_handlers
from landingzone.api.objects import ObjectEndpoint
from landingzone.pipeline.runner import PipelineRunner


def create_api(ctx: ApiContext, runner: PipelineRunner | None = None) -> FastAPI:
    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        # Validation workers live as long as the app is served; SIGTERM stops
        # them from claiming and waits for the file in flight.
        if runner is not None:
            runner.start()
        try:
            yield
        finally:
            if runner is not None:
                runner.stop()

    api = FastAPI(
        lifespan=lifespan,
        title="landingzone",
        version=__version__,
        description="Self-hosted landing zone for customer data files.",
    )
    api.state.context = ctx
    install_error_handlers(api)
    api.include_router(oauth.router)
    api.include_router(push.router)
    api.include_router(files.router)
    api.include_router(analytics.router)
    api.include_router(health.router)
    return api


def create_asgi_app(ctx: ApiContext, runner: PipelineRunner | None = None) -> LandingzoneApp:
    if runner is not None:
        ctx.uploads.on_file_uploaded = runner.wake
    return LandingzoneApp(create_api(ctx, runner), ObjectEndpoint(ctx.uploads))
