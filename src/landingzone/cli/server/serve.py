"""`landingzone serve`: migrate, clean up, seed the demo tenant, then run the HTTP server."""

from __future__ import annotations

import errno
import os
import socket

from landingzone.bootstrap import open_operator
from landingzone.cli.server.httpserver import exec_server
from landingzone.domain.installation import DemoTenant
from landingzone.errors import ConfigurationError
from landingzone.settings import Settings


def require_free_port(host: str, port: int) -> None:
    """Refuse a port something already listens on, before anything else is done.

    The HTTP server shares its socket between workers (SO_REUSEPORT), so two
    servers would both bind it and split the requests between them. A probe
    bound without SO_REUSEPORT fails while any listener holds the port; with
    SO_REUSEADDR it still succeeds on a port left in TIME_WAIT by a stopped server.
    """
    try:
        family, kind, proto, _, address = socket.getaddrinfo(
            host or None, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE
        )[0]
    except socket.gaierror as exc:
        raise ConfigurationError(f"Cannot listen on '{host}': {exc.strerror} (LZ_HOST).") from None
    with socket.socket(family, kind, proto) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(address)
        except OSError as exc:
            if exc.errno == errno.EADDRINUSE:
                raise ConfigurationError(
                    f"Port {port} on {host} is already in use (another landingzone serve, "
                    "or another program): stop it, or choose another port with --port or "
                    "LZ_PORT."
                ) from None
            raise ConfigurationError(
                f"Cannot listen on {host}:{port}: {exc.strerror} (--host/--port, LZ_HOST/LZ_PORT)."
            ) from None


def prepare(settings: Settings) -> DemoTenant | None:
    """Everything that must happen once before workers start; returns demo credentials."""
    opened = open_operator(settings)
    try:
        return opened.prepare()
    finally:
        opened.close()


def demo_banner(settings: Settings, issued: DemoTenant) -> str:
    url = settings.effective_public_url
    c = issued.client
    return f"""
landingzone created a demo tenant (customer 'demo', app 'myAppId') and a client for it.
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
{operator_banner(issued)}"""


def operator_banner(issued: DemoTenant) -> str:
    """The demo operator's portal sign-in, when one was created with the demo tenant."""
    if issued.operator is None or issued.operator.one_time_password is None:
        return ""
    return f"""
An operator can sign in to the portal, once it is served, with this one-time
password (shown once; choose a new one at the first sign-in):

  email:    {issued.operator.user.email}
  password: {issued.operator.one_time_password}
"""


def demo_document(issued: DemoTenant) -> dict[str, object]:
    """The demo credentials in `serve --json`: the client's, and the operator's sign-in."""
    document: dict[str, object] = {
        "client_id": issued.client.client_id,
        "client_secret": issued.client_secret,
        "api_key": issued.api_key,
        "customer": issued.customer_name,
        "scopes": list(issued.client.scopes),
    }
    if issued.operator is not None:
        document["operator"] = {
            "email": issued.operator.user.email,
            "one_time_password": issued.operator.one_time_password,
        }
    return document


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
