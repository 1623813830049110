"""The server commands' settings, read from ``LZ_*``, and the errors they turn into one line."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from pydantic import ValidationError

from landingzone.cli.output import err_console, fail
from landingzone.errors import ApiError, ConfigurationError, DomainError, StorageUnavailable
from landingzone.settings import Settings, unknown_env_vars


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
