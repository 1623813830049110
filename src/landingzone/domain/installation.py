"""One installation's set-up checks and first-run content: its secret key and the demo tenant."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from landingzone.domain.admin import AdminService, IssuedClient
from landingzone.domain.ports import Tenants
from landingzone.errors import ConfigurationError

KEY_FINGERPRINT = "secret_key_fingerprint"


class Facts(Protocol):
    """Installation facts kept in the database."""

    def setdefault(self, name: str, value: str) -> str:
        """Store ``value`` unless the fact exists; return the stored value."""
        ...


@dataclass(frozen=True)
class SecretKeyCheck:
    """The secret key in use against the one the database was set up with (the first run's)."""

    facts: Facts
    fingerprint: str
    source: str  # where the key came from (its file, or LZ_SECRET_KEY), for the message

    def verify(self) -> None:
        """Refuse to run with a secret key other than the one the database was set up with."""
        if self.facts.setdefault(KEY_FINGERPRINT, self.fingerprint) == self.fingerprint:
            return
        raise ConfigurationError(
            f"The secret key ({self.source}) is not the one this database was set up with: "
            "client secrets, API keys and issued URLs would all fail. Restore the "
            "original key (from backup, or the LZ_SECRET_KEY you used before)."
        )


def seed_demo(tenants: Tenants, admin: AdminService) -> IssuedClient | None:
    """On an empty database: customer demo, app myAppId, a client with the default scopes."""
    if tenants.count_customers() > 0:
        return None
    admin.create_customer("demo")
    admin.create_app("demo", "myAppId")
    return admin.create_client("demo")
