"""What every uploader command shares: credential options, the client, errors to exit codes.

Exit codes (docs/cli.md): 0 done, 1 the work failed (a file failed or was
cancelled, an unknown app or file), 2 usage, 3 authentication or permission,
4 server unreachable.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Annotated

import typer

from landingzone.cli.credentials import CredentialsError, resolve
from landingzone.client import (
    AuthenticationError,
    Client,
    LandingzoneClientError,
    PermissionDenied,
    ServerUnreachable,
)

OK, FAILED, USAGE, AUTH, UNREACHABLE = 0, 1, 2, 3, 4

UrlOption = Annotated[str | None, typer.Option("--url", help="Server base URL (LZ_URL).")]
ClientIdOption = Annotated[
    str | None, typer.Option("--client-id", help="OAuth client id (LZ_CLIENT_ID).")
]
SecretOption = Annotated[
    str | None,
    typer.Option("--client-secret", help="OAuth client secret (LZ_CLIENT_SECRET)."),
]
ApiKeyOption = Annotated[
    str | None, typer.Option("--api-key", help="The client's API key (LZ_API_KEY).")
]
ProfileOption = Annotated[
    str, typer.Option("--profile", help="Section of the profile file to read.")
]


def fail(message: str, code: int) -> typer.Exit:
    typer.echo(f"error: {message}", err=True)
    return typer.Exit(code)


@contextmanager
def connected(
    url: str | None,
    client_id: str | None,
    client_secret: str | None,
    profile: str,
    api_key: str | None = None,
) -> Iterator[Client]:
    """A client for the resolved credentials; the SDK's errors become one line and a code."""
    flags = {"url": url, "client_id": client_id, "client_secret": client_secret, "api_key": api_key}
    try:
        creds = resolve(flags, profile)
    except CredentialsError as exc:
        raise fail(str(exc), USAGE) from None
    try:
        with Client(
            creds.url, creds.client_id, creds.client_secret, api_key=creds.api_key
        ) as client:
            yield client
    except (AuthenticationError, PermissionDenied) as exc:
        raise fail(exc.message, AUTH) from None
    except ServerUnreachable as exc:
        raise fail(exc.message, UNREACHABLE) from None
    except LandingzoneClientError as exc:
        raise fail(exc.message, FAILED) from None
