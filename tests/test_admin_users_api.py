"""The admin API's portal users on SQLite and PostgreSQL: scope `admin`, the common error
body, pagination, one-time passwords only where made, and the audit rows of each change."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

from landingzone.db.audit import AuditRepository
from landingzone.db.tables import users
from landingzone.domain.audit import AuditFilter
from landingzone.errors import SignInRefused
from tests.conftest import Harness

USERS = "/admin/v1/users"
GOOD = "correct horse battery"


@pytest.fixture
def admin(harness: Harness) -> dict[str, str]:
    """An operator client's admin token; customers acme and globex exist."""
    harness.services.admin.create_customer("acme")
    harness.services.admin.create_customer("globex")
    return harness.operator_auth()


def error(response: Any, status: int) -> str:
    assert response.status_code == status, response.text
    body = response.json()
    assert body["code"] == str(status) and body["success"] is False
    message: str = body["message"]
    return message


def test_create_answers_the_one_time_password_once(harness: Harness, admin: dict[str, str]) -> None:
    created = harness.http.post(
        USERS,
        json={"email": " Ann@Example.com", "role": "member", "customer": "globex"},
        headers=admin,
    )
    assert created.status_code == 201, created.text
    assert created.headers["cache-control"] == "no-store"
    body = created.json()
    one_time = body.pop("oneTimePassword")
    assert len(one_time) >= 12
    assert body["email"] == "ann@example.com" and body["customer"] == "globex"
    assert body["role"] == "member" and body["mustChangePassword"] is True
    assert body["enabled"] is True and body["lastSignInAt"] is None
    assert harness.services.users.verify_sign_in("ann@example.com", one_time)

    listed = harness.http.get(USERS, headers=admin)
    assert listed.status_code == 200
    [item] = listed.json()["items"]
    assert "oneTimePassword" not in item and not any("hash" in key.lower() for key in item)
    assert one_time not in listed.text and "$argon2" not in listed.text
    assert item["lastSignInAt"] is not None

    chosen = harness.http.post(
        USERS,
        json={"email": "ops@example.com", "role": "operator", "password": GOOD},
        headers=admin,
    )
    assert chosen.status_code == 201, chosen.text
    assert chosen.json()["oneTimePassword"] is None
    assert chosen.json()["customer"] is None and chosen.json()["mustChangePassword"] is False
    assert harness.services.users.verify_sign_in("ops@example.com", GOOD)


@pytest.mark.parametrize(
    ("body", "words"),
    [
        ({"role": "member", "customer": "acme"}, "email: Field required"),
        ({"email": "ann@example.com"}, "role: Field required"),
        ({"email": "ann@example.com", "role": "operator", "extra": 1}, "extra: Extra inputs"),
        ({"email": 7, "role": "operator"}, "email: Input should be a valid string"),
        ({"email": "not an email", "role": "operator"}, "Invalid email 'not an email'"),
        ({"email": "ann@example.com", "role": "boss"}, "Invalid role 'boss'"),
        ({"email": "ann@example.com", "role": "member"}, "A member belongs to one customer"),
        (
            {"email": "ann@example.com", "role": "operator", "customer": "acme"},
            "leave out the customer",
        ),
        (
            {"email": "ann@example.com", "role": "member", "customer": "ghost"},
            "Unknown customer 'ghost'",
        ),
        (
            {"email": "ann@example.com", "role": "operator", "password": "hunter2"},
            "Invalid password: it has 7 characters: use 12 to 1024 characters.",
        ),
    ],
)
def test_bad_bodies_are_422_naming_the_field(
    harness: Harness, admin: dict[str, str], body: dict[str, Any], words: str
) -> None:
    message = error(harness.http.post(USERS, json=body, headers=admin), 422)
    assert words in message
    assert "hunter2" not in message
    with harness.services.engine.connect() as conn:
        assert conn.execute(select(users)).all() == []


def test_a_body_that_is_no_json_is_422(harness: Harness, admin: dict[str, str]) -> None:
    # Nesting deeper than the parser recurses was a 500.
    for body in (b"{email", b"\xff\xfe", b"[" * 100_000):
        answer = harness.http.post(
            USERS, content=body, headers={**admin, "content-type": "application/json"}
        )
        assert "not valid JSON" in error(answer, 422)


def test_a_taken_email_in_any_case_is_409(harness: Harness, admin: dict[str, str]) -> None:
    first = {"email": "ann@example.com", "role": "operator"}
    assert harness.http.post(USERS, json=first, headers=admin).status_code == 201
    again = {"email": "ANN@example.COM", "role": "member", "customer": "acme"}
    assert "already exists" in error(harness.http.post(USERS, json=again, headers=admin), 409)


def test_the_list_is_paginated_and_filtered_by_customer(
    harness: Harness, admin: dict[str, str]
) -> None:
    for email, customer in (("a@x.io", "acme"), ("b@x.io", "globex"), ("c@x.io", "acme")):
        harness.services.users.create(email, "member", customer, GOOD)
    first = harness.http.get(USERS, params={"limit": 2}, headers=admin).json()
    assert [u["email"] for u in first["items"]] == ["a@x.io", "b@x.io"]
    rest = harness.http.get(
        USERS, params={"limit": 2, "cursor": first["nextCursor"]}, headers=admin
    ).json()
    assert [u["email"] for u in rest["items"]] == ["c@x.io"] and rest["nextCursor"] is None
    acme = harness.http.get(USERS, params={"customer": "acme"}, headers=admin).json()
    assert [u["email"] for u in acme["items"]] == ["a@x.io", "c@x.io"]

    ghost = harness.http.get(USERS, params={"customer": "ghost"}, headers=admin)
    assert "No customer named 'ghost'" in error(ghost, 404)
    for params, words in (
        ({"limit": "x"}, "Invalid limit 'x'"),
        ({"limit": "0"}, "Invalid limit 0"),
        ({"cursor": "nope"}, "Invalid cursor"),
        ({"sort": "email"}, "Unexpected query parameter 'sort'"),
    ):
        assert words in error(harness.http.get(USERS, params=params, headers=admin), 400)


def test_disable_enable_and_reset_by_email_in_any_case(
    harness: Harness, admin: dict[str, str]
) -> None:
    harness.services.users.create("ann@example.com", "member", "globex", GOOD)
    disabled = harness.http.post(f"{USERS}/Ann@Example.com/disable", headers=admin)
    assert disabled.status_code == 200, disabled.text
    assert disabled.json()["enabled"] is False and disabled.json()["disabledAt"]
    with pytest.raises(SignInRefused, match="disabled"):
        harness.services.users.verify_sign_in("ann@example.com", GOOD)
    enabled = harness.http.post(f"{USERS}/ann%40example.com/enable", headers=admin)
    assert enabled.status_code == 200 and enabled.json()["enabled"] is True

    reset = harness.http.post(f"{USERS}/ann@example.com/reset-password", headers=admin)
    assert reset.status_code == 200, reset.text
    assert reset.headers["cache-control"] == "no-store"
    one_time = reset.json()["oneTimePassword"]
    assert reset.json()["mustChangePassword"] is True
    assert harness.services.users.verify_sign_in("ann@example.com", one_time)
    chosen = harness.http.post(
        f"{USERS}/ann@example.com/reset-password", json={"password": GOOD}, headers=admin
    )
    assert chosen.status_code == 200 and chosen.json()["oneTimePassword"] is None
    assert harness.services.users.verify_sign_in("ann@example.com", GOOD)
    short = harness.http.post(
        f"{USERS}/ann@example.com/reset-password", json={"password": "short"}, headers=admin
    )
    assert "use 12 to 1024 characters" in error(short, 422)

    for action in ("disable", "enable", "reset-password"):
        missing = harness.http.post(f"{USERS}/nobody@example.com/{action}", headers=admin)
        assert "No user with email 'nobody@example.com'" in error(missing, 404)


def test_changes_are_audited_with_the_client_and_request_id(
    harness: Harness, admin: dict[str, str]
) -> None:
    created = harness.http.post(
        USERS, json={"email": "ann@example.com", "role": "member", "customer": "globex"},
        headers=admin,
    )  # fmt: skip
    harness.http.post(f"{USERS}/ann@example.com/disable", headers=admin)
    harness.http.post(f"{USERS}/ann@example.com/disable", headers=admin)  # no change, no row
    harness.http.post(f"{USERS}/ann@example.com/enable", headers=admin)
    harness.http.post(f"{USERS}/ann@example.com/reset-password", headers=admin)
    entries = [
        e
        for e in AuditRepository(harness.services.engine).entries(AuditFilter(), 100, None)
        if e.action.startswith("user.")  # the fixture's customers and client have rows too
    ]
    client_id = next(c.client_id for c in harness.services.tenants.list_clients())
    assert [(e.actor, e.action, e.target, e.customer) for e in reversed(entries)] == [
        (client_id, "user.create", "ann@example.com", "globex"),
        (client_id, "user.disable", "ann@example.com", "globex"),
        (client_id, "user.enable", "ann@example.com", "globex"),
        (client_id, "user.reset_password", "ann@example.com", "globex"),
    ]
    assert entries[-1].request_id == created.headers["x-lz-request-id"]


def test_only_admin_tokens_are_served(harness: Harness, admin: dict[str, str]) -> None:
    harness.services.users.create("ann@example.com", "member", "acme", GOOD)
    integration = harness.auth(harness.new_client("acme"))  # every scope but admin
    calls = [
        ("GET", USERS, None),
        ("POST", USERS, {"email": "bob@example.com", "role": "operator"}),
        ("POST", f"{USERS}/ann@example.com/disable", None),
        ("POST", f"{USERS}/ann@example.com/enable", None),
        ("POST", f"{USERS}/ann@example.com/reset-password", None),
    ]
    for method, path, body in calls:
        assert harness.http.request(method, path, json=body).status_code == 401, path
        refused = harness.http.request(method, path, json=body, headers=integration)
        assert "'admin' scope" in error(refused, 403), path
    assert harness.services.users.get("ann@example.com").enabled
    assert [u.email for u in harness.services.users.list_all()] == ["ann@example.com"]


def test_a_wrong_method_names_every_method_of_the_path(
    harness: Harness, admin: dict[str, str]
) -> None:
    # Two routes share /admin/v1/users; Starlette alone would name only the first one's.
    refused = harness.http.request("DELETE", USERS, headers=admin)
    assert refused.headers["allow"] == "GET, POST"
    assert error(refused, 405).endswith("Use GET, POST.")
    one = harness.http.get(f"{USERS}/ann@example.com/disable", headers=admin)
    assert one.headers["allow"] == "POST"


def test_a_literal_path_is_not_confused_with_a_template(sqlite_harness: Harness) -> None:
    # GET /analytics/files/{id} also matches the path, but the path is the upload route's.
    refused = sqlite_harness.http.request("OPTIONS", "/analytics/files/upload")
    assert refused.status_code == 405 and refused.headers["allow"] == "POST"
