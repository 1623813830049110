"""Customers, apps and clients: the tenant catalog."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine, func, insert, select, update
from sqlalchemy.exc import IntegrityError

from landingzone.db.tables import apps, clients, customers
from landingzone.domain.models import App, Client, Customer
from landingzone.errors import AlreadyExists
from landingzone.timeutil import as_utc, as_utc_or_none, utcnow


def _customer(row: Any) -> Customer:
    return Customer(
        id=row.id, name=row.name, timezone=row.timezone, created_at=as_utc(row.created_at)
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
    )


class TenantRepository:
    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    # customers

    def create_customer(self, name: str, timezone: str) -> Customer:
        try:
            with self._engine.begin() as conn:
                row = conn.execute(
                    insert(customers)
                    .values(name=name, timezone=timezone, created_at=utcnow())
                    .returning(*customers.c)
                ).one()
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

    def count_customers(self) -> int:
        with self._engine.connect() as conn:
            return int(conn.execute(select(func.count()).select_from(customers)).scalar_one())

    # apps

    def create_app(self, customer_id: int, app_id: str) -> App:
        try:
            with self._engine.begin() as conn:
                row = conn.execute(
                    insert(apps)
                    .values(customer_id=customer_id, app_id=app_id, created_at=utcnow())
                    .returning(*apps.c)
                ).one()
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
        )
        return _app(row), customer

    def list_apps(self, customer_id: int | None = None) -> list[App]:
        query = select(apps).order_by(apps.c.customer_id, apps.c.app_id)
        if customer_id is not None:
            query = query.where(apps.c.customer_id == customer_id)
        with self._engine.connect() as conn:
            return [_app(row) for row in conn.execute(query).all()]

    # clients

    def create_client(
        self,
        customer_id: int,
        client_id: str,
        secret_hash: str,
        api_key_hash: str,
        scopes: list[str],
    ) -> Client:
        with self._engine.begin() as conn:
            row = conn.execute(
                insert(clients)
                .values(
                    client_id=client_id,
                    customer_id=customer_id,
                    secret_hash=secret_hash,
                    api_key_hash=api_key_hash,
                    scopes=" ".join(scopes),
                    created_at=utcnow(),
                )
                .returning(*clients.c)
            ).one()
        return _client(row)

    def get_client(self, client_id: str) -> Client | None:
        with self._engine.connect() as conn:
            row = conn.execute(select(clients).where(clients.c.client_id == client_id)).first()
        return _client(row) if row else None

    def list_clients(self, customer_id: int | None = None) -> list[Client]:
        query = select(clients).order_by(clients.c.id)
        if customer_id is not None:
            query = query.where(clients.c.customer_id == customer_id)
        with self._engine.connect() as conn:
            return [_client(row) for row in conn.execute(query).all()]

    def disable_client(self, client_id: str) -> Client | None:
        with self._engine.begin() as conn:
            conn.execute(
                update(clients)
                .where(clients.c.client_id == client_id, clients.c.disabled_at.is_(None))
                .values(disabled_at=utcnow())
            )
            row = conn.execute(select(clients).where(clients.c.client_id == client_id)).first()
        return _client(row) if row else None
