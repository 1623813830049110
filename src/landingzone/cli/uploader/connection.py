"""What every uploader command shares: the connection flags, the client, errors to exit codes.

The flags (--url, --client-id, --client-secret, --api-key, --profile) are
declared here once: a command takes one ``connection: Connection`` parameter
and ``@connection_flags()`` puts the flags in its place.

Exit codes (docs/cli.md): 0 done, 1 the work failed (a file failed or was
cancelled, an unknown app or file), 2 usage, 3 authentication or permission,
4 server unreachable, 130 interrupted by Ctrl-C (`files upload`).
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Annotated, Any, get_type_hints

import typer

from landingzone.cli.output import fail
from landingzone.cli.uploader.credentials import CredentialsError, resolve
from landingzone.client import (
    AuthenticationError,
    Client,
    LandingzoneClientError,
    PermissionDenied,
    ServerUnreachable,
)

OK, FAILED, USAGE, AUTH, UNREACHABLE = 0, 1, 2, 3, 4
INTERRUPTED = 130  # 128 + SIGINT, as shells report a command stopped by Ctrl-C

# A command's wording for the server's errors it expects: the server speaks of
# request fields ("Overwrite", "datasetType"), a CLI user knows flags. None: no rewording.
Explain = Callable[[LandingzoneClientError], str | None]
WHERE_CREDENTIALS = "(or LZ_CLIENT_ID and LZ_CLIENT_SECRET, or the profile file)"


def _flag(name: str, annotation: Any, default: str | None = None) -> inspect.Parameter:
    return inspect.Parameter(
        name, inspect.Parameter.KEYWORD_ONLY, default=default, annotation=annotation
    )


URL = _flag("url", Annotated[str | None, typer.Option("--url", help="Server base URL (LZ_URL).")])
CLIENT_ID = _flag(
    "client_id",
    Annotated[str | None, typer.Option("--client-id", help="OAuth client id (LZ_CLIENT_ID).")],
)
CLIENT_SECRET = _flag(
    "client_secret",
    Annotated[
        str | None,
        typer.Option("--client-secret", help="OAuth client secret (LZ_CLIENT_SECRET)."),
    ],
)
API_KEY = _flag(
    "api_key",
    Annotated[str | None, typer.Option("--api-key", help="The client's API key (LZ_API_KEY).")],
)
PROFILE = _flag(
    "profile",
    Annotated[str, typer.Option("--profile", help="Section of the profile file to read.")],
    "default",
)


@dataclass(frozen=True)
class Connection:
    """The connection flags as given (None: not given; the environment or profile decides)."""

    url: str | None
    client_id: str | None
    client_secret: str | None
    profile: str
    api_key: str | None = None

    @contextmanager
    def client(
        self,
        *,
        scope: str | None = None,
        needs_api_key: bool = False,
        explain: Explain | None = None,
    ) -> Iterator[Client]:
        """A client for the resolved credentials; the SDK's errors become one line and a code.

        ``scope`` is what the command needs (named when the client lacks it);
        ``explain`` rewords the errors the command expects in terms of its flags.
        """
        flags = {"url": self.url, "client_id": self.client_id,
                 "client_secret": self.client_secret, "api_key": self.api_key}  # fmt: skip
        try:
            creds = resolve(flags, self.profile)
        except CredentialsError as exc:
            fail(str(exc), USAGE)
        if needs_api_key and not creds.api_key:
            fail(
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
                fail(message, AUTH)
            if isinstance(exc, ServerUnreachable):
                fail(message, UNREACHABLE)
            fail(message, FAILED)


def connection_flags(*, api_key: bool = False) -> Callable[[Callable[..., None]], Any]:
    """Give a command the connection flags where its ``connection`` parameter is.

    Typer reads a command's options from its signature: the wrapper's signature
    has the flags in place of ``connection`` (``--api-key`` only with ``api_key``),
    and the wrapper calls the command with them gathered into a ``Connection``.
    """
    flags = [URL, CLIENT_ID, CLIENT_SECRET, *([API_KEY] if api_key else []), PROFILE]

    def decorate(command: Callable[..., None]) -> Any:
        signature = inspect.signature(command, eval_str=True)
        parameters: list[inspect.Parameter] = []
        for parameter in signature.parameters.values():
            if parameter.name == "connection":
                parameters.extend(flags)
            elif parameters and parameters[-1].kind is inspect.Parameter.KEYWORD_ONLY:
                # Everything after the flags is keyword-only, as the flags are.
                parameters.append(parameter.replace(kind=inspect.Parameter.KEYWORD_ONLY))
            else:
                parameters.append(parameter)

        @functools.wraps(command)
        def with_connection(**values: Any) -> None:
            given = {flag.name: values.pop(flag.name) for flag in flags}
            command(**values, connection=Connection(**given))

        hints = get_type_hints(command, include_extras=True)
        with_connection.__signature__ = signature.replace(parameters=parameters)  # type: ignore[attr-defined]
        with_connection.__annotations__ = {
            **{p.name: hints.get(p.name, p.annotation) for p in parameters},
            "return": hints.get("return"),
        }
        return with_connection

    return decorate


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
