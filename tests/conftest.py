"""Shared fixtures: real SQLite and PostgreSQL databases, a fresh app per test.

PostgreSQL (127.0.0.1:5432) and Redis (127.0.0.1:6379) tests skip when the
service is absent on a developer machine, and fail instead when CI is set.
"""

from __future__ import annotations

import base64
import os
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import psycopg
import pytest
from starlette.testclient import TestClient

from landingzone.api.app import create_asgi_app
from landingzone.bootstrap import Services
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


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'meta.db'}"
        return
    name = f"lz_test_{uuid.uuid4().hex[:12]}"
    try:
        admin = psycopg.connect(PG_ADMIN_DSN, autocommit=True)
    except psycopg.OperationalError:
        service_missing("PostgreSQL at 127.0.0.1:5432")
    with admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    try:
        yield f"postgresql://postgres@127.0.0.1:5432/{name}"
    finally:
        with psycopg.connect(PG_ADMIN_DSN, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


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
