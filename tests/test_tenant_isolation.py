"""Tenant isolation of every route (SPEC §9, issue 14): another customer's id is a 404.

The routes are read from the app itself (its route table and its OpenAPI document), so a
route added later is either classified in ``ROUTES`` below or fails
``test_every_route_is_classified``. Each classification is checked on SQLite and PostgreSQL:

- ``Owned``: a customer's route naming something a customer owns (an app, a pushed file, a
  Files API file, a processing token). Customer A gets its own resource; customer B asking for
  A's gets a 404 whose body is the one an id that never existed gets (the id aside), so the
  answer tells B nothing, not even that the id exists.
- ``Operator``: an ``/admin/v1`` route. A customer's token is refused (403, insufficient
  scope), even for the customer's own ids; an operator gets a 404 for a name or id that does
  not exist.
- ``Unchecked``: names nothing a customer owns; the reason says why, and where the route's
  tenant rules are tested instead.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, replace
from typing import Any
from urllib.parse import quote

import httpx
import pytest
from sqlalchemy import func, select

from landingzone.db.tables import clients
from tests.conftest import Credentials, Harness
from tests.pipeline.test_pipeline import HEADER, tx

PUSH = "/services/push/v1/customer/apps"
SUBMISSION = "Reference,StartDate,StartTime,EndDate,EndTime\r\nU1,12/05/2024,09:00,12/05/2024,17:00"
# HEAD answers as GET does (the same handler): checking GET checks both.
METHODS = {"GET", "POST", "PUT", "PATCH", "DELETE"}


@dataclass(frozen=True)
class Ids:
    """The customer-owned names one request can carry; a ghost's never existed."""

    customer: str
    app: str
    shared_app: str  # an app id both customers have: the same name, two apps
    object_name: str
    object_id: str
    file_id: str
    token: str
    client_id: str
    email: str


@dataclass(frozen=True)
class Call:
    method: str
    url: str
    params: dict[str, str] | None = None
    json: Any = None


@dataclass(frozen=True)
class Owned:
    call: Callable[[Ids, Credentials], Call]
    # What the owner gets for its own resource: the proof that B asked for a real one.
    owner_status: int = 200


@dataclass(frozen=True)
class Operator:
    call: Callable[[Ids], Call]
    # Whether the route names a customer, app, file, object, client, user or dataset type
    # (in its path or a filter) that an operator gets a 404 for when it does not exist.
    names_something: bool = True


@dataclass(frozen=True)
class Unchecked:
    reason: str


Kind = Owned | Operator | Unchecked


def get(url: str, **params: str) -> Call:
    return Call("GET", url, params or None)


def post(url: str, body: Any = None) -> Call:
    return Call("POST", url, json=body if body is not None else {})


def content(ids: Ids, app: str) -> str:
    return f"{PUSH}/{app}/files/{quote(ids.object_name, safe='')}/content"


ROUTES: dict[str, Kind] = {
    # -- customer routes that name what a customer owns ---------------------------------------
    f"GET {PUSH}/{{appId}}/upload": Owned(
        lambda i, _: get(f"{PUSH}/{i.app}/upload", filenames="new.csv")
    ),
    f"GET {PUSH}/{{appId}}/files": Owned(lambda i, _: get(f"{PUSH}/{i.app}/files")),
    f"GET {PUSH}/{{appId}}/files/{{fileName}}/content": Owned(lambda i, _: get(content(i, i.app))),
    "GET /analytics/files/{id}": Owned(lambda i, _: get(f"/analytics/files/{i.file_id}")),
    "GET /analytics/files/{id}/errors": Owned(
        lambda i, _: get(f"/analytics/files/{i.file_id}/errors", format="csv")
    ),
    "GET /analytics/files/{id}/content": Owned(
        lambda i, _: get(f"/analytics/files/{i.file_id}/content")
    ),
    # Retraction (issue 14 point 4): B's DELETE of A's file is a 404 and A's file stays.
    "DELETE /analytics/files/{id}": Owned(
        lambda i, _: Call("DELETE", f"/analytics/files/{i.file_id}"), owner_status=0
    ),
    # `key` is the caller's own API key (a credential, not the target): B sends its own.
    "GET /GetResults": Owned(
        lambda i, me: get("/GetResults", token=i.token, dataKey="status", key=me.api_key)
    ),
    "GET /api/GetResults": Owned(
        lambda i, me: get("/api/GetResults", token=i.token, dataKey="status", key=me.api_key)
    ),
    # -- customer routes that name nothing a customer owns ------------------------------------
    "POST /oauth2/token": Unchecked("takes the caller's own credentials only (tests/test_oauth)"),
    "POST /connect/token": Unchecked("alias of /oauth2/token (tests/test_oauth)"),
    "POST /analytics/files/upload": Unchecked(
        "creates a file of the caller's customer; a `replaces` id in the body is checked by "
        "replacing_another_customers_file_is_as_unknown"
    ),
    "GET /analytics/files": Unchecked(
        "the caller's own files: listings_never_show_another_customers_items"
    ),
    "GET /analytics/datasets/{datasetType}/summary": Unchecked(
        "dataset types are shared by every customer; the summary is the caller's own: "
        "listings_never_show_another_customers_items"
    ),
    "POST /UploadData": Unchecked("creates a submission of the caller's customer"),
    "POST /api/UploadData": Unchecked("alias of /UploadData"),
    "PUT /o/{key}": Unchecked(
        "the signed upload URL is the capability; a URL re-pointed at another customer's key "
        "fails its signature: a_signed_url_cannot_be_re_pointed_at_another_customer"
    ),
    "GET /healthz": Unchecked("public, names nothing"),
    "GET /readyz": Unchecked("public, names nothing"),
    "GET /openapi.json": Unchecked("public description of the API"),
    "GET /docs": Unchecked("public API pages"),
    "GET /docs/oauth2-redirect": Unchecked("public API pages"),
    "* /docs/assets": Unchecked("static files of the API pages"),
    "GET /docs/assets/redoc.standalone.js": Unchecked("the API pages' ReDoc bundle (api/docs.py)"),
    "GET /redoc": Unchecked("public API pages"),
    # -- operators' routes ---------------------------------------------------------------------
    "GET /admin/v1/customers": Operator(lambda i: get("/admin/v1/customers"), False),
    "POST /admin/v1/customers": Operator(
        lambda i: post("/admin/v1/customers", {"name": "newco"}), False
    ),
    "GET /admin/v1/customers/{name}": Operator(lambda i: get(f"/admin/v1/customers/{i.customer}")),
    "PATCH /admin/v1/customers/{name}": Operator(
        lambda i: Call("PATCH", f"/admin/v1/customers/{i.customer}", json={"disabled": True})
    ),
    "GET /admin/v1/customers/{name}/apps": Operator(
        lambda i: get(f"/admin/v1/customers/{i.customer}/apps")
    ),
    "POST /admin/v1/customers/{name}/apps": Operator(
        lambda i: post(f"/admin/v1/customers/{i.customer}/apps", {"appId": "newApp"})
    ),
    "GET /admin/v1/customers/{name}/clients": Operator(
        lambda i: get(f"/admin/v1/customers/{i.customer}/clients")
    ),
    "POST /admin/v1/customers/{name}/clients": Operator(
        lambda i: post(f"/admin/v1/customers/{i.customer}/clients", {"label": "new"})
    ),
    "GET /admin/v1/clients": Operator(lambda i: get("/admin/v1/clients"), False),
    "POST /admin/v1/clients": Operator(lambda i: post("/admin/v1/clients", {"label": "x"}), False),
    "POST /admin/v1/clients/{clientId}/disable": Operator(
        lambda i: post(f"/admin/v1/clients/{i.client_id}/disable")
    ),
    "POST /admin/v1/clients/{clientId}/enable": Operator(
        lambda i: post(f"/admin/v1/clients/{i.client_id}/enable")
    ),
    "POST /admin/v1/clients/{clientId}/rotate": Operator(
        lambda i: post(f"/admin/v1/clients/{i.client_id}/rotate")
    ),
    "GET /admin/v1/users": Operator(lambda i: get("/admin/v1/users", customer=i.customer)),
    # An unknown customer in the body is a 422 naming the field (tests/test_admin_users_api).
    "POST /admin/v1/users": Operator(
        lambda i: post(
            "/admin/v1/users",
            {"email": "new@example.com", "role": "member", "customer": i.customer},
        ),
        False,
    ),
    "POST /admin/v1/users/{email}/disable": Operator(
        lambda i: post(f"/admin/v1/users/{i.email}/disable")
    ),
    "POST /admin/v1/users/{email}/enable": Operator(
        lambda i: post(f"/admin/v1/users/{i.email}/enable")
    ),
    "POST /admin/v1/users/{email}/reset-password": Operator(
        lambda i: post(f"/admin/v1/users/{i.email}/reset-password")
    ),
    "GET /admin/v1/datasets": Operator(lambda i: get("/admin/v1/datasets"), False),
    "POST /admin/v1/datasets": Operator(lambda i: post("/admin/v1/datasets", {}), False),
    # Dataset types are the operator's catalogue, not a customer's: the unknown one is a 404.
    "GET /admin/v1/datasets/{name}": Operator(lambda i: get(f"/admin/v1/datasets/{i.app}")),
    "GET /admin/v1/files": Operator(lambda i: get("/admin/v1/files", customer=i.customer)),
    "GET /admin/v1/files/{id}": Operator(lambda i: get(f"/admin/v1/files/{i.file_id}")),
    "POST /admin/v1/files/{id}/retry": Operator(
        lambda i: post(f"/admin/v1/files/{i.file_id}/retry")
    ),
    "DELETE /admin/v1/files/{id}": Operator(
        lambda i: Call("DELETE", f"/admin/v1/files/{i.file_id}")
    ),
    "GET /admin/v1/files/{id}/content": Operator(
        lambda i: get(f"/admin/v1/files/{i.file_id}/content")
    ),
    "GET /admin/v1/objects": Operator(
        lambda i: get("/admin/v1/objects", customer=i.customer, app=i.app)
    ),
    "GET /admin/v1/objects/{id}/content": Operator(
        lambda i: get(f"/admin/v1/objects/{i.object_id}/content")
    ),
    "GET /admin/v1/submissions": Operator(
        lambda i: get("/admin/v1/submissions", customer=i.customer)
    ),
    "GET /admin/v1/audit": Operator(lambda i: get("/admin/v1/audit", customer=i.customer)),
}
# Routes classified before they are served: checked once they exist, and not reported
# as stale entries meanwhile.
PLANNED: set[str] = set()


# -- the route table ---------------------------------------------------------------------------


def route_table(routes: Iterable[Any], prefix: str = "") -> Iterator[str]:
    """``METHOD path`` of every route, also inside the included routers of newer FastAPI;
    a mount (static files) is ``* path``."""
    for route in routes:
        original = getattr(route, "original_router", None)
        if original is not None:
            include_prefix = getattr(getattr(route, "include_context", None), "prefix", "") or ""
            yield from route_table(original.routes, prefix + include_prefix)
            continue
        path = getattr(route, "path", None)
        if not isinstance(path, str):
            continue
        methods = getattr(route, "methods", None)
        if methods is None:
            yield f"* {prefix}{path}"
        else:
            yield from (f"{method} {prefix}{path}" for method in sorted(methods & METHODS))


def served_routes(harness: Harness) -> set[str]:
    """Every route the app answers: its route table, and the OpenAPI document, which also
    describes the routes the ASGI layer serves outside FastAPI (the object endpoint)."""
    api = harness.http.app.api  # type: ignore[attr-defined]
    served = set(route_table(api.routes))
    document = harness.http.get("/openapi.json").json()
    served |= {
        f"{method.upper()} {path}"
        for path, item in document["paths"].items()
        for method in item
        if method.upper() in METHODS
    }
    return served


def test_every_route_is_classified(sqlite_harness: Harness) -> None:
    served = served_routes(sqlite_harness)
    assert "GET /analytics/files/{id}" in served and "PUT /o/{key}" in served, served
    unclassified = sorted(served - set(ROUTES))
    assert not unclassified, (
        f"Routes without a tenant-isolation class: {unclassified}. Add each to ROUTES in "
        "tests/test_tenant_isolation.py: Owned(...) if it names something a customer owns "
        "(another customer's id must be a 404), Operator(...) if it is under /admin/v1, or "
        "Unchecked('why') saying why it names nothing a customer owns."
    )
    stale = sorted(set(ROUTES) - served - PLANNED)
    assert not stale, f"ROUTES classifies routes the app does not serve: {stale}"


# -- two customers with something of each kind --------------------------------------------------


@dataclass
class World:
    harness: Harness
    a: Credentials
    b: Credentials
    a_headers: dict[str, str]
    b_headers: dict[str, str]
    a_ids: Ids
    b_ids: Ids
    ghost: Ids
    secrets: list[str]  # what of A's must never reach B: names, bytes, hashes


def push(harness: Harness, headers: dict[str, str], app: str, name: str, body: bytes) -> None:
    urls = harness.http.get(f"{PUSH}/{app}/upload", params={"filenames": name}, headers=headers)
    assert urls.status_code == 200, urls.text
    assert harness.http.put(urls.json()[name], content=body).status_code == 200


def stored_bytes(customer: str) -> bytes:
    """One valid transactions row, naming its customer in a cell."""
    return (HEADER + tx(1, ref=f"{customer}-bytes")).encode()


def seed_customer(
    harness: Harness, name: str, app: str, shared_app: str
) -> tuple[Credentials, Ids]:
    """A customer with an app of its own, an app named as the other's, a pushed file in each,
    a Files API file with bytes, an Upload API submission and a portal user."""
    creds = harness.tenant(name, app)
    harness.services.admin.create_app(name, shared_app)
    headers = harness.auth(creds)
    object_name = f"{name}-secret.csv"
    body = stored_bytes(name)
    push(harness, headers, app, object_name, body)
    push(harness, headers, shared_app, object_name, body)
    created = harness.http.post(
        "/analytics/files/upload",
        json={"datasetType": "transactions", "file": {"name": f"{name}-tx.csv", "type": "csv"}},
        headers=headers,
    )
    assert created.status_code == 201, created.text
    file_id = created.json()["id"]
    assert harness.http.put(created.json()["uploadUrl"], content=body).status_code == 200
    submitted = harness.http.post(
        "/UploadData",
        json={"Name": f"{name}-submission", "Data": SUBMISSION, "Key": creds.api_key},
        headers=headers,
    )
    assert submitted.status_code == 200, submitted.text
    ops = harness.operator_auth(f"seed-{name}")
    objects = harness.http.get(
        "/admin/v1/objects", params={"customer": name, "app": app}, headers=ops
    ).json()["items"]
    ids = Ids(
        customer=name,
        app=app,
        shared_app=shared_app,
        object_name=object_name,
        object_id=str(objects[0]["id"]),
        file_id=file_id,
        token=submitted.json(),
        client_id=creds.client_id,
        email=f"someone@{name}.example",  # a portal user: add_users makes it
    )
    return creds, ids


@pytest.fixture
def world(harness: Harness) -> World:
    harness.services.datasets.install_shipped()
    a, a_ids = seed_customer(harness, "acme", "acmeApp", "shared")
    b, b_ids = seed_customer(harness, "beta", "betaApp", "shared")
    ghost = Ids(
        customer="ghostco",
        app="ghostApp",
        shared_app="shared",
        object_name="ghost-secret.csv",
        object_id="999999999",
        file_id="00000000-0000-4000-8000-000000000000",
        token="00000000-0000-4000-8000-000000000001",
        client_id="ghost-client-id",
        email="nobody@ghost.example",
    )
    # Only what B never sends: the ids B asks with come back in messages, as a ghost's do.
    secrets = ["acme-tx", "acme-bytes", "acme-submission",
               hashlib.sha256(stored_bytes("acme")).hexdigest()]  # fmt: skip
    return World(harness, a, b, harness.auth(a), harness.auth(b), a_ids, b_ids, ghost, secrets)


def send(harness: Harness, call: Call, headers: dict[str, str]) -> httpx.Response:
    answer: httpx.Response = harness.http.request(
        call.method,
        call.url,
        params=call.params,
        json=call.json if call.method not in ("GET", "DELETE") else None,
        headers=headers,
        follow_redirects=False,
    )
    return answer


def with_ghost_values(text: str, real: Ids, ghost: Ids) -> str:
    """B's answer about A's resource, with A's ids swapped for the ghost's: what it would be
    if it did not tell A's resource from one that never existed."""
    for field in ("file_id", "token", "object_name", "app", "object_id"):
        text = text.replace(getattr(real, field), getattr(ghost, field))
        text = text.replace(quote(getattr(real, field), safe=""), getattr(ghost, field))
    return text


def owned_routes(served: set[str]) -> list[tuple[str, Owned]]:
    return [(route, kind) for route, kind in ROUTES.items() if isinstance(kind, Owned)
            and route in served]  # fmt: skip


def test_another_customers_resource_is_a_404_that_tells_nothing(world: World) -> None:
    """Every Owned route, then the two ways a body or URL can name A's things: a re-pointed
    signed URL and ``replaces``. One seeded world for all: the seeding is what costs."""
    another_customers_ids_are_404s(world)
    a_signed_url_cannot_be_re_pointed_at_another_customer(world)
    replacing_another_customers_file_is_as_unknown(world)
    idempotency_keys_are_per_customer(world)


def another_customers_ids_are_404s(world: World) -> None:
    harness = world.harness
    served = served_routes(harness)
    checked = owned_routes(served)
    assert len(checked) >= 8, checked
    # A pushed file in the app both customers call "shared": the name is the same, the app
    # is not, so B asking for A's file there must not find it either.
    in_shared = replace(world.a_ids, app=world.a_ids.shared_app)
    ghost_in_shared = replace(world.ghost, app="shared")
    for route, kind in checked:
        for real, ghost in ((world.a_ids, world.ghost), (in_shared, ghost_in_shared)):
            # B's own "shared" app answers B's upload and listing; only A's file in it is A's.
            if real is in_shared and "{fileName}" not in route:
                continue
            mine = kind.call(real, world.a)
            if kind.owner_status:
                owner = send(harness, mine, world.a_headers)
                assert owner.status_code == kind.owner_status, (route, owner.text)
            theirs = send(harness, kind.call(real, world.b), world.b_headers)
            assert theirs.status_code == 404, (route, real.app, theirs.status_code, theirs.text)
            for secret in world.secrets:
                assert secret not in theirs.text, (route, secret, theirs.text)
            never = send(harness, kind.call(ghost, world.b), world.b_headers)
            assert never.status_code == 404, (route, never.text)
            assert with_ghost_values(theirs.text, real, ghost) == never.text, route
            assert theirs.headers.get("location") is None, route

    # Nothing B did reached A's things: A's file is still there with its bytes, and no
    # download was audited for B.
    own = harness.http.get(f"/analytics/files/{world.a_ids.file_id}/content",
                           headers=world.a_headers)  # fmt: skip
    assert own.status_code == 200 and b"acme-bytes" in own.content
    listed = harness.http.get(f"{PUSH}/shared/files", headers=world.a_headers).json()
    assert [f["name"] for f in listed["files"]] == ["acme-secret.csv"]
    ops = harness.operator_auth("audit-reader")
    audit = harness.http.get(
        "/admin/v1/audit", params={"customer": "beta", "action": "object.download"}, headers=ops
    ).json()["items"]
    assert audit == []


def add_users(world: World) -> None:
    """A portal user of each customer (Argon2id hashing costs: only where users are read)."""
    ops = world.harness.operator_auth("users")
    for ids in (world.a_ids, world.b_ids):
        made = world.harness.http.post(
            "/admin/v1/users",
            json={"email": ids.email, "role": "member", "customer": ids.customer},
            headers=ops,
        )
        assert made.status_code == 201, made.text


def test_operator_routes_and_every_listing(world: World) -> None:
    add_users(world)
    operator_routes_refuse_customers_and_404_unknown_names(world)
    listings_never_show_another_customers_items(world)


def operator_routes_refuse_customers_and_404_unknown_names(world: World) -> None:
    harness = world.harness
    served = served_routes(harness)
    operator_routes = [(r, k) for r, k in ROUTES.items() if isinstance(k, Operator) and r in served]
    assert len(operator_routes) >= 25
    assert all(r.split(" ")[1].startswith("/admin/v1/") for r, _ in operator_routes)
    assert not [r for r in served if "/admin/" in r and not isinstance(ROUTES.get(r), Operator)]
    ops = harness.operator_auth("checker")
    for route, kind in operator_routes:
        # A customer's token, even for the customer's own names and ids: 403, nothing done.
        refused = send(harness, kind.call(world.a_ids), world.a_headers)
        assert refused.status_code == 403, (route, refused.text)
        body = refused.json()
        assert (body["code"], body["success"]) == ("403", False), route
        assert "'admin' scope" in body["message"], route
        assert 'error="insufficient_scope"' in refused.headers["www-authenticate"], route
        if kind.names_something:
            unknown = send(harness, kind.call(world.ghost), ops)
            assert unknown.status_code == 404, (route, unknown.text)
            assert unknown.json()["success"] is False, route

    # The customer's refused calls changed nothing: A's client was not disabled or rotated
    # (its secret still gets a token), no customer, app, client or user was made.
    assert harness.auth(world.a)["Authorization"].startswith("Bearer ")
    assert harness.http.get("/analytics/files", headers=world.a_headers).status_code == 200
    customers = harness.http.get("/admin/v1/customers", headers=ops).json()["items"]
    assert [c["name"] for c in customers] == ["acme", "beta"]
    assert not any(c["disabled"] for c in customers)
    apps = harness.http.get("/admin/v1/customers/acme/apps", headers=ops).json()["items"]
    assert sorted(a["appId"] for a in apps) == ["acmeApp", "shared"]
    users = harness.http.get("/admin/v1/users", params={"customer": "acme"}, headers=ops).json()
    assert [u["email"] for u in users["items"]] == ["someone@acme.example"]
    assert all(u["enabled"] for u in users["items"]), users
    with harness.services.engine.connect() as conn:
        customer_clients = conn.execute(
            select(func.count()).select_from(clients).where(clients.c.customer_id.is_not(None))
        ).scalar_one()
    assert customer_clients == 2  # acme's and beta's own
    operators = harness.http.get("/admin/v1/clients", headers=ops).json()["items"]
    assert sorted(c["label"] for c in operators) == ["checker", "seed-acme", "seed-beta", "users"]


def listings_never_show_another_customers_items(world: World) -> None:
    harness = world.harness
    http = harness.http
    a, b = world.a_headers, world.b_headers
    # The customer's own listings.
    a_files = http.get("/analytics/files", headers=a).json()["files"]
    b_files = http.get("/analytics/files", headers=b).json()["files"]
    assert [f["id"] for f in a_files] == [world.a_ids.file_id]
    assert [f["id"] for f in b_files] == [world.b_ids.file_id]
    assert (
        http.get("/analytics/files", params={"limit": "1"}, headers=b).json()["nextCursor"] is None
    )
    for headers, ids in ((a, world.a_ids), (b, world.b_ids)):
        for app in (ids.app, ids.shared_app):
            listed = http.get(f"{PUSH}/{app}/files", headers=headers).json()["files"]
            assert [f["name"] for f in listed] == [ids.object_name], (ids.customer, app)
    # A's cursor in B's hands pages through B's items, never A's.
    for path in ("/analytics/files", f"{PUSH}/shared/files"):
        if path == "/analytics/files":
            extra = http.post(
                path + "/upload",
                json={
                    "datasetType": "transactions",
                    "file": {"name": "acme-tx2.csv", "type": "csv"},
                },
                headers=a,
            )
            assert extra.status_code == 201, extra.text
        else:
            push(harness, a, "shared", "acme-secret2.csv", b"acme-bytes again\n")
        cursor = http.get(path, params={"limit": "1"}, headers=a).json()["nextCursor"]
        assert cursor, path
        theirs = http.get(path, params={"limit": "10", "cursor": cursor}, headers=b)
        assert theirs.status_code in (200, 400), (path, theirs.text)
        assert "acme" not in theirs.text, (path, theirs.text)

    # A Completed file of A's counts in A's summary only.
    runner = harness.services.pipeline()
    while runner.run_once():
        pass
    assert http.get(f"/analytics/files/{world.a_ids.file_id}", headers=a).json()["status"] == (
        "Completed"
    )
    summary = "/analytics/datasets/transactions/summary"
    a_summary = http.get(summary, headers=a).json()
    b_summary = http.get(summary, headers=b).json()
    assert [f["id"] for f in a_summary["files"]] == [world.a_ids.file_id]  # not the Pending one
    assert [f["id"] for f in b_summary["files"]] == [world.b_ids.file_id]
    assert a_summary["totalRows"] == b_summary["totalRows"] == 1
    for secret in world.secrets:
        assert secret not in str(b_summary) and secret not in str(b_files)

    # The operators' listings filtered by customer show that customer's items only.
    ops = harness.operator_auth("lister")
    for path, key in (
        ("/admin/v1/files", "customer"),
        ("/admin/v1/objects", "customer"),
        ("/admin/v1/submissions", "customer"),
        ("/admin/v1/users", "customer"),
        ("/admin/v1/audit", "customer"),
    ):
        items = http.get(path, params={"customer": "beta", "limit": "200"}, headers=ops).json()
        assert items["items"], path
        owners = {item[key] for item in items["items"]}
        assert owners == {"beta"}, (path, owners)
    for what, key in (("apps", "customer"), ("clients", "customer")):
        items = http.get(f"/admin/v1/customers/beta/{what}", headers=ops).json()["items"]
        assert {item[key] for item in items} == {"beta"}, what
    objects = http.get(
        "/admin/v1/objects", params={"customer": "beta", "app": "shared"}, headers=ops
    ).json()["items"]
    assert [(o["customer"], o["app"], o["name"]) for o in objects] == [
        ("beta", "shared", "beta-secret.csv")
    ]


def a_signed_url_cannot_be_re_pointed_at_another_customer(world: World) -> None:
    harness = world.harness
    urls = harness.http.get(
        f"{PUSH}/betaApp/upload", params={"filenames": "x.csv"}, headers=world.b_headers
    ).json()
    url = urls["x.csv"]
    re_pointed = url.replace("/beta/betaApp/x.csv", "/acme/acmeApp/acme-secret.csv")
    assert re_pointed != url
    refused = harness.http.put(re_pointed, content=b"overwritten by beta")
    assert refused.status_code == 403, refused.text
    own = harness.http.get(f"{PUSH}/acmeApp/files/acme-secret.csv/content", headers=world.a_headers)
    assert b"acme-bytes" in own.content
    listed = harness.http.get(f"{PUSH}/acmeApp/files", headers=world.a_headers).json()["files"]
    assert [f["version"] for f in listed] == [1]


def replacing_another_customers_file_is_as_unknown(world: World) -> None:
    """``replaces`` names a file in the body: another customer's answers exactly as an id
    that never existed (422 naming the field, as for any bad body field), and nothing is
    created."""
    harness = world.harness
    answers = []
    for replaces in (world.a_ids.file_id, world.ghost.file_id):
        answer = harness.http.post(
            "/analytics/files/upload",
            json={
                "datasetType": "transactions",
                "file": {"name": "fix.csv", "type": "csv"},
                "replaces": replaces,
            },
            headers=world.b_headers,
        )
        assert answer.status_code == 422, answer.text
        assert "acme" not in answer.text
        answers.append(answer.json()["message"].replace(replaces, "ID"))
    assert answers[0] == answers[1] == "Invalid replaces: no file with id 'ID'."
    files = harness.http.get("/analytics/files", headers=world.b_headers).json()["files"]
    assert [f["id"] for f in files] == [world.b_ids.file_id]


def idempotency_keys_are_per_customer(world: World) -> None:
    """``Idempotency-Key`` (issue 14 point 4): B sending the key A used gets its own answer,
    never A's replayed (nor a 422 for "the same key with another body"). Checked on each
    route as soon as the OpenAPI document describes the header there."""
    harness = world.harness
    document = harness.http.get("/openapi.json").json()
    requests: dict[str, Callable[[Credentials], dict[str, Any]]] = {
        "/analytics/files/upload": lambda me: {
            "datasetType": "transactions",
            "file": {"name": f"{me.customer}-again.csv", "type": "csv"},
        },
        "/UploadData": lambda me: {
            "Name": f"{me.customer}-again",
            "Data": SUBMISSION,
            "Key": me.api_key,
        },
    }
    for path, body in requests.items():
        parameters = document["paths"][path]["post"].get("parameters", [])
        if not any(p["name"].lower() == "idempotency-key" for p in parameters):
            continue  # not built yet
        key = {"Idempotency-Key": f"shared-key-{path.strip('/').replace('/', '-')}"}
        first = harness.http.post(path, json=body(world.a), headers={**world.a_headers, **key})
        assert first.status_code in (200, 201), (path, first.text)
        theirs = harness.http.post(path, json=body(world.b), headers={**world.b_headers, **key})
        assert theirs.status_code == first.status_code, (path, theirs.text)
        assert theirs.json() != first.json(), path
        assert "acme" not in theirs.text, (path, theirs.text)
