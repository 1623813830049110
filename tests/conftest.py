"""Shared fixtures: real SQLite and PostgreSQL databases, a fresh app per test.

PostgreSQL (127.0.0.1:5432) and Redis (127.0.0.1:6379) tests skip when the
service is absent on a developer machine, and fail instead when CI is set.
"""

from __future__ import annotations

import base64
import os
import queue
import shutil
import threading
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import psycopg
import pytest

# pytest-xdist gives its workers COLUMNS=80, and a rich console (the CLI's output) made
# while it is set keeps that width: the CLI tests that ask for wide tables (COLUMNS=200
# in the invocation's environment) would get them cut at 80 columns.
os.environ.pop("COLUMNS", None)
from starlette.testclient import TestClient

from landingzone.api.app import create_asgi_app
from landingzone.bootstrap import Services
from landingzone.db import migrate
from landingzone.db.engine import make_engine
from landingzone.settings import Settings

# moto's S3 server fixtures, for the tests of the S3 backend.
pytest_plugins = ["tests.s3"]

PG_ADMIN_DSN = "host=127.0.0.1 port=5432 user=postgres dbname=postgres connect_timeout=3"
PUBLIC_URL = "http://testserver"
TEST_SECRET_KEY = "k" * 64
# The cheapest Argon2id the settings accept (8 MiB, 1 pass: ~5 ms a hash, not ~0.2 s):
# tests hash hundreds of passwords and test the rules, not the cost.
CHEAP_PASSWORD_HASHES = {
    "password_hash_memory_kib": 8192,
    "password_hash_passes": 1,
    "password_hash_lanes": 1,
}


def service_missing(what: str) -> None:
    """Skip on a developer machine; in CI a missing service is a failure."""
    if os.environ.get("CI"):
        pytest.fail(f"{what} is required in CI but is not reachable")
    pytest.skip(f"{what} not reachable")


class DatabaseTemplates:
    """One migrated database per backend and test session, copied for each test.

    Running the migrations costs a second or two a test, and PostgreSQL's DROP
    DATABASE forces a checkpoint that costs as much again: a test's database is a
    copy of a template migrated once (a file copy for SQLite, ``CREATE DATABASE ...
    TEMPLATE`` for PostgreSQL), and dropped on a background thread while the next
    tests run. Each pytest process (an xdist worker too) has templates of its own.
    """

    def __init__(self, directory: Path) -> None:
        self._directory = directory
        self._sqlite: Path | None = None
        self._postgresql: str | None = None
        self._drops: queue.Queue[str | None] = queue.Queue()
        self._drop_errors: list[str] = []
        self._dropper = threading.Thread(
            target=self._drop_queued, name="drop-test-databases", daemon=True
        )
        self._dropper.start()

    def sqlite_copy(self, path: Path) -> None:
        if self._sqlite is None:
            template = self._directory / "template.db"
            migrate_empty(f"sqlite:///{template}")
            # The engine's dispose checkpointed the WAL into the file: it is the whole database.
            assert not template.with_name("template.db-wal").exists()
            self._sqlite = template
        shutil.copyfile(self._sqlite, path)

    def postgresql_database(self, name: str, migrated: bool) -> None:
        """Create database ``name``, a copy of the migrated template when ``migrated``."""
        try:
            admin = psycopg.connect(PG_ADMIN_DSN, autocommit=True)
        except psycopg.OperationalError:
            service_missing("PostgreSQL at 127.0.0.1:5432")
        with admin:
            if not migrated:
                admin.execute(f'CREATE DATABASE "{name}"')
                return
            if self._postgresql is None:
                template = f"lz_test_template_{uuid.uuid4().hex[:12]}"
                admin.execute(f'CREATE DATABASE "{template}"')
                self._postgresql = template
                migrate_empty(f"postgresql://postgres@127.0.0.1:5432/{template}")
            # WAL_LOG (the default) copies through the WAL; FILE_COPY would checkpoint.
            admin.execute(f'CREATE DATABASE "{name}" TEMPLATE "{self._postgresql}"')

    def drop_later(self, name: str) -> None:
        self._drops.put(name)

    def _drop_queued(self) -> None:
        while (name := self._drops.get()) is not None:
            try:
                with psycopg.connect(PG_ADMIN_DSN, autocommit=True) as admin:
                    admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            except psycopg.Error as exc:
                self._drop_errors.append(f"{name}: {exc}")

    def close(self) -> None:
        """Drop what is queued, then the template; a database left behind is an error."""
        if self._postgresql is not None:
            self._drops.put(self._postgresql)
        self._drops.put(None)
        self._dropper.join()
        assert not self._drop_errors, f"test databases not dropped: {self._drop_errors}"


def migrate_empty(url: str) -> None:
    engine = make_engine(url)
    try:
        migrate.upgrade(engine)
    finally:
        engine.dispose()


# Databases ``database_url`` handed out already migrated: ``build_harness`` skips the
# migrations (a no-op on them, but loading Alembic's scripts takes a tenth of a second).
MIGRATED_URLS: set[str] = set()


@pytest.fixture(scope="session")
def database_templates(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DatabaseTemplates]:
    templates = DatabaseTemplates(tmp_path_factory.mktemp("templates"))
    try:
        yield templates
    finally:
        templates.close()


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(
    request: pytest.FixtureRequest, tmp_path: Path, database_templates: DatabaseTemplates
) -> Iterator[str]:
    """A database of the test's own, migrated to the newest revision; an empty one for
    tests marked ``empty_database`` (those of the migrations themselves)."""
    migrated = request.node.get_closest_marker("empty_database") is None
    name = None
    if request.param == "sqlite":
        path = tmp_path / "meta.db"
        url = f"sqlite:///{path}"
        if migrated:
            database_templates.sqlite_copy(path)
    else:
        name = f"lz_test_{uuid.uuid4().hex[:12]}"
        database_templates.postgresql_database(name, migrated)
        url = f"postgresql://postgres@127.0.0.1:5432/{name}"
    if migrated:
        MIGRATED_URLS.add(url)
    try:
        yield url
    finally:
        MIGRATED_URLS.discard(url)
        if name is not None:
            database_templates.drop_later(name)


def make_settings(data_dir: Path, database_url: str, **overrides: object) -> Settings:
    values: dict[str, object] = {
        "data_dir": data_dir,
        "database_url": database_url,
        "public_url": PUBLIC_URL,
        "secret_key": TEST_SECRET_KEY,
        "rate_limit": 10_000,
        "rate_limit_burst": 10_000,
        **CHEAP_PASSWORD_HASHES,
        **overrides,
    }
    return Settings(**values)  # type: ignore[arg-type]


@dataclass
class Credentials:
    client_id: str
    client_secret: str
    api_key: str
    customer: str


@dataclass
class Harness:
    """A migrated database, the services on it, and a test client of a fresh app."""

    services: Services
    http: TestClient

    def new_client(self, customer: str, scopes: list[str] | None = None) -> Credentials:
        issued = self.services.admin.create_client(customer, scopes)
        return Credentials(issued.client.client_id, issued.client_secret, issued.api_key, customer)

    def operator_auth(self, label: str = "ops") -> dict[str, str]:
        """A bearer header of a new operator client (no customer, scope `admin`)."""
        issued = self.services.admin.create_operator_client(label)
        creds = Credentials(issued.client.client_id, issued.client_secret, issued.api_key, "")
        return self.auth(creds, "admin")

    def tenant(self, customer: str, app_id: str = "myAppId") -> Credentials:
        self.services.admin.create_customer(customer)
        self.services.admin.create_app(customer, app_id)
        return self.new_client(customer)

    def token(self, creds: Credentials, scope: str | None = None) -> str:
        data = {"grant_type": "client_credentials"}
        if scope:
            data["scope"] = scope
        response = self.http.post(
            "/oauth2/token", data=data, headers={"Authorization": basic(creds)}
        )
        assert response.status_code == 200, response.text
        token: str = response.json()["access_token"]
        return token

    def auth(self, creds: Credentials, scope: str | None = None) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token(creds, scope)}"}


def basic(creds: Credentials) -> str:
    from urllib.parse import quote

    raw = f"{quote(creds.client_id, safe='')}:{quote(creds.client_secret, safe='')}"
    return "Basic " + base64.b64encode(raw.encode()).decode()


def build_harness(settings: Settings) -> Iterator[Harness]:
    services = Services.build(settings)
    if settings.database_url not in MIGRATED_URLS:
        services.migrate()
    with TestClient(create_asgi_app(services.api_context()), base_url=PUBLIC_URL) as http:
        yield Harness(services, http)
    services.engine.dispose()


@pytest.fixture
def harness(tmp_path: Path, database_url: str) -> Iterator[Harness]:
    yield from build_harness(make_settings(tmp_path / "data", database_url))


@pytest.fixture
def sqlite_harness(tmp_path: Path) -> Iterator[Harness]:
    """For tests of HTTP behaviour that does not depend on the database backend."""
    yield from build_harness(make_settings(tmp_path / "data", f"sqlite:///{tmp_path / 'm.db'}"))
