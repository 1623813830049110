"""The admin API's catalog (SPEC §9): dataset types, every customer's files and submissions.

On SQLite and PostgreSQL: listings across customers with filters and keyset pages, a
file read as its customer reads it plus ``customer``, the retry of a Failed file (and
its fresh attempt budget), and the audit rows of ``dataset.add`` and ``file.retry``.
"""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select, update

from landingzone.db.tables import audit_log, files
from landingzone.timeutil import iso_z, utcnow
from tests.conftest import Harness
from tests.pipeline.test_pipeline import HEADER, tx, upload
from tests.test_upload_api import Uploader

INVOICES: dict[str, Any] = {"name": "invoices", "schema": {"fields": [{"name": "id"}]}}
BAD_ROWS = HEADER + tx(1) + tx(2, amount="ten") + tx(3, status="lost") + tx(4)


def operator_headers(harness: Harness) -> dict[str, str]:
    """An operator client's admin token."""
    return harness.operator_auth()


def customer_headers(harness: Harness, customer: str) -> dict[str, str]:
    harness.services.datasets.install_shipped()
    return harness.auth(harness.tenant(customer))


def audit_rows(harness: Harness, action: str) -> list[Any]:
    with harness.services.engine.connect() as conn:
        return list(
            conn.execute(
                select(audit_log).where(audit_log.c.action == action).order_by(audit_log.c.id)
            )
        )


def error_of(response: Any, status: int) -> str:
    assert response.status_code == status, response.text
    body = response.json()
    assert body["code"] == str(status) and body["success"] is False
    message: str = body["message"]
    return message


# -- who may call ---------------------------------------------------------------------------

ROUTES = [
    ("get", "/admin/v1/datasets"),
    ("post", "/admin/v1/datasets"),
    ("get", "/admin/v1/datasets/transactions"),
    ("get", "/admin/v1/files"),
    ("get", "/admin/v1/files/some-id"),
    ("post", "/admin/v1/files/some-id/retry"),
    ("get", "/admin/v1/submissions"),
]


@pytest.mark.parametrize(("method", "path"), ROUTES)
def test_a_customer_token_is_refused_on_every_admin_route(
    sqlite_harness: Harness, method: str, path: str
) -> None:
    headers = customer_headers(sqlite_harness, "acme")
    body = {"json": INVOICES} if method == "post" else {}
    refused = sqlite_harness.http.request(method, path, headers=headers, **body)
    assert "'admin' scope" in error_of(refused, 403)
    assert 'error="insufficient_scope"' in refused.headers["www-authenticate"]
    anonymous = sqlite_harness.http.request(method, path)
    error_of(anonymous, 401)
    assert sqlite_harness.services.dataset_repo.latest("invoices") is None


# -- dataset types ----------------------------------------------------------------------------


def test_dataset_types_are_listed_added_versioned_and_audited(harness: Harness) -> None:
    harness.services.datasets.install_shipped()
    admin = operator_headers(harness)
    http = harness.http
    listed = http.get("/admin/v1/datasets", headers=admin).json()
    assert listed["nextCursor"] is None
    assert "transactions" in [d["name"] for d in listed["items"]]
    shipped = len(audit_rows(harness, "dataset.add"))
    assert shipped == len(listed["items"])  # `serve` installs them as the CLI

    added = http.post("/admin/v1/datasets", json=INVOICES, headers=admin)
    assert added.status_code == 201, added.text
    assert added.headers["location"] == "/admin/v1/datasets/invoices"
    body = added.json()
    assert (body["name"], body["version"], body["fields"]) == ("invoices", 1, 1)
    assert body["definition"]["schema"]["fields"][0]["name"] == "id"

    # The same definition again (keys reordered, whitespace aside): nothing new to store.
    again = http.post(
        "/admin/v1/datasets",
        content=json.dumps({"schema": INVOICES["schema"], "name": "invoices"}, indent=4),
        headers={**admin, "content-type": "application/json"},
    )
    assert "version 1 is already this definition" in error_of(again, 409)

    changed = {**INVOICES, "maxBadRecords": 5}
    second = http.post("/admin/v1/datasets", json=changed, headers=admin)
    assert second.status_code == 201 and second.json()["version"] == 2

    shown = http.get("/admin/v1/datasets/invoices", headers=admin).json()
    assert (shown["version"], shown["maxBadRecords"]) == (2, 5)
    assert [v["version"] for v in shown["versions"]] == [2, 1]
    assert shown["versions"][1]["definition"]["maxBadRecords"] == 0
    listed = http.get("/admin/v1/datasets", headers=admin).json()["items"]
    assert [d["version"] for d in listed if d["name"] == "invoices"] == [2]
    names, cursor = [], None
    while True:
        params = {"limit": "2", **({"cursor": cursor} if cursor else {})}
        page = http.get("/admin/v1/datasets", params=params, headers=admin).json()
        names += [d["name"] for d in page["items"]]
        cursor = page["nextCursor"]
        if cursor is None:
            break
    assert names == sorted(d["name"] for d in listed) and len(names) == 6
    bad_cursor = http.get("/admin/v1/datasets", params={"cursor": "eA"}, headers=admin)
    assert "Invalid cursor" in error_of(bad_cursor, 400)

    rows = audit_rows(harness, "dataset.add")[shipped:]
    operator_client = rows[0].actor
    assert [(r.target, r.customer_id, r.outcome) for r in rows] == [
        ("invoices", None, "ok"),
        ("invoices", None, "ok"),
    ]
    assert operator_client not in ("cli", "") and all(r.request_id for r in rows)


def test_a_bad_definition_is_a_422_naming_the_field_and_stores_nothing(
    harness: Harness,
) -> None:
    admin = operator_headers(harness)
    broken = {
        "name": "bad",
        "schema": {
            "fields": [{"name": "amount", "type": "number", "constraints": {"minLength": 2}}]
        },
    }
    message = error_of(harness.http.post("/admin/v1/datasets", json=broken, headers=admin), 422)
    assert "schema.fields[0] (amount)" in message and "string fields" in message
    not_json = harness.http.post(
        "/admin/v1/datasets",
        content=b"{name: bad",
        headers={**admin, "content-type": "application/json"},
    )
    assert "not valid JSON" in error_of(not_json, 422)
    # Found by schemathesis: bytes that are no text were a 500, and so was deep nesting.
    for body in (b"-J\x9a8\xf0\xff\x1e", b"[" * 100_000):
        answer = harness.http.post(
            "/admin/v1/datasets",
            content=body,
            headers={**admin, "content-type": "application/json"},
        )
        assert "not valid JSON" in error_of(answer, 422)
    missing = harness.http.get("/admin/v1/datasets/bad", headers=admin)
    assert "No dataset type named 'bad'" in error_of(missing, 404)
    assert audit_rows(harness, "dataset.add") == []


# -- files ------------------------------------------------------------------------------------


def test_files_of_every_customer_are_listed_newest_first_with_filters_and_pages(
    harness: Harness,
) -> None:
    acme = customer_headers(harness, "acme")
    globex = customer_headers(harness, "globex")
    admin = operator_headers(harness)
    http = harness.http
    ids = []
    for i in range(5):
        headers = acme if i % 2 == 0 else globex
        created = http.post(
            "/analytics/files/upload",
            json={"datasetType": "transactions", "file": {"name": f"f{i}.csv", "type": "csv"}},
            headers=headers,
        )
        ids.append(created.json()["id"])
    failed = upload(harness, acme, BAD_ROWS)
    harness.services.pipeline().run_once()
    ids.append(failed)
    newest_first = list(reversed(ids))

    everything = http.get("/admin/v1/files", headers=admin).json()
    assert [f["id"] for f in everything["items"]] == newest_first
    assert everything["nextCursor"] is None
    first = everything["items"][-1]
    customer_view = http.get(f"/analytics/files/{ids[0]}", headers=acme).json()
    assert first == {**customer_view, "errors": [], "customer": "acme"}

    seen, cursor = [], None
    while True:
        params = {"limit": "2", **({"cursor": cursor} if cursor else {})}
        page = http.get("/admin/v1/files", params=params, headers=admin).json()
        assert len(page["items"]) <= 2
        seen += [f["id"] for f in page["items"]]
        cursor = page["nextCursor"]
        if cursor is None:
            break
    assert seen == newest_first

    def listed(**params: str) -> list[str]:
        response = http.get("/admin/v1/files", params=params, headers=admin)
        assert response.status_code == 200, response.text
        return [f["id"] for f in response.json()["items"]]

    assert listed(customer="globex") == [ids[3], ids[1]]
    assert listed(status="Failed") == [failed]
    assert listed(customer="acme", status="Pending") == [ids[4], ids[2], ids[0]]
    assert listed(datasetType="transactions", limit="1") == [failed]
    assert listed(since=iso_z(utcnow() + timedelta(minutes=1))) == []
    assert listed(since="2000-01-01") == newest_first

    for params, status, words in [
        ({"customer": "nobody"}, 404, "No customer named 'nobody'"),
        ({"datasetType": "nothing"}, 404, "No dataset type named 'nothing'"),
        ({"status": "Lost"}, 400, "Invalid status 'Lost'"),
        ({"since": "yesterday"}, 400, "Invalid since 'yesterday'"),
        ({"limit": "0"}, 400, "Invalid limit 0"),
        ({"limit": "x"}, 400, "Invalid limit 'x'"),
        ({"cursor": "bm9wZQ"}, 400, "Invalid cursor"),
        ({"customer_id": "1"}, 400, "Unexpected query parameter 'customer_id'"),
    ]:
        answer = http.get("/admin/v1/files", params=params, headers=admin)
        assert words in error_of(answer, status), params


def test_one_file_reads_as_its_customer_reads_it_plus_customer(harness: Harness) -> None:
    acme = customer_headers(harness, "acme")
    admin = operator_headers(harness)
    file_id = upload(harness, acme, BAD_ROWS)
    harness.services.pipeline().run_once()
    theirs = harness.http.get(f"/analytics/files/{file_id}", headers=acme).json()
    ours = harness.http.get(f"/admin/v1/files/{file_id}", headers=admin).json()
    assert ours == {**theirs, "customer": "acme"}
    assert ours["status"] == "Failed" and len(ours["errors"]) == 2
    unknown = harness.http.get("/admin/v1/files/no-such-file", headers=admin)
    assert "No file with id 'no-such-file'" in error_of(unknown, 404)


def test_retry_sends_a_failed_file_back_to_validation_and_is_audited(harness: Harness) -> None:
    acme = customer_headers(harness, "acme")
    admin = operator_headers(harness)
    http = harness.http
    file_id = upload(harness, acme, BAD_ROWS)
    pipeline = harness.services.pipeline()
    assert pipeline.run_once() is True

    retried = http.post(f"/admin/v1/files/{file_id}/retry", headers=admin)
    assert retried.status_code == 200, retried.text
    body = retried.json()
    assert (body["status"], body["failureReason"], body["customer"]) == ("Pending", None, "acme")
    assert (body["errorCount"], body["errors"], body["finishedAt"]) == (0, [], None)
    assert body["uploadedAt"] is not None
    assert http.get(f"/analytics/files/{file_id}", headers=acme).json()["status"] == "Pending"
    [entry] = audit_rows(harness, "file.retry")
    assert (entry.target, entry.outcome, entry.request_id is not None) == (file_id, "ok", True)
    assert entry.customer_id == harness.services.tenants.get_customer_by_name("acme").id  # type: ignore[union-attr]

    # The pipeline takes it again, under a new attempt (the fencing token never goes back).
    assert pipeline.run_once() is True
    again = http.get(f"/admin/v1/files/{file_id}", headers=admin).json()
    assert again["status"] == "Failed" and len(again["errors"]) == 2
    with harness.services.engine.connect() as conn:
        row = conn.execute(select(files).where(files.c.id == file_id)).one()
    assert (row.attempt, row.attempts_before_retry) == (2, 1)

    completed = upload(harness, acme, HEADER + tx(1))
    pipeline.run_once()
    refused = http.post(f"/admin/v1/files/{completed}/retry", headers=admin)
    assert "is Completed: only a Failed file can be retried" in error_of(refused, 409)
    unknown = http.post("/admin/v1/files/no-such-file/retry", headers=admin)
    error_of(unknown, 404)
    assert len(audit_rows(harness, "file.retry")) == 1  # refusals change nothing


def test_a_file_that_failed_before_its_upload_cannot_be_retried(harness: Harness) -> None:
    acme = customer_headers(harness, "acme")
    admin = operator_headers(harness)
    created = harness.http.post(
        "/analytics/files/upload",
        json={"datasetType": "transactions", "file": {"name": "late.csv", "type": "csv"}},
        headers=acme,
    ).json()
    with harness.services.engine.begin() as conn:
        conn.execute(
            update(files)
            .where(files.c.id == created["id"])
            .values(url_expires_at=utcnow() - timedelta(days=1))
        )
    shown = harness.http.get(f"/admin/v1/files/{created['id']}", headers=admin).json()
    assert shown["status"] == "Failed"  # expired unused, as the customer would see it
    refused = harness.http.post(f"/admin/v1/files/{created['id']}/retry", headers=admin)
    assert "failed before its upload arrived" in error_of(refused, 409)


def test_a_retried_file_gets_a_fresh_attempt_budget(harness: Harness) -> None:
    acme = customer_headers(harness, "acme")
    admin = operator_headers(harness)
    file_id = upload(harness, acme, HEADER + tx(1))
    queue = harness.services.files
    stale = utcnow() - timedelta(minutes=5)

    def crash(attempt: int) -> None:
        """A worker claimed the file under ``attempt`` and died: its lease expired."""
        with harness.services.engine.begin() as conn:
            conn.execute(
                update(files)
                .where(files.c.id == file_id)
                .values(status="Processing", attempt=attempt, lease_expires_at=stale)
            )

    crash(3)
    assert queue.requeue_expired(max_attempts=3) == (0, 1)  # out of attempts: Failed
    retried = harness.http.post(f"/admin/v1/files/{file_id}/retry", headers=admin)
    assert retried.json()["status"] == "Pending"
    crash(4)
    assert queue.requeue_expired(max_attempts=3) == (1, 0)  # one of three new attempts
    crash(6)
    assert queue.requeue_expired(max_attempts=3) == (0, 1)


# -- submissions --------------------------------------------------------------------------------


def test_submissions_of_every_customer_are_listed_with_filters_and_pages(
    harness: Harness,
) -> None:
    acme = Uploader(harness, "acme")
    globex = Uploader(harness, "globex")
    admin = operator_headers(harness)
    data = "Reference,StartDate,StartTime,EndDate,EndTime\r\nU1,12/05/2024,09:00,12/05/2024,17:00"
    tokens = [
        acme.submit("one", data),
        globex.submit("two", data),
        acme.submit("three", data),
    ]
    http = harness.http
    listed = http.get("/admin/v1/submissions", headers=admin).json()
    assert [s["token"] for s in listed["items"]] == list(reversed(tokens))
    newest = listed["items"][0]
    assert (newest["customer"], newest["name"], newest["status"]) == ("acme", "three", "pending")
    assert newest["clientId"] == acme.creds.client_id
    assert set(newest) == {
        "token", "customer", "name", "clientId", "status", "failureReason", "replacedBy",
        "dataRows", "eventRows", "errorCount", "createdAt", "startedAt", "finishedAt",
    }  # fmt: skip

    page = http.get("/admin/v1/submissions", params={"limit": "2"}, headers=admin).json()
    rest = http.get(
        "/admin/v1/submissions", params={"cursor": page["nextCursor"]}, headers=admin
    ).json()
    assert [s["token"] for s in page["items"] + rest["items"]] == list(reversed(tokens))
    assert rest["nextCursor"] is None

    def tokens_of(**params: str) -> list[str]:
        response = http.get("/admin/v1/submissions", params=params, headers=admin)
        assert response.status_code == 200, response.text
        return [s["token"] for s in response.json()["items"]]

    assert tokens_of(customer="globex") == [tokens[1]]
    assert tokens_of(status="pending", customer="acme") == [tokens[2], tokens[0]]
    assert tokens_of(status="failed") == []
    assert tokens_of(since=iso_z(utcnow() + timedelta(minutes=1))) == []
    misused = http.get("/admin/v1/files", params={"cursor": page["nextCursor"]}, headers=admin)
    assert "Invalid cursor" in error_of(misused, 400)  # a submissions cursor is not a files one
    assert "Invalid status 'Pending'" in error_of(
        http.get("/admin/v1/submissions", params={"status": "Pending"}, headers=admin), 400
    )
    assert "No customer named 'x'" in error_of(
        http.get("/admin/v1/submissions", params={"customer": "x"}, headers=admin), 404
    )


def test_a_wrong_method_names_every_method_of_the_path(sqlite_harness: Harness) -> None:
    # GET and POST /admin/v1/datasets are two routes: the 405 lists both.
    refused = sqlite_harness.http.request("DELETE", "/admin/v1/datasets")
    assert refused.headers["allow"] == "GET, POST"
    assert "Use GET, POST." in error_of(refused, 405)
    assert sqlite_harness.http.put("/admin/v1/files/x/retry").headers["allow"] == "POST"
    # A literal path is its own resource, though a templated one also matches it.
    upload = sqlite_harness.http.request("OPTIONS", "/analytics/files/upload")
    assert upload.headers["allow"] == "POST"
