"""Alembic migrations build exactly the schema the code declares, on both backends."""

from __future__ import annotations

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect

from landingzone.db import migrate
from landingzone.db.engine import make_engine
from landingzone.db.tables import metadata


@pytest.mark.empty_database
def test_upgrade_matches_metadata_and_is_idempotent(database_url: str) -> None:
    engine = make_engine(database_url)
    try:
        migrate.upgrade(engine)
        migrate.upgrade(engine)
        with engine.connect() as conn:
            diff = compare_metadata(MigrationContext.configure(conn), metadata)
        assert diff == []
        assert set(inspect(engine).get_table_names()) >= {
            "customers",
            "apps",
            "clients",
            "objects",
            "alembic_version",
        }
    finally:
        engine.dispose()


def test_sqlite_runs_in_wal_with_full_sync(tmp_path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'x.db'}")
    with engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA synchronous").scalar() == 2  # FULL
    engine.dispose()
