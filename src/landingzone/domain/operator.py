"""The operator's facade: exactly what the server commands (`serve`, `migrate`, `worker`,
`admin ...`) do to an installation, and nothing else of it."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from landingzone.domain.admin import AdminService, IssuedClient
from landingzone.domain.audit import AuditRecord
from landingzone.domain.audit_log import AuditLogService
from landingzone.domain.catalog import CatalogService
from landingzone.domain.datasets import DatasetService
from landingzone.domain.housekeeping import Housekeeping
from landingzone.domain.installation import DemoTenant, SecretKeyCheck, seed_demo
from landingzone.domain.integrity import IntegrityService, VerifyReport
from landingzone.domain.models import App, Client, Customer, DatasetTypeVersion, StoredObject
from landingzone.domain.paging import Page
from landingzone.domain.ports import Tenants
from landingzone.domain.users import UserService
from landingzone.errors import ConfigurationError


class Worker(Protocol):
    """Validation threads: started once, stopped once (finishing the files in hand)."""

    def start(self) -> None: ...
    def stop(self, timeout: float = 30.0) -> None: ...


@dataclass(frozen=True)
class Operator:
    key: SecretKeyCheck
    tenants: Tenants
    admin: AdminService
    audit_log: AuditLogService
    datasets: DatasetService
    users: UserService  # portal users: `admin user ...` calls it directly
    catalog: CatalogService  # every customer's files and submissions (`admin file ...`)
    integrity: IntegrityService
    housekeeping: Housekeeping
    ping_store: Callable[[], None]
    migrate: Callable[[], None]  # the database schema to this version's revision
    schema_is_current: Callable[[], bool]
    worker: Callable[[int], Worker]  # validation threads, that many
    close: Callable[[], None]  # the database connections
    demo: bool  # seed the demo tenant into an empty database
    scope_uri_prefix: str

    # -- the installation ---------------------------------------------------------------

    def prepare(self) -> DemoTenant | None:
        """Everything `serve` does once before it listens; the demo credentials, when seeded."""
        self.ping_store()  # a missing bucket or unwritable directory: one clear line
        self.migrate()
        self.key.verify()
        self.datasets.install_shipped()
        self.housekeeping.cleanup()
        return seed_demo(self.tenants, self.admin, self.users) if self.demo else None

    def require_ready(self) -> None:
        """Refuse a database at another schema revision, or set up with another key."""
        if not self.schema_is_current():
            raise ConfigurationError(
                "The database schema is not at this version's revision: run "
                "'landingzone migrate' (or start 'landingzone serve', which migrates)."
            )
        self.key.verify()

    # -- customers, apps, clients -------------------------------------------------------

    def create_customer(self, name: str, timezone: str) -> Customer:
        return self.admin.create_customer(name, timezone)

    def list_customers(self) -> list[Customer]:
        return self.admin.list_customers()

    def update_customer(self, name: str, timezone: str | None, disabled: bool | None) -> Customer:
        return self.admin.update_customer(name, timezone, disabled)

    def create_app(self, customer_name: str, app_id: str) -> tuple[App, Customer]:
        app = self.admin.create_app(customer_name, app_id)
        return app, self.admin.customer(customer_name)

    def list_apps(self, customer_name: str | None) -> list[tuple[App, Customer]]:
        return self.admin.list_apps(customer_name)

    def create_client(
        self, customer_name: str, scopes: list[str] | None, label: str | None = None
    ) -> IssuedClient:
        return self.admin.create_client(customer_name, scopes, self.scope_uri_prefix, label)

    def create_operator_client(self, label: str | None) -> IssuedClient:
        return self.admin.create_operator_client(label)

    def list_clients(self, customer_name: str | None) -> list[tuple[Client, Customer | None]]:
        return self.admin.list_clients(customer_name)

    def disable_client(self, client_id: str) -> tuple[Client, Customer | None]:
        client = self.admin.disable_client(client_id)
        return client, self.admin.owner(client)

    def enable_client(self, client_id: str) -> tuple[Client, Customer | None]:
        client = self.admin.enable_client(client_id)
        return client, self.admin.owner(client)

    def rotate_client(self, client_id: str) -> IssuedClient:
        return self.admin.rotate_client(client_id)

    def audit(
        self,
        customer: str | None,
        actor: str | None,
        action: str | None,
        since: str | None,
        limit: int,
    ) -> Page[AuditRecord]:
        return self.audit_log.page(customer, actor, action, since, limit)

    # -- dataset types and stored objects -----------------------------------------------

    def add_dataset(self, document: bytes) -> DatasetTypeVersion:
        return self.datasets.add(document)

    def list_datasets(self) -> list[DatasetTypeVersion]:
        return self.datasets.list_latest()

    def show_dataset(self, name: str) -> DatasetTypeVersion:
        return self.datasets.show(name)

    def verify(
        self, customer_name: str | None, progress: Callable[[StoredObject], None]
    ) -> VerifyReport:
        return self.integrity.verify(customer_name, progress)
