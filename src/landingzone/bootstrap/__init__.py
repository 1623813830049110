"""Composition root: Settings -> database, storage backend, keys, services, app.

The only package that imports every layer; wiring only, no decisions of its own
(the storage backend is decided in ``storage/backend.py``). Each service is built
once, in ``Services.build``; the HTTP app, the validation pipeline and the
operator's facade are assembled from those. Nothing here runs at import time.
"""

from __future__ import annotations

from landingzone.api.app import create_asgi_app
from landingzone.api.asgi import LandingzoneApp
from landingzone.bootstrap.services import Services
from landingzone.domain.operator import Operator
from landingzone.settings import Settings

__all__ = ["Services", "app_from_env", "create_app", "open_operator"]


def open_operator(settings: Settings) -> Operator:
    """The operator's facade on the installation ``settings`` name (created on first use)."""
    return Services.build(settings).operator()


def create_app(settings: Settings) -> LandingzoneApp:
    """A fresh ASGI app for ``settings`` (the database must already be migrated)."""
    return create_asgi_app(Services.build(settings).api_context())


def app_from_env() -> LandingzoneApp:
    """Factory for the HTTP server's worker processes: settings from ``LZ_*``."""
    from landingzone.logs import configure_logging

    settings = Settings()
    configure_logging(settings.log_level)
    return create_app(settings)
