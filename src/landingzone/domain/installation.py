"""One installation's set-up checks and first-run content: its secret key, the demo tenant
and the demo operator's portal sign-in."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from landingzone.domain.admin import AdminService, IssuedClient
from landingzone.domain.models import UserRole
from landingzone.domain.ports import Tenants
from landingzone.domain.users import IssuedUser, UserService
from landingzone.errors import ConfigurationError

KEY_FINGERPRINT = "secret_key_fingerprint"
DEMO_OPERATOR = "operator@example.com"


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


@dataclass(frozen=True)
class DemoTenant(IssuedClient):
    """The demo client's credentials, and the demo operator's portal sign-in (a one-time
    password); ``operator`` is None when a user already has the demo operator's email."""

    operator: IssuedUser | None


def seed_demo(tenants: Tenants, admin: AdminService, users: UserService) -> DemoTenant | None:
    """On an empty database: customer demo, app myAppId, a client with the default scopes,
    and an operator who signs in to the portal with a one-time password."""
    if tenants.count_customers() > 0:
        return None
    admin.create_customer("demo")
    admin.create_app("demo", "myAppId")
    issued = admin.create_client("demo")
    # Operators may have been created before the first customer: never a second one.
    operator = None
    if users.find(DEMO_OPERATOR) is None:
        operator = users.create(DEMO_OPERATOR, UserRole.OPERATOR)
    return DemoTenant(
        client=issued.client,
        customer=issued.customer,
        client_secret=issued.client_secret,
        api_key=issued.api_key,
        operator=operator,
    )
