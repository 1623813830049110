"""The scopes a client may hold, and parsing of requested scope strings."""

from __future__ import annotations

CONNECTOR_WRITE = "connector.write"
FILES_WRITE = "files.write"
FILES_READ = "files.read"
UPLOAD_API = "platform_upload_api"
ADMIN = "admin"

ALL_SCOPES: tuple[str, ...] = (CONNECTOR_WRITE, FILES_WRITE, FILES_READ, UPLOAD_API, ADMIN)
# What a customer's client may hold: every scope but `admin`, which only operator
# clients (clients of no customer) hold, and they hold nothing else (SPEC §9).
CUSTOMER_SCOPES: tuple[str, ...] = tuple(s for s in ALL_SCOPES if s != ADMIN)
OPERATOR_SCOPES: tuple[str, ...] = (ADMIN,)
# What a customer's client gets when none are asked for: all it may hold.
DEFAULT_SCOPES: tuple[str, ...] = CUSTOMER_SCOPES


def allowed_scopes(operator: bool) -> tuple[str, ...]:
    """The scopes a client may hold: an operator client's, or a customer client's."""
    return OPERATOR_SCOPES if operator else CUSTOMER_SCOPES


class UnknownScope(ValueError):
    pass


def normalize_scope(raw: str, uri_prefix: str) -> str:
    """Strip the configured URI prefix: ``https://host/connector.write`` -> ``connector.write``."""
    if uri_prefix and raw.startswith(uri_prefix):
        raw = raw[len(uri_prefix) :]
    if raw not in ALL_SCOPES:
        raise UnknownScope(raw)
    return raw


def parse_scopes(value: str, uri_prefix: str) -> list[str]:
    """Space-separated scopes, de-duplicated in first-seen order."""
    result: list[str] = []
    for part in value.split():
        scope = normalize_scope(part, uri_prefix)
        if scope not in result:
            result.append(scope)
    return result
