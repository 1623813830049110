"""Portal users: each change commits with its audit entry; password hashes stay in here
except for the one read the sign-in check makes."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, Engine, Select, insert, select, update
from sqlalchemy.exc import IntegrityError

from landingzone.db.audit import insert_audit
from landingzone.db.tables import customers, users
from landingzone.domain.audit import AuditEntry
from landingzone.domain.models import NewUser, User, UserRole
from landingzone.errors import AlreadyExists, NotFound
from landingzone.timeutil import as_utc, as_utc_or_none, utcnow

# Every column but the hash, and the member's customer's name.
_PUBLIC = [c for c in users.c if c.name != "password_hash"]


def _query() -> Select[Any]:
    return select(*_PUBLIC, customers.c.name.label("customer")).select_from(
        users.outerjoin(customers, users.c.customer_id == customers.c.id)
    )


def _user(row: Any) -> User:
    return User(
        id=row.id,
        email=row.email,
        role=UserRole(row.role),
        customer_id=row.customer_id,
        customer=row.customer,
        must_change_password=bool(row.must_change_password),
        created_at=as_utc(row.created_at),
        password_changed_at=as_utc(row.password_changed_at),
        disabled_at=as_utc_or_none(row.disabled_at),
        last_sign_in_at=as_utc_or_none(row.last_sign_in_at),
    )


def _read(conn: Connection, user_id: int) -> User:
    row = conn.execute(_query().where(users.c.id == user_id)).first()
    if row is None:  # users are never deleted; an id the service just read exists
        raise NotFound(f"No user with id {user_id}.")
    return _user(row)


class UserRepository:
    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def create(self, new: NewUser, audit: AuditEntry) -> User:
        now = utcnow()
        try:
            with self._engine.begin() as conn:
                user_id = conn.execute(
                    insert(users)
                    .values(
                        email=new.email,
                        role=new.role.value,
                        customer_id=new.customer_id,
                        password_hash=new.password_hash,
                        must_change_password=new.must_change_password,
                        created_at=now,
                        password_changed_at=now,
                    )
                    .returning(users.c.id)
                ).scalar_one()
                insert_audit(conn, audit)
                return _read(conn, user_id)
        except IntegrityError as exc:
            raise AlreadyExists(
                f"A user with email '{new.email}' already exists; see "
                "'landingzone admin user list'."
            ) from exc

    def get(self, email: str) -> User | None:
        with self._engine.connect() as conn:
            row = conn.execute(_query().where(users.c.email == email)).first()
        return _user(row) if row else None

    def sign_in_hash(self, email: str) -> tuple[User, str] | None:
        with self._engine.connect() as conn:
            row = conn.execute(
                _query().add_columns(users.c.password_hash).where(users.c.email == email)
            ).first()
        return (_user(row), row.password_hash) if row else None

    def list_users(self, customer_id: int | None, limit: int, after_id: int | None) -> list[User]:
        query = _query().order_by(users.c.id).limit(limit)
        if customer_id is not None:
            query = query.where(users.c.customer_id == customer_id)
        if after_id is not None:
            query = query.where(users.c.id > after_id)
        with self._engine.connect() as conn:
            return [_user(row) for row in conn.execute(query)]

    def set_disabled(self, user_id: int, disabled: bool, audit: AuditEntry) -> User:
        """Disable or enable; the entry is written only when the state changes."""
        unchanged = users.c.disabled_at.is_(None) if disabled else users.c.disabled_at.isnot(None)
        with self._engine.begin() as conn:
            changed = conn.execute(
                update(users)
                .where(users.c.id == user_id, unchanged)
                .values(disabled_at=utcnow() if disabled else None)
            ).rowcount
            if changed:
                insert_audit(conn, audit)
            return _read(conn, user_id)

    def set_password(
        self, user_id: int, password_hash: str, must_change: bool, audit: AuditEntry
    ) -> User:
        with self._engine.begin() as conn:
            conn.execute(
                update(users)
                .where(users.c.id == user_id)
                .values(
                    password_hash=password_hash,
                    must_change_password=must_change,
                    password_changed_at=utcnow(),
                )
            )
            insert_audit(conn, audit)
            return _read(conn, user_id)

    def signed_in(self, user_id: int, rehashed: str | None, audit: AuditEntry) -> User:
        """Record a sign-in, and the hash remade with today's parameters if there is one."""
        values: dict[str, Any] = {"last_sign_in_at": utcnow()}
        if rehashed is not None:
            values["password_hash"] = rehashed
        with self._engine.begin() as conn:
            conn.execute(update(users).where(users.c.id == user_id).values(**values))
            insert_audit(conn, audit)
            return _read(conn, user_id)
