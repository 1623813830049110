"""Typed settings, read once from ``LZ_*`` environment variables and passed down.

Every setting is documented in ``docs/configuration.md``; a test fails when one
is missing there. Nothing here reads the environment at import time: callers
build ``Settings()`` once (the CLI does) and hand it to ``bootstrap``.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

GIB = 1024**3
SQLITE_FILE = "landingzone.db"


class Settings(BaseSettings):
    """The effective configuration of one landingzone process."""

    model_config = SettingsConfigDict(env_prefix="LZ_", extra="ignore")

    data_dir: Path = Field(
        default=Path("./lz-data"),
        description="Directory for the SQLite database, stored objects and the secret key.",
    )
    database_url: str | None = Field(
        default=None,
        description="SQLAlchemy URL of the metadata database; default SQLite in the data dir.",
    )
    storage_url: str | None = Field(
        default=None,
        description="Where object bytes live; default file://<data dir> (objects/, staging/).",
    )
    s3_endpoint_url: str | None = Field(
        default=None,
        description="S3 API endpoint for an s3:// storage URL (MinIO, Ceph, R2); default AWS.",
    )
    s3_public_endpoint_url: str | None = Field(
        default=None,
        description="S3 endpoint uploaders reach, for pre-signed URLs; default the S3 endpoint.",
    )
    s3_region: str | None = Field(
        default=None, description="S3 region; default AWS_REGION / AWS config, else us-east-1."
    )
    s3_poll_seconds: float = Field(
        default=2.0, gt=0, description="How often workers look for uploads that landed in S3."
    )
    s3_landing_grace: float = Field(
        default=900.0,
        ge=0,
        description="Seconds past URL expiry before an S3 Files API upload counts as unused.",
    )
    public_url: str | None = Field(
        default=None,
        description="Base URL clients reach this server on; signed URLs are built on it.",
    )
    host: str = Field(default="127.0.0.1", description="Address `serve` listens on.")
    port: int = Field(default=8000, ge=1, le=65535, description="Port `serve` listens on.")
    http_workers: int = Field(
        default=1,
        ge=1,
        description="HTTP server processes `serve` starts (not validation workers).",
    )
    secret_key: SecretStr | None = Field(
        default=None,
        description="Key for tokens, URL signatures and secret hashes; default generated file.",
    )
    token_ttl: int = Field(default=3600, ge=60, description="Access token lifetime, seconds.")
    upload_url_ttl: int = Field(default=3600, ge=1, description="Signed upload URL lifetime, s.")
    max_object_size: int = Field(default=5 * GIB, ge=1, description="Largest PUT body, bytes.")
    upload_api_max_body: int = Field(
        default=50 * 1024 * 1024,
        ge=1024,
        description="Largest UploadData JSON body, bytes (larger is 413 before it is read).",
    )
    body_idle_timeout: float = Field(
        default=30.0,
        gt=0,
        description="Seconds a request body may stall between bytes before it is answered "
        "(400 RequestTimeout / 408) and the connection closed.",
    )
    max_json_body: int = Field(
        default=1024 * 1024,
        ge=1024,
        description="Largest body of the token and Files API routes, bytes (413 beyond).",
    )
    rate_limit: float = Field(
        default=20.0, gt=0, description="Sustained API requests per second per client."
    )
    rate_limit_burst: int = Field(
        default=40, ge=1, description="Most API requests one client may make in any one second."
    )
    rate_limit_storage: str = Field(
        default="memory://", description="`limits` storage URI: memory:// or redis://host:port."
    )
    scope_uri_prefix: str = Field(
        default="https://api.productiv.com/",
        description="URI prefix accepted and stripped from requested scopes.",
    )
    validation_workers: int = Field(
        default=1, ge=0, description="Validation threads per serve process (0: none)."
    )
    validation_lease: float = Field(
        default=60.0, gt=0, description="Seconds a claim on a file lasts without a heartbeat."
    )
    validation_max_attempts: int = Field(
        default=3, ge=1, description="Attempts before a file whose worker keeps dying fails."
    )
    error_cap: int = Field(
        default=1000, ge=1, description="Row errors kept per file (all are counted)."
    )
    # Argon2id costs of portal users' password hashes; the defaults are RFC 9106's
    # low-memory profile. The floors keep a hash costly to guess on a GPU (8 MiB) and the
    # ceilings keep a typo from making each sign-in allocate more than a server has.
    password_hash_memory_kib: int = Field(
        default=65536,
        ge=8192,
        le=4 * 1024 * 1024,
        description="Memory each portal password hash takes, KiB (Argon2id m).",
    )
    password_hash_passes: int = Field(
        default=3, ge=1, le=64, description="Passes over that memory per hash (Argon2id t)."
    )
    password_hash_lanes: int = Field(
        default=4, ge=1, le=64, description="Lanes (threads) per hash (Argon2id p)."
    )
    log_level: str = Field(default="info", description="Log level: debug, info, warning, error.")
    demo: bool = Field(
        default=True, description="On an empty database, `serve` creates a demo tenant."
    )

    @field_validator("log_level")
    @classmethod
    def _known_level(cls, value: str) -> str:
        level = value.lower()
        if level not in {"debug", "info", "warning", "error"}:
            raise ValueError("use one of debug, info, warning, error")
        return level

    @field_validator("public_url")
    @classmethod
    def _strip_slash(cls, value: str | None) -> str | None:
        return value.rstrip("/") if value else value

    @property
    def effective_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.data_dir / SQLITE_FILE).resolve()}"

    @property
    def effective_storage_url(self) -> str:
        if self.storage_url:
            return self.storage_url
        return self.data_dir.resolve().as_uri()

    @property
    def spool_dir(self) -> Path:
        """Temp files of jobs on S3 storage: object copies, Parquet parts before upload."""
        return self.data_dir / "spool"

    @property
    def effective_public_url(self) -> str:
        if self.public_url:
            return self.public_url
        host = self.host
        if host in {"0.0.0.0", "::", ""}:  # noqa: S104 - a listen-all address is not reachable
            host = "localhost"
        if ":" in host:
            host = f"[{host}]"
        return f"http://{host}:{self.port}"

    def masked(self) -> dict[str, Any]:
        """The effective settings with secrets masked, for `landingzone config`."""
        values: dict[str, Any] = {}
        for name in type(self).model_fields:
            value = getattr(self, name)
            if isinstance(value, SecretStr):
                value = "********" if value.get_secret_value() else ""
            elif isinstance(value, Path):
                value = str(value)
            values[name] = value
        values["database_url"] = mask_url_password(self.effective_database_url)
        values["storage_url"] = self.effective_storage_url
        values["public_url"] = self.effective_public_url
        values["rate_limit_storage"] = mask_url_password(self.rate_limit_storage)
        if self.secret_key is None:
            values["secret_key"] = f"(generated, in {self.data_dir / 'secret.key'})"
        return values


# Read by the uploaders' client commands, not by the server.
CLIENT_ENV_VARS = frozenset({"LZ_URL", "LZ_CLIENT_ID", "LZ_CLIENT_SECRET", "LZ_API_KEY"})


def unknown_env_vars(environ: Mapping[str, str]) -> list[str]:
    """``LZ_*`` variables no setting reads: usually a typo an operator wants to hear about."""
    known = {f"LZ_{name.upper()}" for name in Settings.model_fields} | CLIENT_ENV_VARS
    return sorted(n for n in environ if n.upper().startswith("LZ_") and n.upper() not in known)


def mask_url_password(url: str) -> str:
    """Hide the password of ``scheme://user:password@host`` URLs."""
    scheme, sep, rest = url.partition("://")
    if not sep or "@" not in rest:
        return url
    creds, _, host = rest.rpartition("@")
    user, colon, _ = creds.partition(":")
    return f"{scheme}://{user}{':********' if colon else ''}@{host}"
