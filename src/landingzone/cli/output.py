"""Shared CLI output: Rich tables for people, one JSON document with --json."""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any, NoReturn

import typer
from pydantic import ValidationError
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from landingzone.errors import ApiError, ConfigurationError, DomainError, StorageUnavailable
from landingzone.settings import Settings, unknown_env_vars

console = Console()
err_console = Console(stderr=True)


def emit_json(document: Any) -> None:
    sys.stdout.write(json.dumps(document, indent=2, default=str) + "\n")


def table(title: str, columns: Sequence[str], rows: Sequence[Sequence[Any]]) -> None:
    grid = Table(title=title)
    for column in columns:
        grid.add_column(column)
    for row in rows:
        grid.add_row(*("" if v is None else str(v) for v in row))
    console.print(grid)


def fail(message: str, code: int = 1) -> NoReturn:
    err_console.print(f"[red]error:[/red] {escape(message)}", highlight=False, soft_wrap=True)
    raise typer.Exit(code)


def load_settings(**overrides: Any) -> Settings:
    for name in unknown_env_vars(os.environ):
        err_console.print(
            f"[yellow]warning:[/yellow] {name} is not a landingzone setting; it is ignored "
            "(see docs/configuration.md).",
            highlight=False,
            soft_wrap=True,
        )
    try:
        return Settings(**{k: v for k, v in overrides.items() if v is not None})
    except ValidationError as exc:
        problems = "; ".join(
            f"LZ_{'_'.join(str(p) for p in e['loc']).upper()}: {e['msg']}" for e in exc.errors()
        )
        fail(f"invalid settings: {problems}", code=2)


@contextmanager
def friendly_errors() -> Iterator[None]:
    """Known errors become one line on stderr and exit 1; never a traceback."""
    try:
        yield
    except (ApiError, DomainError, ConfigurationError, StorageUnavailable) as exc:
        fail(str(exc))
