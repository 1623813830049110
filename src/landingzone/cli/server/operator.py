"""Pieces every CLI command shares: the --json flag and the services context."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Annotated

import typer

from landingzone.cli.output import friendly_errors, load_settings

if TYPE_CHECKING:
    from landingzone.bootstrap import Services

JsonFlag = Annotated[bool, typer.Option("--json", help="Print one JSON document.")]


@contextmanager
def services() -> Iterator[Services]:
    """Services on a database at this version's schema, with the right secret key."""
    # Imported here: the server stack (FastAPI, SQLAlchemy, ~0.6 s) is not needed by
    # the uploader commands, which share this executable.
    from landingzone.bootstrap import Services

    with friendly_errors():
        built = Services.open(load_settings())
        try:
            built.require_current_schema()
            built.verify_key()
            yield built
        finally:
            built.engine.dispose()
