"""Pieces every CLI command shares: the --json flag and the services context."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Annotated

import typer

from landingzone.bootstrap import Services
from landingzone.cli.output import friendly_errors, load_settings

JsonFlag = Annotated[bool, typer.Option("--json", help="Print one JSON document.")]


@contextmanager
def services() -> Iterator[Services]:
    """Services on a database at this version's schema, with the right secret key."""
    with friendly_errors():
        built = Services.build(load_settings())
        try:
            built.require_current_schema()
            built.verify_key()
            yield built
        finally:
            built.engine.dispose()
