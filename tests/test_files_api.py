"""The Files API (SPEC §4, seed 003): upload URLs, the upload landing, status and listing."""

from __future__ import annotations

import hashlib
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import select

from landingzone.db.tables import objects
from tests.conftest import Harness, build_harness, make_settings

UPLOAD = "/analytics/files/upload"
SEED_BODY = {
    "datasetType": "transactions",
    "file": {"name": "testprovider_transactions_2025-01-01.csv", "type": "csv"},
}


def ready(harness: Harness) -> None:
    harness.services.datasets.install_shipped()


def create(harness: Harness, headers: dict[str, str], body: dict[str, object] | None = None):
    return harness.http.post(UPLOAD, json=body or SEED_BODY, headers=headers)


def test_seed_request_gives_a_one_hour_url(harness: Harness) -> None:
    ready(harness)
    headers = harness.auth(harness.tenant("acme"))
    response = create(harness, headers)
    assert response.status_code == 201, response.text
    body = response.json()
    assert set(body) == {"id", "uploadUrl", "expiresAt", "status", "datasetType", "file"}
    assert body["status"] == "Pending"
    assert body["datasetType"] == "transactions"
    assert body["file"] == SEED_BODY["file"]
    expires = datetime.fromisoformat(body["expiresAt"].replace("Z", "+00:00"))
    assert 3590 <= (expires - datetime.now(UTC)).total_seconds() <= 3600
    assert f"/o/analytics-uploads/acme/{body['id']}/" in body["uploadUrl"]


def test_upload_lands_on_the_file(harness: Harness) -> None:
    ready(harness)
    headers = harness.auth(harness.tenant("acme"))
    created = create(harness, headers).json()
    content = b"transaction_id,created_at\r\ntx_1,2025-01-01T00:00:00Z\r\n"
    put = harness.http.put(created["uploadUrl"], content=content)
    assert put.status_code == 200
    status = harness.http.get(f"/analytics/files/{created['id']}", headers=headers).json()
    assert status["status"] == "Pending"  # uploaded and queued
    assert status["uploadedAt"] is not None
    assert status["file"]["size"] == len(content)
    assert status["file"]["sha256"] == hashlib.sha256(content).hexdigest()
    assert status["statistics"]["bytes"] == len(content)
    with harness.services.engine.connect() as conn:
        row = conn.execute(select(objects)).one()
    assert row.object_key == f"analytics-uploads/acme/{created['id']}/{SEED_BODY['file']['name']}"  # type: ignore[index]
    again = harness.http.put(created["uploadUrl"], content=b"other")
    assert again.status_code == 403
    assert "already been used" in again.text


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        (
            {"datasetType": "invoices", "file": {"name": "a.csv", "type": "csv"}},
            "Unknown datasetType 'invoices'",
        ),
        (
            {"datasetType": "transactions", "file": {"name": "../a.csv", "type": "csv"}},
            "Invalid file.name",
        ),
        (
            {"datasetType": "transactions", "file": {"name": "a.xlsx", "type": "xlsx"}},
            "Unsupported file.type 'xlsx'",
        ),
        ({"datasetType": "transactions"}, "file: Field required"),
        ({"file": {"name": "a.csv", "type": "csv"}}, "datasetType: Field required"),
    ],
)
def test_invalid_bodies_are_422_with_a_useful_message(
    sqlite_harness: Harness, body: dict[str, object], expected: str
) -> None:
    ready(sqlite_harness)
    headers = sqlite_harness.auth(sqlite_harness.tenant("acme"))
    response = create(sqlite_harness, headers, body)
    assert response.status_code == 422
    assert response.json()["success"] is False
    assert expected in response.json()["message"]


def test_non_json_body_is_422(sqlite_harness: Harness) -> None:
    ready(sqlite_harness)
    headers = sqlite_harness.auth(sqlite_harness.tenant("acme"))
    response = sqlite_harness.http.post(
        UPLOAD, content=b"{not json", headers={**headers, "Content-Type": "application/json"}
    )
    assert response.status_code == 422


def test_scopes(sqlite_harness: Harness) -> None:
    ready(sqlite_harness)
    sqlite_harness.tenant("acme")
    reader = sqlite_harness.auth(sqlite_harness.new_client("acme", ["files.read"]))
    writer = sqlite_harness.auth(sqlite_harness.new_client("acme", ["files.write"]))
    pusher = sqlite_harness.auth(sqlite_harness.new_client("acme", ["connector.write"]))
    assert create(sqlite_harness, reader).status_code == 403
    assert create(sqlite_harness, pusher).status_code == 403
    created = create(sqlite_harness, writer).json()
    for headers, expected in [(reader, 200), (writer, 200), (pusher, 403)]:
        got = sqlite_harness.http.get(f"/analytics/files/{created['id']}", headers=headers)
        assert got.status_code == expected
        assert sqlite_harness.http.get("/analytics/files", headers=headers).status_code == expected


def test_another_customers_file_is_404(harness: Harness) -> None:
    ready(harness)
    mine = harness.auth(harness.tenant("acme"))
    theirs = harness.auth(harness.tenant("globex"))
    created = create(harness, mine).json()
    response = harness.http.get(f"/analytics/files/{created['id']}", headers=theirs)
    assert response.status_code == 404
    assert harness.http.get("/analytics/files", headers=theirs).json()["files"] == []
    assert harness.http.get("/analytics/files/not-an-id", headers=mine).status_code == 404


def test_a_url_that_expires_unused_fails_the_file(tmp_path: Path) -> None:
    # Three seconds: time enough for the first PUT on a loaded machine (one second was not).
    settings = make_settings(tmp_path / "d", f"sqlite:///{tmp_path / 'm.db'}", upload_url_ttl=3)
    for harness in build_harness(settings):
        ready(harness)
        headers = harness.auth(harness.tenant("acme"))
        used = create(harness, headers).json()
        assert harness.http.put(used["uploadUrl"], content=b"x").status_code == 200
        unused = create(harness, headers).json()
        listed_unused = create(harness, headers).json()
        time.sleep(4.2)
        status = harness.http.get(f"/analytics/files/{unused['id']}", headers=headers).json()
        assert status["status"] == "Failed"
        assert "upload URL expired" in status["failureReason"]
        assert status["finishedAt"] is not None
        failed = harness.http.get("/analytics/files?status=Failed", headers=headers).json()
        assert {f["id"] for f in failed["files"]} == {unused["id"], listed_unused["id"]}
        kept = harness.http.get(f"/analytics/files/{used['id']}", headers=headers).json()
        assert kept["status"] == "Pending"
        late = harness.http.put(unused["uploadUrl"], content=b"late")
        assert late.status_code == 403


def test_listing_filters_and_pages(harness: Harness) -> None:
    ready(harness)
    headers = harness.auth(harness.tenant("acme"))
    ids = [create(harness, headers).json()["id"] for _ in range(3)]
    users = create(
        harness, headers, {"datasetType": "users", "file": {"name": "u.csv", "type": "csv"}}
    ).json()
    page = harness.http.get("/analytics/files?limit=2", headers=headers).json()
    assert [f["id"] for f in page["files"]] == [users["id"], ids[2]]
    rest = harness.http.get(
        f"/analytics/files?limit=2&cursor={page['nextCursor']}", headers=headers
    ).json()
    assert [f["id"] for f in rest["files"]] == [ids[1], ids[0]]
    assert rest["nextCursor"] is None
    only_users = harness.http.get("/analytics/files?datasetType=users", headers=headers).json()
    assert [f["id"] for f in only_users["files"]] == [users["id"]]
    pending = harness.http.get("/analytics/files?status=Pending", headers=headers).json()
    assert len(pending["files"]) == 4


@pytest.mark.parametrize(
    "query",
    ["?status=Done", "?limit=0", "?limit=%C2%B2", "?cursor=zzz", "?page=1", "?limit=1&limit=2"],
)
def test_listing_bad_queries_are_400(sqlite_harness: Harness, query: str) -> None:
    headers = sqlite_harness.auth(sqlite_harness.tenant("acme"))
    response = sqlite_harness.http.get(f"/analytics/files{query}", headers=headers)
    assert response.status_code == 400
    assert response.json()["code"] == "400"
