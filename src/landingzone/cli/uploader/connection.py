"""What every uploader command shares: credential options, the client, errors to exit codes.

Exit codes (docs/cli.md): 0 done, 1 the work failed (a file failed or was
cancelled, an unknown app or file), 2 usage, 3 authentication or permission,
4 server unreachable, 130 interrupted by Ctrl-C (`files upload`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
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
INTERRUPTED = 130  # 128 + SIGINT, as shells report a command stopped by Ctrl-C

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


# A command's wording for the server's errors it expects: the server speaks of
# request fields ("Overwrite", "datasetType"), a CLI user knows flags. None: no rewording.
Explain = Callable[[LandingzoneClientError], str | None]
WHERE_CREDENTIALS = "(or LZ_CLIENT_ID and LZ_CLIENT_SECRET, or the profile file)"


def fail(message: str, code: int) -> typer.Exit:
    typer.echo(f"error: {message}", err=True)
    return typer.Exit(code)


def in_cli_words(exc: LandingzoneClientError, scope: str | None) -> str:
    """The SDK error as a sentence about this command's flags, not the SDK's parameters."""
    if isinstance(exc, AuthenticationError) and exc.code == "invalid_client":
        return (
            "the server refused the client id and secret: check --client-id and "
            f"--client-secret {WHERE_CREDENTIALS}."
        )
    if isinstance(exc, AuthenticationError) and exc.code == "invalid_token":
        return (
            "the server refused this client's access token (the client may have been "
            "disabled): ask your operator for a new client."
        )
    if isinstance(exc, PermissionDenied) and exc.code == "insufficient_scope":
        missing = exc.scope or scope or "the needed scope"
        return (
            f"this client lacks the scope {missing}, which this command needs: ask your "
            f"operator for a client with it (landingzone admin client create CUSTOMER "
            f"--scope {missing})."
        )
    if isinstance(exc, ServerUnreachable):
        return f"{exc.message}: check --url (or LZ_URL, or the profile file) and the server."
    return exc.message


@contextmanager
def connected(
    url: str | None,
    client_id: str | None,
    client_secret: str | None,
    profile: str,
    api_key: str | None = None,
    *,
    scope: str | None = None,
    needs_api_key: bool = False,
    explain: Explain | None = None,
) -> Iterator[Client]:
    """A client for the resolved credentials; the SDK's errors become one line and a code.

    ``scope`` is what the command needs (named when the client lacks it);
    ``explain`` rewords the errors the command expects in terms of its flags.
    """
    flags = {"url": url, "client_id": client_id, "client_secret": client_secret, "api_key": api_key}
    try:
        creds = resolve(flags, profile)
    except CredentialsError as exc:
        raise fail(str(exc), USAGE) from None
    if needs_api_key and not creds.api_key:
        raise fail(
            "this command needs the client's API key: give --api-key (or LZ_API_KEY, or "
            "api_key in the profile file).",
            USAGE,
        )
    try:
        with Client(
            creds.url, creds.client_id, creds.client_secret, api_key=creds.api_key
        ) as client:
            yield client
    except LandingzoneClientError as exc:
        message = (explain(exc) if explain else None) or in_cli_words(exc, scope)
        if isinstance(exc, (AuthenticationError, PermissionDenied)):
            raise fail(message, AUTH) from None
        if isinstance(exc, ServerUnreachable):
            raise fail(message, UNREACHABLE) from None
        raise fail(message, FAILED) from None
