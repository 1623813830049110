"""The admin API's tenants (SPEC §9) on SQLite and PostgreSQL: customers, apps, clients,
operator clients, and what their changes do to tokens at once."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from sqlalchemy import insert, select

from landingzone.db import migrate
from landingzone.db.engine import make_engine
from landingzone.db.tables import clients, customers
from landingzone.timeutil import utcnow
from tests.conftest import Credentials, Harness, basic

A = "/admin/v1"
UPLOAD = "/services/push/v1/customer/apps/myAppId/upload?filenames=a.csv"


def operator_creds(harness: Harness, label: str = "ops") -> Credentials:
    issued = harness.services.admin.create_operator_client(label)
    return Credentials(issued.client.client_id, issued.client_secret, issued.api_key, "")


@pytest.fixture
def ops(harness: Harness) -> dict[str, str]:
    """An operator's bearer header."""
    return harness.auth(operator_creds(harness))


def token_answer(harness: Harness, creds: Credentials, scope: str | None = None) -> Any:
    data = {"grant_type": "client_credentials", **({"scope": scope} if scope else {})}
    return harness.http.post("/oauth2/token", data=data, headers={"Authorization": basic(creds)})


def test_customers_are_created_read_listed_in_pages_and_changed(
    harness: Harness, ops: dict[str, str]
) -> None:
    http = harness.http
    created = http.post(
        f"{A}/customers", json={"name": "acme", "timezone": "Europe/Paris"}, headers=ops
    )
    assert created.status_code == 201, created.text
    assert created.json() == {
        "name": "acme",
        "timezone": "Europe/Paris",
        "disabled": False,
        "createdAt": created.json()["createdAt"],
    }
    assert created.headers["Location"] == f"{A}/customers/acme"
    assert http.get(created.headers["Location"], headers=ops).json() == created.json()
    for name in ("beta", "gamma"):
        assert http.post(f"{A}/customers", json={"name": name}, headers=ops).status_code == 201
    first = http.get(f"{A}/customers", params={"limit": 2}, headers=ops).json()
    assert [c["name"] for c in first["items"]] == ["acme", "beta"]
    rest = http.get(
        f"{A}/customers", params={"limit": 2, "cursor": first["nextCursor"]}, headers=ops
    ).json()
    assert [c["name"] for c in rest["items"]] == ["gamma"] and rest["nextCursor"] is None

    assert http.get(f"{A}/customers/beta", headers=ops).json()["timezone"] == "UTC"
    changed = http.patch(f"{A}/customers/beta", json={"timezone": "Asia/Tokyo"}, headers=ops)
    assert changed.status_code == 200 and changed.json()["timezone"] == "Asia/Tokyo"
    assert harness.services.admin.customer("beta").timezone == "Asia/Tokyo"


@pytest.mark.parametrize(
    ("method", "path", "body", "status", "words"),
    [
        ("post", "/customers", {"name": "acme"}, 409, "already exists"),
        ("post", "/customers", {"name": "bad name"}, 422, "name: Invalid customer name"),
        ("post", "/customers", {"name": "x", "timezone": "Mars/Base"}, 422, "timezone: Unknown"),
        ("post", "/customers", {"timezone": "UTC"}, 422, "name"),
        ("post", "/customers", {"name": "x", "owner": "me"}, 422, "owner"),
        ("get", "/customers/ghost", None, 404, "No customer named 'ghost'"),
        ("patch", "/customers/ghost", {"timezone": "UTC"}, 404, "No customer named 'ghost'"),
        ("patch", "/customers/acme", {}, 422, "Nothing to change"),
        ("patch", "/customers/acme", {"disabled": "yes"}, 422, "disabled"),
        ("patch", "/customers/acme", {"timezone": "Nowhere"}, 422, "timezone"),
        ("post", "/customers/acme/apps", {"appId": "crm"}, 409, "already exists"),
        ("post", "/customers/acme/apps", {"appId": "a/b"}, 422, "appId: Invalid app id"),
        ("post", "/customers/ghost/apps", {"appId": "crm"}, 404, "No customer named 'ghost'"),
        ("get", "/customers/ghost/apps", None, 404, "GET /admin/v1/customers"),
        ("get", "/customers/ghost/clients", None, 404, "No customer named 'ghost'"),
        ("post", "/customers/acme/clients", {"scopes": ["admin"]}, 422, "scopes: Scope 'admin'"),
        ("post", "/customers/acme/clients", {"scopes": ["root"]}, 422, "scopes: Unknown scope"),
        ("post", "/customers/acme/clients", {"label": "x" * 201}, 422, "label"),
        ("post", "/clients/nope/disable", None, 404, "No client with id 'nope'"),
        ("post", "/clients/nope/enable", None, 404, "No client with id 'nope'"),
        ("post", "/clients/nope/rotate", None, 404, "No client with id 'nope'"),
        ("get", "/customers?limit=0", None, 400, "Invalid limit"),
        ("get", "/customers?cursor=bogus", None, 400, "cursor"),
        ("get", "/customers?sort=name", None, 400, "Unexpected query parameter 'sort'"),
    ],
)
def test_refusals_are_the_common_error_body(
    harness: Harness,
    ops: dict[str, str],
    method: str,
    path: str,
    body: dict[str, Any] | None,
    status: int,
    words: str,
) -> None:
    harness.services.admin.create_customer("acme")
    harness.services.admin.create_app("acme", "crm")
    kwargs: dict[str, Any] = {"headers": ops}
    if body is not None:
        kwargs["json"] = body
    answer = harness.http.request(method.upper(), f"{A}{path}", **kwargs)
    assert answer.status_code == status, answer.text
    assert answer.json()["success"] is False and answer.json()["code"] == str(status)
    assert words in answer.json()["message"]


def test_apps_are_created_and_listed(harness: Harness, ops: dict[str, str]) -> None:
    harness.services.admin.create_customer("acme")
    harness.services.admin.create_customer("other")
    harness.services.admin.create_app("other", "theirs")
    made = harness.http.post(f"{A}/customers/acme/apps", json={"appId": "crm"}, headers=ops)
    assert made.status_code == 201
    assert made.json() == {
        "appId": "crm",
        "customer": "acme",
        "createdAt": made.json()["createdAt"],
    }
    harness.http.post(f"{A}/customers/acme/apps", json={"appId": "erp"}, headers=ops)
    listed = harness.http.get(f"{A}/customers/acme/apps", headers=ops).json()
    assert [a["appId"] for a in listed["items"]] == ["crm", "erp"]
    assert listed["nextCursor"] is None
    page = harness.http.get(f"{A}/customers/acme/apps?limit=1", headers=ops).json()
    assert [a["appId"] for a in page["items"]] == ["crm"] and page["nextCursor"]


def test_a_customer_client_is_created_listed_and_used(
    harness: Harness, ops: dict[str, str]
) -> None:
    harness.services.admin.create_customer("acme")
    harness.services.admin.create_app("acme", "myAppId")
    made = harness.http.post(
        f"{A}/customers/acme/clients",
        json={"scopes": ["connector.write"], "label": "nightly sync"},
        headers=ops,
    )
    assert made.status_code == 201, made.text
    document = made.json()
    assert set(document) == {"client_id", "client_secret", "api_key", "customer", "scopes", "label"}
    assert (document["customer"], document["scopes"], document["label"]) == (
        "acme",
        ["connector.write"],
        "nightly sync",
    )
    assert made.headers["cache-control"] == "no-store"

    def listed() -> dict[str, Any]:
        items = harness.http.get(f"{A}/customers/acme/clients", headers=ops).json()["items"]
        (item,) = items
        return dict(item)

    item = listed()
    assert set(item) == {
        "clientId",
        "customer",
        "label",
        "scopes",
        "enabled",
        "createdAt",
        "lastUsedAt",
    }
    assert item["clientId"] == document["client_id"] and item["lastUsedAt"] is None
    creds = Credentials(
        document["client_id"], document["client_secret"], document["api_key"], "acme"
    )
    assert harness.http.get(UPLOAD, headers=harness.auth(creds)).status_code == 200
    assert listed()["lastUsedAt"] is not None  # set when it was issued a token

    # Defaults: every scope but admin.
    default = harness.http.post(f"{A}/customers/acme/clients", json={}, headers=ops).json()
    assert default["scopes"] == [
        "connector.write",
        "files.write",
        "files.read",
        "platform_upload_api",
    ]
    assert default["label"] is None


def test_disable_enable_and_rotate_take_effect_at_once(
    harness: Harness, ops: dict[str, str]
) -> None:
    creds = harness.tenant("acme")
    old_token = harness.auth(creds)
    assert harness.http.get(UPLOAD, headers=old_token).status_code == 200

    disabled = harness.http.post(f"{A}/clients/{creds.client_id}/disable", headers=ops)
    assert disabled.status_code == 200 and disabled.json()["enabled"] is False
    assert disabled.json()["customer"] == "acme"
    assert harness.http.get(UPLOAD, headers=old_token).status_code == 401
    assert token_answer(harness, creds).status_code == 401

    enabled = harness.http.post(f"{A}/clients/{creds.client_id}/enable", headers=ops)
    assert enabled.status_code == 200 and enabled.json()["enabled"] is True
    assert harness.http.get(UPLOAD, headers=old_token).status_code == 200

    rotated = harness.http.post(f"{A}/clients/{creds.client_id}/rotate", headers=ops)
    assert rotated.status_code == 200
    fresh = rotated.json()
    assert fresh["client_id"] == creds.client_id
    assert fresh["client_secret"] != creds.client_secret and fresh["api_key"] != creds.api_key
    # The old secret, the old token and the old API key stop working at once.
    assert token_answer(harness, creds).status_code == 401
    refused = harness.http.get(UPLOAD, headers=old_token)
    assert refused.status_code == 401 and "new credentials" in refused.json()["message"]
    new_creds = Credentials(creds.client_id, fresh["client_secret"], fresh["api_key"], "acme")
    new_token = harness.auth(new_creds)
    assert harness.http.get(UPLOAD, headers=new_token).status_code == 200
    unknown = str(uuid.uuid4())
    results = "/GetResults?token={}&dataKey=status&key={}"
    old_key = harness.http.get(results.format(unknown, creds.api_key), headers=new_token)
    assert old_key.status_code == 401
    new_key = harness.http.get(results.format(unknown, fresh["api_key"]), headers=new_token)
    assert new_key.status_code == 404


def test_a_disabled_customer_gets_no_tokens_and_its_tokens_stop(
    harness: Harness, ops: dict[str, str]
) -> None:
    creds = harness.tenant("acme")
    other = harness.tenant("other")
    token = harness.auth(creds)
    changed = harness.http.patch(f"{A}/customers/acme", json={"disabled": True}, headers=ops)
    assert changed.status_code == 200 and changed.json()["disabled"] is True
    assert harness.http.get(UPLOAD, headers=token).status_code == 401
    assert token_answer(harness, creds).json()["error"] == "invalid_client"
    assert harness.http.get(UPLOAD, headers=harness.auth(other)).status_code == 200
    harness.http.patch(f"{A}/customers/acme", json={"disabled": False}, headers=ops)
    assert harness.http.get(UPLOAD, headers=token).status_code == 200


def test_operator_clients_hold_admin_only_and_work_only_on_admin_routes(
    harness: Harness, ops: dict[str, str]
) -> None:
    creds = harness.tenant("acme")
    made = harness.http.post(f"{A}/clients", json={"label": "backoffice"}, headers=ops)
    assert made.status_code == 201
    document = made.json()
    assert (document["customer"], document["scopes"], document["label"]) == (
        None,
        ["admin"],
        "backoffice",
    )
    listed = harness.http.get(f"{A}/clients", headers=ops).json()["items"]
    assert [c["label"] for c in listed] == ["ops", "backoffice"]
    assert all(c["customer"] is None for c in listed)
    operator = Credentials(
        document["client_id"], document["client_secret"], document["api_key"], ""
    )
    assert token_answer(harness, operator, "connector.write").json()["error"] == "invalid_scope"
    bearer = harness.auth(operator, "admin")
    assert harness.http.get(f"{A}/customers", headers=bearer).status_code == 200
    # An operator's token on a customer's routes: 403, whatever the route.
    for method, path in [
        ("GET", UPLOAD),
        ("GET", "/services/push/v1/customer/apps/myAppId/files"),
        ("GET", "/analytics/files"),
        ("GET", f"/analytics/files/{uuid.uuid4()}"),
        ("GET", f"/GetResults?token={uuid.uuid4()}&dataKey=status&key=x"),
    ]:
        refused = harness.http.request(method, path, headers=bearer)
        assert refused.status_code == 403, (path, refused.text)
        assert "insufficient_scope" in refused.headers["www-authenticate"]
    # A customer's client never holds admin: not by asking, not on admin routes.
    assert token_answer(harness, creds, "admin").json()["error"] == "invalid_scope"
    customer_token = harness.auth(creds)
    assert harness.http.get(f"{A}/customers", headers=customer_token).status_code == 403
    assert harness.http.get(f"{A}/customers").status_code == 401


@pytest.mark.empty_database
def test_a_customer_client_given_admin_before_is_stripped_by_migration(database_url: str) -> None:
    engine = make_engine(database_url)
    try:
        migrate.upgrade(engine, "0007")
        with engine.begin() as conn:
            customer = conn.execute(
                insert(customers)
                .values(name="acme", timezone="UTC", created_at=utcnow())
                .returning(customers.c.id)
            ).scalar_one()
            conn.exec_driver_sql(
                "INSERT INTO clients (client_id, customer_id, secret_hash, api_key_hash, scopes,"
                f" created_at) VALUES ('c1', {customer}, 'h', 'k', 'connector.write admin',"
                " CURRENT_TIMESTAMP)"
            )
        migrate.upgrade(engine)
        with engine.connect() as conn:
            row = conn.execute(select(clients.c.scopes, clients.c.credentials_version)).one()
        assert (row.scopes, row.credentials_version) == ("connector.write", 0)
    finally:
        engine.dispose()


@pytest.mark.parametrize(
    ("path", "allowed"),
    [
        ("/customers", "GET, POST"),
        ("/customers/acme", "GET, PATCH"),
        ("/customers/acme/apps", "GET, POST"),
        ("/clients", "GET, POST"),
        ("/clients/x/rotate", "POST"),
    ],
)
def test_a_wrong_method_names_every_method_of_the_path(
    sqlite_harness: Harness, path: str, allowed: str
) -> None:
    answer = sqlite_harness.http.request("DELETE", f"{A}{path}")
    assert answer.status_code == 405
    assert answer.headers["allow"] == allowed
    assert answer.json()["message"].endswith(f"Use {allowed}.")


def test_a_wrong_method_names_only_the_methods_of_the_paths_own_template(
    sqlite_harness: Harness,
) -> None:
    # GET /analytics/files/{id} also matches /analytics/files/upload, another resource.
    answer = sqlite_harness.http.request("OPTIONS", "/analytics/files/upload")
    assert (answer.status_code, answer.headers["allow"]) == (405, "POST")


def test_a_customer_client_holding_admin_anyway_never_gets_it(harness: Harness) -> None:
    creds = harness.tenant("acme")
    with harness.services.engine.begin() as conn:  # as a hand-edited row would say
        conn.execute(
            clients.update()
            .where(clients.c.client_id == creds.client_id)
            .values(scopes="connector.write admin")
        )
    assert token_answer(harness, creds, "admin").json()["error"] == "invalid_scope"
    granted = token_answer(harness, creds).json()
    assert granted["scope"] == "connector.write"
    bearer = {"Authorization": f"Bearer {granted['access_token']}"}
    assert harness.http.get(f"{A}/customers", headers=bearer).status_code == 403
