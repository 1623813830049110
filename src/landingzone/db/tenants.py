"""Customers, apps and clients: the tenant catalog.

Every method that changes one writes the change's audit entry (``db/audit.py``) in
the same transaction, so the change and its row commit together or not at all.
Listings page by id (``after_id``), oldest first.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from sqlalchemy import Engine, Select, func, insert, select, update
from sqlalchemy.exc import IntegrityError

from landingzone.db.audit import insert_audit
from landingzone.db.tables import apps, clients, customers
from landingzone.domain.audit import AuditEntry
from landingzone.domain.models import App, Client, Customer
from landingzone.errors import AlreadyExists
from landingzone.timeutil import as_utc, as_utc_or_none, utcnow


def _customer(row: Any) -> Customer:
    return Customer(
        id=row.id,
        name=row.name,
        timezone=row.timezone,
        created_at=as_utc(row.created_at),
        disabled_at=as_utc_or_none(row.disabled_at),
    )


def _app(row: Any) -> App:
    return App(
        id=row.id, customer_id=row.customer_id, app_id=row.app_id, created_at=as_utc(row.created_at)
    )


def _client(row: Any) -> Client:
    return Client(
        id=row.id,
        client_id=row.client_id,
        customer_id=row.customer_id,
        secret_hash=row.secret_hash,
        api_key_hash=row.api_key_hash,
        scopes=tuple(row.scopes.split()),
        created_at=as_utc(row.created_at),
        disabled_at=as_utc_or_none(row.disabled_at),
        label=row.label,
        last_used_at=as_utc_or_none(row.last_used_at),
        credentials_version=row.credentials_version,
        customer_disabled=row.customer_disabled_at is not None,
    )


def _clients() -> Select[Any]:
    """Clients with their customer's disabled mark (None for operator clients)."""
    return select(clients, customers.c.disabled_at.label("customer_disabled_at")).select_from(
        clients.outerjoin(customers, customers.c.id == clients.c.customer_id)
    )


class TenantRepository:
    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    # customers

    def create_customer(self, name: str, timezone: str, audit: AuditEntry) -> Customer:
        """A new customer; ``audit`` is written naming it (its customer id is filled in)."""
        try:
            with self._engine.begin() as conn:
                row = conn.execute(
                    insert(customers)
                    .values(name=name, timezone=timezone, created_at=utcnow())
                    .returning(*customers.c)
                ).one()
                insert_audit(conn, replace(audit, customer_id=row.id))
        except IntegrityError as exc:
            raise AlreadyExists(f"Customer '{name}' already exists; pick another name.") from exc
        return _customer(row)

    def get_customer(self, customer_id: int) -> Customer | None:
        with self._engine.connect() as conn:
            row = conn.execute(select(customers).where(customers.c.id == customer_id)).first()
        return _customer(row) if row else None

    def get_customer_by_name(self, name: str) -> Customer | None:
        with self._engine.connect() as conn:
            row = conn.execute(select(customers).where(customers.c.name == name)).first()
        return _customer(row) if row else None

    def list_customers(self) -> list[Customer]:
        with self._engine.connect() as conn:
            rows = conn.execute(select(customers).order_by(customers.c.name)).all()
        return [_customer(row) for row in rows]

    def customers_after(self, after_id: int | None, limit: int) -> list[Customer]:
        query = select(customers).order_by(customers.c.id).limit(limit)
        if after_id is not None:
            query = query.where(customers.c.id > after_id)
        with self._engine.connect() as conn:
            return [_customer(row) for row in conn.execute(query).all()]

    def count_customers(self) -> int:
        with self._engine.connect() as conn:
            return int(conn.execute(select(func.count()).select_from(customers)).scalar_one())

    def update_customer(
        self, customer_id: int, timezone: str | None, disabled: bool | None, audit: AuditEntry
    ) -> Customer:
        """Change what is given (None: unchanged); disabling keeps the first disabled time."""
        this = customers.c.id == customer_id
        with self._engine.begin() as conn:
            if timezone is not None:
                conn.execute(update(customers).where(this).values(timezone=timezone))
            if disabled is False:
                conn.execute(update(customers).where(this).values(disabled_at=None))
            elif disabled:
                conn.execute(
                    update(customers)
                    .where(this, customers.c.disabled_at.is_(None))
                    .values(disabled_at=utcnow())
                )
            insert_audit(conn, audit)
            row = conn.execute(select(customers).where(this)).one()
        return _customer(row)

    # apps

    def create_app(self, customer_id: int, app_id: str, audit: AuditEntry) -> App:
        try:
            with self._engine.begin() as conn:
                row = conn.execute(
                    insert(apps)
                    .values(customer_id=customer_id, app_id=app_id, created_at=utcnow())
                    .returning(*apps.c)
                ).one()
                insert_audit(conn, audit)
        except IntegrityError as exc:
            raise AlreadyExists(f"App '{app_id}' already exists for this customer.") from exc
        return _app(row)

    def get_app(self, customer_id: int, app_id: str) -> App | None:
        with self._engine.connect() as conn:
            row = conn.execute(
                select(apps).where(apps.c.customer_id == customer_id, apps.c.app_id == app_id)
            ).first()
        return _app(row) if row else None

    def get_app_with_customer(self, customer_id: int, app_id: str) -> tuple[App, Customer] | None:
        query = (
            select(
                apps,
                customers.c.name.label("customer_name"),
                customers.c.timezone,
                customers.c.created_at.label("customer_created_at"),
                customers.c.disabled_at.label("customer_disabled_at"),
            )
            .join(customers, customers.c.id == apps.c.customer_id)
            .where(apps.c.customer_id == customer_id, apps.c.app_id == app_id)
        )
        with self._engine.connect() as conn:
            row = conn.execute(query).first()
        if row is None:
            return None
        customer = Customer(
            id=customer_id,
            name=row.customer_name,
            timezone=row.timezone,
            created_at=as_utc(row.customer_created_at),
            disabled_at=as_utc_or_none(row.customer_disabled_at),
        )
        return _app(row), customer

    def list_apps(self, customer_id: int | None = None) -> list[App]:
        query = select(apps).order_by(apps.c.customer_id, apps.c.app_id)
        if customer_id is not None:
            query = query.where(apps.c.customer_id == customer_id)
        with self._engine.connect() as conn:
            return [_app(row) for row in conn.execute(query).all()]

    def apps_after(self, customer_id: int, after_id: int | None, limit: int) -> list[App]:
        query = select(apps).where(apps.c.customer_id == customer_id).order_by(apps.c.id)
        if after_id is not None:
            query = query.where(apps.c.id > after_id)
        with self._engine.connect() as conn:
            return [_app(row) for row in conn.execute(query.limit(limit)).all()]

    # clients

    def create_client(
        self,
        customer_id: int | None,
        client_id: str,
        secret_hash: str,
        api_key_hash: str,
        scopes: list[str],
        label: str | None,
        audit: AuditEntry,
    ) -> Client:
        """A new client of ``customer_id``, or an operator client (None)."""
        with self._engine.begin() as conn:
            conn.execute(
                insert(clients).values(
                    client_id=client_id,
                    customer_id=customer_id,
                    secret_hash=secret_hash,
                    api_key_hash=api_key_hash,
                    scopes=" ".join(scopes),
                    label=label,
                    created_at=utcnow(),
                )
            )
            insert_audit(conn, audit)
            row = conn.execute(_clients().where(clients.c.client_id == client_id)).one()
        return _client(row)

    def get_client(self, client_id: str) -> Client | None:
        with self._engine.connect() as conn:
            row = conn.execute(_clients().where(clients.c.client_id == client_id)).first()
        return _client(row) if row else None

    def list_clients(self, customer_id: int | None = None) -> list[Client]:
        """Every client (operator clients included), or those of ``customer_id``."""
        query = _clients().order_by(clients.c.id)
        if customer_id is not None:
            query = query.where(clients.c.customer_id == customer_id)
        with self._engine.connect() as conn:
            return [_client(row) for row in conn.execute(query).all()]

    def clients_after(
        self, customer_id: int | None, after_id: int | None, limit: int
    ) -> list[Client]:
        """A page of the clients of ``customer_id``; None: of the operator clients."""
        owner = (
            clients.c.customer_id.is_(None)
            if customer_id is None
            else clients.c.customer_id == customer_id
        )
        query = _clients().where(owner).order_by(clients.c.id).limit(limit)
        if after_id is not None:
            query = query.where(clients.c.id > after_id)
        with self._engine.connect() as conn:
            return [_client(row) for row in conn.execute(query).all()]

    def set_client_enabled(self, client_id: str, enabled: bool, audit: AuditEntry) -> Client | None:
        """Disable or enable; ``audit`` is written only when that changes the client."""
        # Only a client in the other state changes: disabling twice keeps the first time.
        other_state = (
            clients.c.disabled_at.isnot(None) if enabled else clients.c.disabled_at.is_(None)
        )
        with self._engine.begin() as conn:
            changed = conn.execute(
                update(clients)
                .where(clients.c.client_id == client_id, other_state)
                .values(disabled_at=None if enabled else utcnow())
            ).rowcount
            if changed:
                insert_audit(conn, audit)
            row = conn.execute(_clients().where(clients.c.client_id == client_id)).first()
        return _client(row) if row else None

    def rotate_client(
        self, client_id: str, secret_hash: str, api_key_hash: str, audit: AuditEntry
    ) -> Client | None:
        """New credentials, and a new version that refuses the tokens issued before."""
        with self._engine.begin() as conn:
            changed = conn.execute(
                update(clients)
                .where(clients.c.client_id == client_id)
                .values(
                    secret_hash=secret_hash,
                    api_key_hash=api_key_hash,
                    credentials_version=clients.c.credentials_version + 1,
                )
            ).rowcount
            if not changed:
                return None
            insert_audit(conn, audit)
            row = conn.execute(_clients().where(clients.c.client_id == client_id)).one()
        return _client(row)

    def touch_client(self, client_id: str) -> None:
        """Record that the client was just issued a token (its ``lastUsedAt``)."""
        with self._engine.begin() as conn:
            conn.execute(
                update(clients)
                .where(clients.c.client_id == client_id)
                .values(last_used_at=utcnow())
            )
