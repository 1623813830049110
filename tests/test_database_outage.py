"""The metadata database goes away and comes back (issue 12 point 3).

A real PostgreSQL database is made unreachable without touching the shared
server: new connections to it are refused (``ALLOW_CONNECTIONS false``) and
its backends terminated (``pg_terminate_backend``), as when PostgreSQL
restarts. Every answer meanwhile is 503 with Retry-After (S3 ``SlowDown`` on
the object endpoint), never 500, and service resumes by itself.
"""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from sqlalchemy import event
from sqlalchemy.engine import make_url

from tests.conftest import PG_ADMIN_DSN, Harness, basic, build_harness, make_settings
from tests.test_objects import BASE, object_count, s3_code, signed_url


@pytest.fixture
def pg_harness(tmp_path: Path, database_url: str) -> Iterator[Harness]:
    yield from build_harness(make_settings(tmp_path / "data", database_url))


# Only the PostgreSQL case of conftest's database fixture (its own database, dropped after).
postgresql_only = pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)


def set_outage(database_url: str, down: bool) -> None:
    name = make_url(database_url).database
    with psycopg.connect(PG_ADMIN_DSN, autocommit=True) as admin:
        admin.execute(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS {"false" if down else "true"}')
        if down:
            admin.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE datname = %s AND pid <> pg_backend_pid()",
                (name,),
            )


@postgresql_only
def test_postgresql_outage_is_503_and_service_resumes(
    pg_harness: Harness, database_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    creds = pg_harness.tenant("acme")
    headers = pg_harness.auth(creds)
    url = signed_url(pg_harness, "during.csv", headers)
    set_outage(database_url, down=True)
    try:
        with caplog.at_level(logging.INFO):
            listing = pg_harness.http.get(f"{BASE}/upload?filenames=x.csv", headers=headers)
            token = pg_harness.http.post(
                "/oauth2/token",
                data={"grant_type": "client_credentials"},
                headers={"Authorization": basic(creds)},
            )
            put = pg_harness.http.put(url, content=b"bytes")
            # The body guard checks the token before the body: the same answer.
            data = pg_harness.http.post("/UploadData", content=b"{}", headers=headers)
    finally:
        set_outage(database_url, down=False)

    assert listing.status_code == 503, listing.text
    assert int(listing.headers["retry-after"]) > 0
    assert listing.json()["success"] is False
    assert token.status_code == 503
    assert token.json()["error"] == "temporarily_unavailable"
    assert token.headers["cache-control"] == "no-store"
    assert put.status_code == 503
    assert s3_code(put.text) == "SlowDown"
    assert int(put.headers["retry-after"]) > 0
    assert data.status_code == 503
    assert int(data.headers["retry-after"]) > 0
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert not [r for r in caplog.records if r.exc_info]

    # Back without a restart: the same app, the same URL.
    assert pg_harness.http.get(f"{BASE}/upload?filenames=x.csv", headers=headers).status_code == 200
    assert pg_harness.http.put(url, content=b"bytes").status_code == 200
    assert object_count(pg_harness) == 1


@postgresql_only
def test_terminated_connections_are_replaced_without_an_error(
    pg_harness: Harness, database_url: str
) -> None:
    headers = pg_harness.auth(pg_harness.tenant("acme"))
    assert pg_harness.http.get(f"{BASE}/files", headers=headers).status_code == 200
    set_outage(database_url, down=True)
    set_outage(database_url, down=False)  # a restart: every pooled connection is dead
    for _ in range(3):
        assert pg_harness.http.get(f"{BASE}/files", headers=headers).status_code == 200


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_sqlite_locked_is_503_and_service_resumes(
    tmp_path: Path, database_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    """Another process holds SQLite's write lock: "database is locked" is a 503, not a 500.

    The app waits ``busy_timeout`` (30 s) for the lock before giving up; the
    test sets it to 0 on the app's connections so the real error comes at once.
    """
    for harness in build_harness(make_settings(tmp_path / "data", database_url)):
        engine = harness.services.engine
        headers = harness.auth(harness.tenant("acme"))
        url = signed_url(harness, "f.csv", headers)

        def impatient(dbapi_connection: object, _record: object) -> None:
            dbapi_connection.execute("PRAGMA busy_timeout = 0")  # type: ignore[attr-defined]

        event.listen(engine, "connect", impatient)
        engine.dispose()
        other = sqlite3.connect(make_url(database_url).database or "", isolation_level=None)
        try:
            other.execute("BEGIN IMMEDIATE")  # the write lock, as another writer holds it
            with caplog.at_level(logging.INFO):
                put = harness.http.put(url, content=b"bytes")
        finally:
            other.execute("ROLLBACK")
            other.close()
            event.remove(engine, "connect", impatient)
            engine.dispose()
        assert put.status_code == 503, put.text
        assert s3_code(put.text) == "SlowDown"
        assert int(put.headers["retry-after"]) > 0
        assert not [r for r in caplog.records if r.levelno >= logging.ERROR]
        assert harness.http.put(url, content=b"bytes").status_code == 200
        assert object_count(harness) == 1


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_sqlite_full_is_503_and_the_url_works_once_there_is_room(
    tmp_path: Path, database_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    """SQLite's real "database or disk is full", capped by ``PRAGMA max_page_count``."""
    for harness in build_harness(make_settings(tmp_path / "data", database_url)):
        engine = harness.services.engine
        headers = harness.auth(harness.tenant("acme"))

        def no_new_pages(dbapi_connection: object, _record: object) -> None:
            connection: sqlite3.Connection = dbapi_connection  # type: ignore[assignment]
            pages = connection.execute("PRAGMA page_count").fetchone()[0]
            connection.execute(f"PRAGMA max_page_count = {pages}")

        event.listen(engine, "connect", no_new_pages)
        engine.dispose()
        full_url = None
        try:
            with caplog.at_level(logging.INFO):
                # Rows fill the free space of the existing pages, then a page is needed.
                for i in range(300):
                    url = signed_url(harness, f"file-{i:03d}-{'n' * 120}.csv", headers)
                    answer = harness.http.put(url, content=b"bytes")
                    if answer.status_code != 200:
                        full_url = url
                        break
        finally:
            event.remove(engine, "connect", no_new_pages)
            engine.dispose()
        assert full_url is not None, "the database never filled up"
        assert answer.status_code == 503, answer.text
        assert s3_code(answer.text) == "SlowDown"
        assert int(answer.headers["retry-after"]) > 0
        assert not [r for r in caplog.records if r.levelno >= logging.ERROR]
        stored_before = object_count(harness)
        assert harness.http.put(full_url, content=b"bytes").status_code == 200
        assert object_count(harness) == stored_before + 1
