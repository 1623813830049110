"""The server's secret key and the purpose-bound keys derived from it.

One master key (``LZ_SECRET_KEY``, or a file generated on first start) yields
separate keys for access tokens, URL signatures and the secret-hash pepper, so
a leak of one derived key does not forge the others.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
import stat
from dataclasses import dataclass
from pathlib import Path

from landingzone.errors import ConfigurationError
from landingzone.settings import Settings

SECRET_KEY_FILE = "secret.key"  # noqa: S105 - a file name, not a secret


@dataclass(frozen=True)
class Keys:
    token: bytes
    url: bytes
    pepper: bytes
    # Recorded in the database on first use, so a lost or changed key is noticed
    # at start-up instead of as every client failing to authenticate.
    fingerprint: str

    @classmethod
    def derive(cls, master: bytes) -> Keys:
        def sub(purpose: str) -> bytes:
            return hmac.new(master, purpose.encode(), hashlib.sha256).digest()

        return cls(
            token=sub("access-token"),
            url=sub("signed-url"),
            pepper=sub("secret-pepper"),
            fingerprint=sub("fingerprint").hex()[:32],
        )


def load_master_key(settings: Settings) -> bytes:
    """``LZ_SECRET_KEY`` if set, else the data dir's key file, created 0600 if absent."""
    if settings.secret_key is not None:
        value = settings.secret_key.get_secret_value()
        if len(value) < 32:
            raise ConfigurationError("LZ_SECRET_KEY must be at least 32 characters long.")
        return value.encode()
    path = settings.data_dir / SECRET_KEY_FILE
    settings.data_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return _read_key_file(path)
    with os.fdopen(fd, "w") as handle:
        handle.write(secrets.token_hex(32))
        handle.flush()
        os.fsync(handle.fileno())
    return _read_key_file(path)


def _read_key_file(path: Path) -> bytes:
    mode = path.stat().st_mode
    if mode & (stat.S_IRWXG | stat.S_IRWXO):
        raise ConfigurationError(
            f"{path} is readable by other users; run 'chmod 600 {path}' and start again."
        )
    value = path.read_text().strip()
    if len(value) < 32:
        raise ConfigurationError(f"{path} holds a key shorter than 32 characters; delete it.")
    return value.encode()
