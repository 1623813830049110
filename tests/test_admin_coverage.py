"""Rules every route of a kind keeps (issue 14 point 1), on SQLite and PostgreSQL.

The routes are read from the OpenAPI document, so a list or a JSON body added later is
checked too (or fails here until its example body is added):

- every list (a route with ``?cursor=``) pages with ``?limit=&cursor=`` and
  ``{items|files, nextCursor}``: walking it one item a page gives exactly the one-page list,
  and a bad ``limit`` or ``cursor`` is a 400 in the common error body;
- no secret an admin route answers (client secrets, API keys, one-time and chosen
  passwords) or is called with (bearer tokens) reaches the audit log;
- every admin JSON body refuses an unknown field (422 naming it), a body that is not an
  object, and one that is not JSON, and stores nothing (no row, no audit entry).
"""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import func, select

from landingzone.db.tables import audit_log, clients, customers
from tests.conftest import Harness
from tests.test_admin_catalog_api import INVOICES

PUSH = "/services/push/v1/customer/apps/myAppId"
SUBMISSION = "Reference,StartDate,StartTime,EndDate,EndTime\r\nU1,12/05/2024,09:00,12/05/2024,17:00"
# What fills a list route's path: acme's names.
PATH_VALUES = {"{name}": "acme", "{appId}": "myAppId"}
# A valid body of each admin route that takes JSON; the checks add to it or replace it.
VALID_BODIES: dict[str, dict[str, Any]] = {
    "POST /admin/v1/customers": {"name": "newco"},
    "PATCH /admin/v1/customers/{name}": {"timezone": "UTC"},
    "POST /admin/v1/customers/{name}/apps": {"appId": "newApp"},
    "POST /admin/v1/customers/{name}/clients": {"label": "new"},
    "POST /admin/v1/clients": {"label": "new"},
    "POST /admin/v1/users": {"email": "new@example.com", "role": "member", "customer": "acme"},
    "POST /admin/v1/users/{email}/reset-password": {"password": "a long enough passphrase 42"},
    "POST /admin/v1/datasets": INVOICES,
}
BODY_PATH_VALUES = {**PATH_VALUES, "{email}": "ann@acme.example"}


def document(harness: Harness) -> dict[str, Any]:
    answer = harness.http.get("/openapi.json")
    assert answer.status_code == 200
    doc: dict[str, Any] = answer.json()
    return doc


def fill(path: str, values: dict[str, str]) -> str:
    for template, value in values.items():
        path = path.replace(template, value)
    assert "{" not in path, f"no value for a parameter of {path}: add it to the table above"
    return path


def error_body(answer: Any, status: int, where: str) -> str:
    assert answer.status_code == status, (where, answer.status_code, answer.text)
    body = answer.json()
    assert (body["code"], body["success"]) == (str(status), False), (where, body)
    message: str = body["message"]
    return message


def count(harness: Harness, table: Any) -> int:
    with harness.services.engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(table)).scalar_one())


@pytest.fixture
def seeded(harness: Harness) -> Harness:
    """Two or more items in every list: customers, apps, clients, operator clients, users,
    dataset types, pushed objects, Files API files, submissions, audit entries."""
    harness.services.datasets.install_shipped()
    acme = harness.tenant("acme")
    harness.tenant("beta")
    harness.services.admin.create_app("acme", "crm")
    harness.new_client("acme")
    ops = harness.operator_auth("ops")
    harness.operator_auth("ops2")
    headers = harness.auth(acme)
    for name in ("a.csv", "b.csv", "c.csv"):
        urls = harness.http.get(f"{PUSH}/upload", params={"filenames": name}, headers=headers)
        assert harness.http.put(urls.json()[name], content=b"x\n").status_code == 200
    for name in ("one.csv", "two.csv"):
        made = harness.http.post(
            "/analytics/files/upload",
            json={"datasetType": "transactions", "file": {"name": name, "type": "csv"}},
            headers=headers,
        )
        assert made.status_code == 201, made.text
    for n in range(2):
        sent = harness.http.post(
            "/UploadData",
            json={"Name": f"s{n}", "Data": SUBMISSION, "Key": acme.api_key},
            headers=headers,
        )
        assert sent.status_code == 200, sent.text
    for email, customer in (("ann@acme.example", "acme"), ("bob@acme.example", "acme")):
        made = harness.http.post(
            "/admin/v1/users",
            json={"email": email, "role": "member", "customer": customer},
            headers=ops,
        )
        assert made.status_code == 201, made.text
    return harness


def test_every_list_pages_and_every_admin_body_is_checked(seeded: Harness) -> None:
    """Both rules in one test: seeding every list is what costs."""
    every_list_pages_one_item_at_a_time_to_the_whole_list(seeded)
    every_admin_body_refuses_what_it_does_not_take_and_stores_nothing(seeded)
    no_secret_reaches_the_audit_log(seeded)


def every_list_pages_one_item_at_a_time_to_the_whole_list(harness: Harness) -> None:
    ops = harness.operator_auth("pager")
    customer = harness.auth(harness.new_client("acme"))
    lists = [
        path
        for path, item in document(harness)["paths"].items()
        if any(p["name"] == "cursor" for p in item.get("get", {}).get("parameters", []))
    ]
    assert len(lists) >= 12, lists
    for template in lists:
        path = fill(template, PATH_VALUES)
        headers = ops if path.startswith("/admin/") else customer
        whole = harness.http.get(path, params={"limit": "1000"}, headers=headers)
        assert whole.status_code == 200, (path, whole.text)
        body = whole.json()
        (key,) = [k for k, v in body.items() if isinstance(v, list)]
        assert body["nextCursor"] is None, path
        expected = body[key]
        assert len(expected) >= 2, (path, "seed two items at least", expected)

        walked: list[Any] = []
        cursor: str | None = None
        for _ in range(len(expected) + 1):
            params = {"limit": "1", **({"cursor": cursor} if cursor else {})}
            page = harness.http.get(path, params=params, headers=headers)
            assert page.status_code == 200, (path, page.text)
            items = page.json()[key]
            assert len(items) <= 1, path
            walked += items
            cursor = page.json()["nextCursor"]
            if cursor is None:
                break
        assert walked == expected, path

        for params in ({"limit": "0"}, {"limit": "1001"}, {"limit": "x"}, {"cursor": "bogus!"}):
            refused = harness.http.get(path, params=params, headers=headers)
            assert error_body(refused, 400, f"{path} {params}"), path


def every_admin_body_refuses_what_it_does_not_take_and_stores_nothing(harness: Harness) -> None:
    ops = harness.operator_auth("writer")
    routes = {
        f"{method.upper()} {path}"
        for path, item in document(harness)["paths"].items()
        for method, operation in item.items()
        if path.startswith("/admin/v1/") and "requestBody" in operation
    }
    missing = sorted(routes - set(VALID_BODIES))
    assert not missing, f"add a valid example body of {missing} to VALID_BODIES"
    assert not set(VALID_BODIES) - routes, "VALID_BODIES names routes that take no body"

    tables = (audit_log, customers, clients)
    before = [count(harness, table) for table in tables]
    customers_before = harness.http.get("/admin/v1/customers", headers=ops).json()
    for route, valid in VALID_BODIES.items():
        method, template = route.split(" ")
        path = fill(template, BODY_PATH_VALUES)
        extra = harness.http.request(method, path, json={**valid, "surprise": 1}, headers=ops)
        assert "surprise" in error_body(extra, 422, route), extra.text
        listed = harness.http.request(method, path, json=[valid], headers=ops)
        error_body(listed, 422, route)
        broken = harness.http.request(
            method,
            path,
            content=b'{"name": ',
            headers={**ops, "Content-Type": "application/json"},
        )
        assert broken.status_code in (400, 422), (route, broken.text)
        error_body(broken, broken.status_code, route)
    assert [count(harness, table) for table in tables] == before
    assert harness.http.get("/admin/v1/customers", headers=ops).json() == customers_before
    # ann's password was not reset: she still has her one-time one, unchanged.
    ann = harness.services.users.get("ann@acme.example")
    assert ann.must_change_password and ann.password_changed_at == ann.created_at


def no_secret_reaches_the_audit_log(harness: Harness) -> None:
    ops = harness.operator_auth("secrets")
    http = harness.http
    secrets = [ops["Authorization"].removeprefix("Bearer ")]
    made = http.post("/admin/v1/customers/acme/clients", json={}, headers=ops).json()
    rotated = http.post(f"/admin/v1/clients/{made['client_id']}/rotate", headers=ops).json()
    operator = http.post("/admin/v1/clients", json={"label": "more"}, headers=ops).json()
    for document in (made, rotated, operator):
        secrets += [document["client_secret"], document["api_key"]]
    one_time = http.post("/admin/v1/users/ann@acme.example/reset-password", headers=ops)
    secrets.append(one_time.json()["oneTimePassword"])
    chosen = "a chosen passphrase for bob 7"
    reset = http.post(
        "/admin/v1/users/bob@acme.example/reset-password", json={"password": chosen}, headers=ops
    )
    assert reset.status_code == 200, reset.text
    secrets.append(chosen)

    with harness.services.engine.connect() as conn:
        rows = [tuple(str(value) for value in row) for row in conn.execute(select(audit_log))]
    logged = repr(rows) + http.get("/admin/v1/audit?limit=1000", headers=ops).text
    assert "client.rotate" in logged and "user.reset_password" in logged
    for secret in secrets:
        assert secret not in logged
    assert "$argon2" not in logged
