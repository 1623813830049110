"""Where the client commands find the server and credentials.

In order: command-line flags, then ``LZ_URL``, ``LZ_CLIENT_ID``,
``LZ_CLIENT_SECRET``, ``LZ_API_KEY``, then a profile file
(``~/.config/landingzone/config.toml``, or ``$LZ_CONFIG``)::

    [default]
    url = "https://lz.example.com"
    client_id = "..."
    client_secret = "..."
    api_key = "..."

    [staging]
    url = "..."

The file holds secrets, so it is refused while others may read it (like ssh).
"""

from __future__ import annotations

import os
import stat
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

FIELDS = ("url", "client_id", "client_secret", "api_key")
ENV = {"url": "LZ_URL", "client_id": "LZ_CLIENT_ID",
       "client_secret": "LZ_CLIENT_SECRET", "api_key": "LZ_API_KEY"}  # fmt: skip


class CredentialsError(Exception):
    """Something the user must fix before any request is sent; the message says what."""


@dataclass(frozen=True)
class ClientCredentials:
    url: str
    client_id: str
    client_secret: str
    api_key: str | None


def profile_path() -> Path:
    override = os.environ.get("LZ_CONFIG")
    if override:
        return Path(override)
    base = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(base) / "landingzone" / "config.toml"


def read_profile(path: Path, name: str) -> dict[str, Any]:
    if not path.exists():
        return {}
    mode = path.stat().st_mode
    if mode & (stat.S_IRWXG | stat.S_IRWXO):
        raise CredentialsError(
            f"{path} holds secrets but others may read it (mode {stat.S_IMODE(mode):o}): "
            f"run 'chmod 600 {path}'."
        )
    try:
        document = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise CredentialsError(f"{path} is not valid TOML: {exc}") from None
    section = document.get(name)
    if section is None:
        if name != "default":
            raise CredentialsError(f"{path} has no [{name}] profile.")
        return {}
    if not isinstance(section, dict):
        raise CredentialsError(f"{path}: [{name}] must be a table of url, client_id, ...")
    return section


def resolve(flags: dict[str, str | None], profile: str = "default") -> ClientCredentials:
    """Flags first, then the environment, then the profile file."""
    values: dict[str, str | None] = {}
    from_file: dict[str, Any] | None = None
    for field in FIELDS:
        value = flags.get(field) or os.environ.get(ENV[field])
        if not value:
            if from_file is None:
                from_file = read_profile(profile_path(), profile)
            raw = from_file.get(field)
            value = str(raw) if raw else None
        values[field] = value
    missing = [f for f in ("url", "client_id", "client_secret") if not values[f]]
    if missing:
        hints = ", ".join(f"--{f.replace('_', '-')} or {ENV[f]}" for f in missing)
        raise CredentialsError(f"Missing {', '.join(missing)}: give {hints} (or a profile file).")
    return ClientCredentials(
        url=str(values["url"]),
        client_id=str(values["client_id"]),
        client_secret=str(values["client_secret"]),
        api_key=values["api_key"],
    )
