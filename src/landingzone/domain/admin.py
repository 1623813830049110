"""Operator use-cases: customers, apps and clients (`landingzone admin ...`)."""

from __future__ import annotations

from dataclasses import dataclass
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from landingzone.auth import credentials
from landingzone.auth.scopes import ALL_SCOPES, DEFAULT_SCOPES, UnknownScope, normalize_scope
from landingzone.domain.models import App, Client, Customer
from landingzone.domain.names import is_app_id, is_customer_name
from landingzone.domain.ports import Tenants
from landingzone.errors import InvalidInput, NotFound


@dataclass(frozen=True)
class IssuedClient:
    """A new client with its secrets in clear: shown once, never stored."""

    client: Client
    customer: Customer
    client_secret: str
    api_key: str


class AdminService:
    def __init__(self, tenants: Tenants, pepper: bytes) -> None:
        self._tenants = tenants
        self._pepper = pepper

    def create_customer(self, name: str, timezone: str = "UTC") -> Customer:
        if not is_customer_name(name):
            raise InvalidInput(
                f"Invalid customer name '{name}': use 1-64 of A-Z a-z 0-9 . _ - characters."
            )
        try:
            ZoneInfo(timezone)
        except (ZoneInfoNotFoundError, ValueError):
            raise InvalidInput(
                f"Unknown time zone '{timezone}': use an IANA name such as Europe/Paris."
            ) from None
        return self._tenants.create_customer(name, timezone)

    def customer(self, name: str) -> Customer:
        customer = self._tenants.get_customer_by_name(name)
        if customer is None:
            raise NotFound(f"No customer named '{name}'; see 'landingzone admin customer list'.")
        return customer

    def list_customers(self) -> list[Customer]:
        return self._tenants.list_customers()

    def create_app(self, customer_name: str, app_id: str) -> App:
        customer = self.customer(customer_name)
        if not is_app_id(app_id):
            raise InvalidInput(
                f"Invalid app id '{app_id}': use 1-64 of A-Z a-z 0-9 . _ - characters."
            )
        return self._tenants.create_app(customer.id, app_id)

    def list_apps(self, customer_name: str | None = None) -> list[tuple[App, Customer]]:
        customers = {c.id: c for c in self._tenants.list_customers()}
        customer_id = self.customer(customer_name).id if customer_name else None
        return [(app, customers[app.customer_id]) for app in self._tenants.list_apps(customer_id)]

    def create_client(
        self, customer_name: str, scopes: list[str] | None = None, scope_uri_prefix: str = ""
    ) -> IssuedClient:
        customer = self.customer(customer_name)
        chosen: list[str] = []
        # None asked: every scope a customer's integration uses, never `admin`.
        for raw in scopes or list(DEFAULT_SCOPES):
            try:
                scope = normalize_scope(raw, scope_uri_prefix)
            except UnknownScope:
                raise InvalidInput(
                    f"Unknown scope '{raw}': choose from {', '.join(ALL_SCOPES)}."
                ) from None
            if scope not in chosen:
                chosen.append(scope)
        secret = credentials.new_client_secret()
        api_key = credentials.new_api_key()
        client = self._tenants.create_client(
            customer.id,
            credentials.new_client_id(),
            credentials.hash_secret(self._pepper, secret),
            credentials.hash_secret(self._pepper, api_key),
            chosen,
        )
        return IssuedClient(client=client, customer=customer, client_secret=secret, api_key=api_key)

    def list_clients(self, customer_name: str | None = None) -> list[tuple[Client, Customer]]:
        customers = {c.id: c for c in self._tenants.list_customers()}
        customer_id = self.customer(customer_name).id if customer_name else None
        return [(c, customers[c.customer_id]) for c in self._tenants.list_clients(customer_id)]

    def disable_client(self, client_id: str) -> Client:
        client = self._tenants.disable_client(client_id)
        if client is None:
            raise NotFound(f"No client with id '{client_id}'; see 'landingzone admin client list'.")
        return client
