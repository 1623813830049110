"""The operator facade the server commands work through, on an existing installation."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

from landingzone.auth.keys import SECRET_KEY_FILE
from landingzone.cli.server.environment import friendly_errors, load_settings
from landingzone.errors import ConfigurationError
from landingzone.settings import SQLITE_FILE, Settings

if TYPE_CHECKING:
    from landingzone.domain.operator import Operator


@contextmanager
def operator() -> Iterator[Operator]:
    """The facade on a database at this version's schema, with the right secret key."""
    # Imported here: the server stack (FastAPI, SQLAlchemy, ~0.6 s) is not needed by
    # the uploader commands, which share this executable.
    from landingzone.bootstrap import open_operator

    with friendly_errors():
        settings = load_settings()
        require_installation(settings)
        opened = open_operator(settings)
        try:
            opened.require_ready()
            yield opened
        finally:
            opened.close()


def require_installation(settings: Settings) -> None:
    """Refuse a data directory that `serve` or `migrate` never set up, creating nothing.

    Run from the wrong directory, an admin command or a worker would otherwise
    build a second, empty installation (a new key, database and object tree)
    beside the real one and work on that. Only what lives in the data directory
    is checked: a key from LZ_SECRET_KEY, a database from LZ_DATABASE_URL and
    objects in S3 are checked where they are (schema, key fingerprint, bucket).
    """
    data_dir = settings.data_dir.absolute()
    fix = (
        "run the command from the directory that holds the installation's data "
        "directory, or set LZ_DATA_DIR to it; 'landingzone serve' or 'landingzone "
        "migrate' creates a new one"
    )
    if not data_dir.is_dir():
        raise ConfigurationError(f"The data directory {data_dir} does not exist: {fix}.")
    expected = []
    if settings.secret_key is None:
        expected.append(SECRET_KEY_FILE)
    if settings.database_url is None:
        expected.append(SQLITE_FILE)
    if settings.storage_url is None:
        expected.append("objects/")
    missing = [name for name in expected if not (data_dir / name).exists()]
    if SECRET_KEY_FILE in missing and SQLITE_FILE not in missing and settings.database_url is None:
        raise ConfigurationError(
            f"{data_dir} holds a database but no {SECRET_KEY_FILE}: restore the key file "
            "from backup (or set LZ_SECRET_KEY to the key it held); without it no client "
            "secret, API key or issued URL is valid."
        )
    if missing:
        raise ConfigurationError(
            f"{data_dir} is not an initialised landingzone data directory "
            f"(it has no {', '.join(missing)}): {fix}."
        )
