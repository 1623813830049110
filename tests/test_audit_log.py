"""The audit log's table on both databases: a change's entry commits or rolls back with it."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest
from sqlalchemy import Engine, insert, select

from landingzone.db import migrate
from landingzone.db.audit import AuditRepository, insert_audit
from landingzone.db.engine import make_engine
from landingzone.db.tables import audit_log, customers
from landingzone.domain.audit import CLI, Actor, AuditFilter
from landingzone.timeutil import utcnow


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    engine = make_engine(database_url)
    migrate.upgrade(engine)
    yield engine
    engine.dispose()


def test_an_entry_written_in_a_rolled_back_transaction_is_gone(engine: Engine) -> None:
    class Boom(Exception):
        pass

    with pytest.raises(Boom), engine.begin() as conn:
        conn.execute(insert(customers).values(name="acme", timezone="UTC", created_at=utcnow()))
        insert_audit(conn, CLI.did("customer.create", "acme", None))
        raise Boom
    with engine.connect() as conn:
        assert conn.execute(select(audit_log)).all() == []
        assert conn.execute(select(customers)).all() == []


def test_entries_are_read_newest_first_with_filters_and_pages(engine: Engine) -> None:
    with engine.begin() as conn:
        conn.execute(insert(customers).values(name="acme", timezone="UTC", created_at=utcnow()))
        acme = conn.execute(select(customers.c.id)).scalar_one()
    repo = AuditRepository(engine)
    api = Actor("c-123", request_id="req1")
    repo.record(CLI.did("customer.create", "acme", acme))
    repo.record(api.did("client.disable", "c-9", acme))
    repo.record(api.did("dataset.add", "users", None, outcome="refused"))

    everything = repo.entries(AuditFilter(), limit=10, before_id=None)
    assert [e.action for e in everything] == ["dataset.add", "client.disable", "customer.create"]
    assert everything[0].outcome == "refused" and everything[0].customer is None
    assert everything[1].customer == "acme" and everything[1].request_id == "req1"

    assert [e.target for e in repo.entries(AuditFilter(customer_id=acme), 10, None)] == [
        "c-9",
        "acme",
    ]
    assert [e.action for e in repo.entries(AuditFilter(actor="cli"), 10, None)] == [
        "customer.create"
    ]
    assert [e.action for e in repo.entries(AuditFilter(action="dataset.add"), 10, None)] == [
        "dataset.add"
    ]
    later = AuditFilter(since=utcnow() + timedelta(minutes=1))
    assert repo.entries(later, 10, None) == []
    first = repo.entries(AuditFilter(), limit=2, before_id=None)
    rest = repo.entries(AuditFilter(), limit=2, before_id=first[-1].id)
    assert [e.action for e in first + rest] == [e.action for e in everything]
