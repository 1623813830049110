"""Operator use-cases: customers, apps and clients, for `landingzone admin ...` and the admin
API (SPEC §9) alike: both faces call these, and each adds its own hints to the errors.

Every change names its ``actor`` (``domain.audit.CLI`` for the CLI, the operator client
for the API) and is written with its audit entry in one transaction.
"""

from __future__ import annotations

from dataclasses import dataclass
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from landingzone.auth import credentials
from landingzone.auth.scopes import ADMIN, DEFAULT_SCOPES, UnknownScope, normalize_scope
from landingzone.domain.audit import CLI, Actor
from landingzone.domain.models import App, Client, Customer
from landingzone.domain.names import CONTROL_CHARACTER, is_app_id, is_customer_name
from landingzone.domain.paging import DEFAULT_PAGE, Page, check_limit, decode_cursor, page_of
from landingzone.domain.ports import Tenants
from landingzone.errors import InvalidInput, NotFound

MAX_LABEL = 200


class InvalidField(InvalidInput):
    """A value the caller chose is refused; ``field`` names it (the API's body field)."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


class UnknownCustomer(NotFound):
    def __init__(self, name: str) -> None:
        super().__init__(f"No customer named '{name}'.")
        self.name = name


class UnknownClient(NotFound):
    def __init__(self, client_id: str) -> None:
        super().__init__(f"No client with id '{client_id}'.")
        self.client_id = client_id


@dataclass(frozen=True)
class IssuedClient:
    """A new client (or new credentials) with its secrets in clear: shown once, never stored."""

    client: Client
    customer: Customer | None  # None: an operator client
    client_secret: str
    api_key: str

    @property
    def customer_name(self) -> str | None:
        return self.customer.name if self.customer else None

    def document(self) -> dict[str, object]:
        """The credentials document of `admin client create --json` and the admin API."""
        return {
            "client_id": self.client.client_id,
            "client_secret": self.client_secret,
            "api_key": self.api_key,
            "customer": self.customer_name,
            "scopes": list(self.client.scopes),
            "label": self.client.label,
        }


def check_timezone(timezone: str) -> None:
    try:
        ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError):
        raise InvalidField(
            "timezone", f"Unknown time zone '{timezone}': use an IANA name such as Europe/Paris."
        ) from None


def check_label(label: str | None) -> str | None:
    if label is None:
        return None
    if len(label) > MAX_LABEL or CONTROL_CHARACTER.search(label):
        raise InvalidField(
            "label", f"Invalid label: use at most {MAX_LABEL} characters, no control characters."
        )
    return label.strip() or None


def customer_scopes(scopes: list[str] | None, scope_uri_prefix: str) -> list[str]:
    """The scopes asked for a customer's client, checked; none asked: the defaults."""
    chosen: list[str] = []
    # None asked: every scope a customer's integration uses, never `admin`.
    for raw in scopes or list(DEFAULT_SCOPES):
        try:
            scope = normalize_scope(raw, scope_uri_prefix)
        except UnknownScope:
            raise InvalidField(
                "scopes", f"Unknown scope '{raw}': choose from {', '.join(DEFAULT_SCOPES)}."
            ) from None
        if scope == ADMIN:
            raise InvalidField(
                "scopes",
                "Scope 'admin' is for operator clients only, which belong to no customer: "
                "create one with 'landingzone admin client create --operator' or "
                "POST /admin/v1/clients.",
            )
        if scope not in chosen:
            chosen.append(scope)
    return chosen


class AdminService:
    def __init__(self, tenants: Tenants, pepper: bytes, scope_uri_prefix: str = "") -> None:
        self._tenants = tenants
        self._pepper = pepper
        self._scope_uri_prefix = scope_uri_prefix

    # -- customers -------------------------------------------------------------------------

    def create_customer(self, name: str, timezone: str = "UTC", actor: Actor = CLI) -> Customer:
        if not is_customer_name(name):
            raise InvalidField(
                "name", f"Invalid customer name '{name}': use 1-64 of A-Z a-z 0-9 . _ - characters."
            )
        check_timezone(timezone)
        return self._tenants.create_customer(
            name, timezone, actor.did("customer.create", name, None)
        )

    def customer(self, name: str) -> Customer:
        customer = self._tenants.get_customer_by_name(name)
        if customer is None:
            raise UnknownCustomer(name)
        return customer

    def list_customers(self) -> list[Customer]:
        """Every customer, by name (the CLI's listing)."""
        return self._tenants.list_customers()

    def customers_page(
        self, limit: int = DEFAULT_PAGE, cursor: str | None = None
    ) -> Page[Customer]:
        """One page of customers, oldest first."""
        check_limit(limit)
        after = decode_cursor("cu", cursor) if cursor else None
        found = self._tenants.customers_after(after, limit + 1)
        return page_of(found, limit, "cu", lambda c: c.id)

    def update_customer(
        self,
        name: str,
        timezone: str | None = None,
        disabled: bool | None = None,
        actor: Actor = CLI,
    ) -> Customer:
        """Change the time zone and/or disable (or enable) the customer; None: unchanged.

        A disabled customer's clients are refused at once, tokens issued before included,
        and get no new tokens, until it is enabled again.
        """
        customer = self.customer(name)
        if timezone is None and disabled is None:
            raise InvalidField("body", "Nothing to change: give a time zone or disabled.")
        if timezone is not None:
            check_timezone(timezone)
        return self._tenants.update_customer(
            customer.id, timezone, disabled, actor.did("customer.update", name, customer.id)
        )

    # -- apps ------------------------------------------------------------------------------

    def create_app(self, customer_name: str, app_id: str, actor: Actor = CLI) -> App:
        customer = self.customer(customer_name)
        if not is_app_id(app_id):
            raise InvalidField(
                "appId", f"Invalid app id '{app_id}': use 1-64 of A-Z a-z 0-9 . _ - characters."
            )
        return self._tenants.create_app(
            customer.id, app_id, actor.did("app.create", f"{customer.name}/{app_id}", customer.id)
        )

    def list_apps(self, customer_name: str | None = None) -> list[tuple[App, Customer]]:
        customers = {c.id: c for c in self._tenants.list_customers()}
        customer_id = self.customer(customer_name).id if customer_name else None
        return [(app, customers[app.customer_id]) for app in self._tenants.list_apps(customer_id)]

    def apps_page(
        self, customer_name: str, limit: int = DEFAULT_PAGE, cursor: str | None = None
    ) -> Page[App]:
        """One page of a customer's apps, oldest first."""
        check_limit(limit)
        customer = self.customer(customer_name)
        after = decode_cursor("ap", cursor) if cursor else None
        found = self._tenants.apps_after(customer.id, after, limit + 1)
        return page_of(found, limit, "ap", lambda a: a.id)

    # -- clients ---------------------------------------------------------------------------

    def create_client(
        self,
        customer_name: str,
        scopes: list[str] | None = None,
        scope_uri_prefix: str | None = None,
        label: str | None = None,
        actor: Actor = CLI,
    ) -> IssuedClient:
        """A client of a customer; never with `admin`, which only operator clients hold.

        A scope may carry ``scope_uri_prefix`` (default: the installation's).
        """
        customer = self.customer(customer_name)
        prefix = self._scope_uri_prefix if scope_uri_prefix is None else scope_uri_prefix
        return self._issue(customer, customer_scopes(scopes, prefix), label, actor)

    def create_operator_client(self, label: str | None = None, actor: Actor = CLI) -> IssuedClient:
        """A client of no customer, holding `admin` and only that (SPEC §9)."""
        return self._issue(None, [ADMIN], label, actor)

    def _issue(
        self, customer: Customer | None, scopes: list[str], label: str | None, actor: Actor
    ) -> IssuedClient:
        label = check_label(label)
        client_id = credentials.new_client_id()
        secret = credentials.new_client_secret()
        api_key = credentials.new_api_key()
        owner = customer.id if customer else None
        client = self._tenants.create_client(
            owner,
            client_id,
            credentials.hash_secret(self._pepper, secret),
            credentials.hash_secret(self._pepper, api_key),
            scopes,
            label,
            actor.did("client.create", client_id, owner),
        )
        return IssuedClient(client=client, customer=customer, client_secret=secret, api_key=api_key)

    def client(self, client_id: str) -> Client:
        client = self._tenants.get_client(client_id)
        if client is None:
            raise UnknownClient(client_id)
        return client

    def owner(self, client: Client) -> Customer | None:
        """The client's customer; None for an operator client."""
        if client.customer_id is None:
            return None
        return self._tenants.get_customer(client.customer_id)

    def list_clients(
        self, customer_name: str | None = None
    ) -> list[tuple[Client, Customer | None]]:
        """Every client (operator clients with no customer), or those of one customer."""
        customers = {c.id: c for c in self._tenants.list_customers()}
        customer_id = self.customer(customer_name).id if customer_name else None
        return [
            (c, customers[c.customer_id] if c.customer_id is not None else None)
            for c in self._tenants.list_clients(customer_id)
        ]

    def clients_page(
        self, customer_name: str | None, limit: int = DEFAULT_PAGE, cursor: str | None = None
    ) -> Page[Client]:
        """One page of a customer's clients (None: the operator clients), oldest first."""
        check_limit(limit)
        customer_id = self.customer(customer_name).id if customer_name is not None else None
        after = decode_cursor("cl", cursor) if cursor else None
        found = self._tenants.clients_after(customer_id, after, limit + 1)
        return page_of(found, limit, "cl", lambda c: c.id)

    def disable_client(self, client_id: str, actor: Actor = CLI) -> Client:
        """Its tokens are refused at once; disabling a disabled client changes nothing."""
        return self._set_enabled(client_id, False, actor)

    def enable_client(self, client_id: str, actor: Actor = CLI) -> Client:
        return self._set_enabled(client_id, True, actor)

    def _set_enabled(self, client_id: str, enabled: bool, actor: Actor) -> Client:
        found = self.client(client_id)
        action = "client.enable" if enabled else "client.disable"
        client = self._tenants.set_client_enabled(
            client_id, enabled, actor.did(action, client_id, found.customer_id)
        )
        if client is None:
            raise UnknownClient(client_id)
        return client

    def rotate_client(self, client_id: str, actor: Actor = CLI) -> IssuedClient:
        """A new secret and API key; the old ones, and tokens issued with them, stop at once."""
        found = self.client(client_id)
        secret = credentials.new_client_secret()
        api_key = credentials.new_api_key()
        client = self._tenants.rotate_client(
            client_id,
            credentials.hash_secret(self._pepper, secret),
            credentials.hash_secret(self._pepper, api_key),
            actor.did("client.rotate", client_id, found.customer_id),
        )
        if client is None:
            raise UnknownClient(client_id)
        return IssuedClient(client, self.owner(client), secret, api_key)
