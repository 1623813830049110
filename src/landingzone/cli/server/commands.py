"""`landingzone serve`, `worker`, `migrate` and `config`: running an installation."""

from __future__ import annotations

import os
import signal
import threading
from typing import Annotated

import typer

from landingzone.cli.output import JsonFlag, emit_json, table
from landingzone.cli.server.environment import friendly_errors, load_settings
from landingzone.cli.server.lifeline import die_with_supervisor
from landingzone.cli.server.operator import operator
from landingzone.logs import configure_logging


def serve(
    host: Annotated[str | None, typer.Option(help="Listen address (LZ_HOST).")] = None,
    port: Annotated[int | None, typer.Option(help="Listen port (LZ_PORT).")] = None,
    json: JsonFlag = False,
) -> None:
    """Run the API and the object endpoint (migrates the database first)."""
    from landingzone.cli.server.serve import (  # the server stack
        demo_banner,
        prepare,
        require_free_port,
        run_server,
    )

    settings = load_settings(host=host, port=port)
    with friendly_errors():
        # First: a taken port must not migrate, seed or print credentials.
        require_free_port(settings.host, settings.port)
        issued = prepare(settings)
    if json:
        document: dict[str, object] = {"url": settings.effective_public_url}
        if issued is not None:
            document.update(
                client_id=issued.client.client_id,
                client_secret=issued.client_secret,
                api_key=issued.api_key,
                customer=issued.customer_name,
                scopes=list(issued.client.scopes),
            )
        emit_json(document)
    elif issued is not None:
        typer.echo(demo_banner(settings, issued))
    typer.echo(f"landingzone listening on {settings.effective_public_url}", err=True)
    run_server(settings)


def worker(
    threads: Annotated[
        int | None, typer.Option(help="Validation threads (default LZ_VALIDATION_WORKERS).")
    ] = None,
    json: JsonFlag = False,
) -> None:
    """Run validation workers only (no HTTP), until SIGTERM or Ctrl-C."""
    # Started by `serve`: stop (finishing the file in hand) when it dies, even by kill -9.
    die_with_supervisor(signal.SIGTERM)
    settings = load_settings()
    with operator() as op:
        configure_logging(settings.log_level)  # once the installation is known to be there
        count = threads if threads is not None else max(1, settings.validation_workers)
        runner = op.worker(count)
        stop = threading.Event()
        for signum in (signal.SIGTERM, signal.SIGINT):
            signal.signal(signum, lambda *_: stop.set())
        runner.start()
        # This process exists to validate: import pyarrow and DuckDB now, in the
        # background, rather than delaying the first file by a quarter second.
        threading.Thread(target=_import_validator, name="lz-warm-up", daemon=True).start()
        if json:
            emit_json({"workers": count, "pid": os.getpid()})
        else:
            typer.echo(f"landingzone worker: {count} validation thread(s); Ctrl-C to stop.")
        stop.wait()
        typer.echo("stopping: finishing the file in flight...", err=True)
        runner.stop()


def _import_validator() -> None:
    import landingzone.validation.validator  # noqa: F401 - imported for its side effect


def migrate(json: JsonFlag = False) -> None:
    """Apply database migrations (serve does this itself)."""
    from landingzone.bootstrap import open_operator  # the server stack

    settings = load_settings()
    with friendly_errors():
        opened = open_operator(settings)  # creates the installation if need be
        try:
            opened.migrate()
        finally:
            opened.close()
    if json:
        emit_json({"migrated": True})
    else:
        typer.echo("Database is up to date.")


def config(json: JsonFlag = False) -> None:
    """Print the effective settings, secrets masked."""
    values = load_settings().masked()
    if json:
        emit_json(values)
    else:
        table(
            "Effective settings",
            ["setting", "env", "value"],
            [(name, f"LZ_{name.upper()}", value) for name, value in values.items()],
        )
