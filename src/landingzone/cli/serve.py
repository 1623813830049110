"""`landingzone serve`: migrate, clean up, seed the demo tenant, then run the HTTP server."""

from __future__ import annotations

import os

from landingzone.bootstrap import Services
from landingzone.cli.httpserver import exec_server
from landingzone.domain.admin import IssuedClient
from landingzone.settings import Settings


def prepare(settings: Settings) -> IssuedClient | None:
    """Everything that must happen once before workers start; returns demo credentials."""
    services = Services.build(settings)
    try:
        services.store.ping()  # a missing bucket or unwritable directory: one clear line
        services.migrate()
        services.verify_key()
        services.datasets.install_shipped()
        services.cleanup()
        return services.seed_demo()
    finally:
        services.engine.dispose()


def demo_banner(settings: Settings, issued: IssuedClient) -> str:
    url = settings.effective_public_url
    c = issued.client
    return f"""
landingzone created a demo tenant: customer 'demo', app 'myAppId', a client with every scope.
These credentials are shown once; keep them:

  client_id:     {c.client_id}
  client_secret: {issued.client_secret}
  api_key:       {issued.api_key}

Quickstart (copy-paste into a shell):

  TOKEN=$(curl -s -u '{c.client_id}:{issued.client_secret}' \\
      -d grant_type=client_credentials {url}/oauth2/token \\
      | python3 -c 'import sys, json; print(json.load(sys.stdin)["access_token"])')
  curl -s -H "Authorization: Bearer $TOKEN" \\
      '{url}/services/push/v1/customer/apps/myAppId/upload?filenames=foo.json&filenames=bar.json'
  # then PUT each file to its URL:
  curl -X PUT -d 'Hello world' '<the URL for foo.json>'
"""


def run_server(settings: Settings) -> None:
    # Worker processes build their own Settings from the environment: make the
    # command-line overrides part of it.
    os.environ["LZ_HOST"] = settings.host
    os.environ["LZ_PORT"] = str(settings.port)
    os.environ["LZ_DATA_DIR"] = str(settings.data_dir)
    exec_server(
        settings.host,
        settings.port,
        settings.http_workers,
        settings.log_level,
        settings.validation_workers,
    )
