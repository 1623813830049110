"""Downloads (SPEC §3, §4, §9): owners read their stored bytes back, operators read any.

On local disk the server streams the bytes (whole, or one Range); on S3 it
redirects to a short-lived pre-signed GET. Every delivery is one
``object.download`` row of the audit log.
"""

from __future__ import annotations

import hashlib
import os
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx
import pytest

from landingzone.db.audit import AuditRepository
from landingzone.domain.audit import AuditFilter, AuditRecord
from landingzone.domain.downloads import attachment, content_type_for
from tests.conftest import Harness, build_harness, make_settings
from tests.s3 import S3Server
from tests.test_s3_landing import s3_harness

APPS = "/services/push/v1/customer/apps"
BODY = b"id,name\r\n" + b"".join(b"%d,row %d\r\n" % (i, i) for i in range(500))


def content_path(name: str, app_id: str = "myAppId") -> str:
    return f"{APPS}/{app_id}/files/{quote(name, safe='')}/content"


def push(harness: Harness, headers: dict[str, str], name: str, body: bytes, **params: str) -> str:
    """Push ``body`` as ``name`` (local disk: the PUT lands at once); the PUT's ETag."""
    query: dict[str, str] = {"filenames": name, **params}
    urls = harness.http.get(f"{APPS}/myAppId/upload", params=query, headers=headers)
    assert urls.status_code == 200, urls.text
    put = harness.http.put(urls.json()[name], content=body)
    assert put.status_code == 200, put.text
    etag: str = put.headers["etag"]
    return etag


def admin(harness: Harness) -> dict[str, str]:
    """An operator client's admin token."""
    return harness.operator_auth()


def downloads_audited(harness: Harness) -> list[AuditRecord]:
    repo = AuditRepository(harness.services.engine)
    return repo.entries(AuditFilter(action="object.download"), limit=100, before_id=None)


def file_upload(harness: Harness, headers: dict[str, str], name: str = "tx.csv") -> Any:
    created = harness.http.post(
        "/analytics/files/upload",
        json={"datasetType": "transactions", "file": {"name": name, "type": "csv"}},
        headers=headers,
    )
    assert created.status_code == 201, created.text
    return created.json()


# -- local disk, both databases ---------------------------------------------------------


def test_the_owner_reads_the_current_and_older_versions(harness: Harness) -> None:
    creds = harness.tenant("acme")
    headers = harness.auth(creds)
    first_etag = push(harness, headers, "a.csv", b"first\n")
    etag = push(harness, headers, "a.csv", BODY)

    current = harness.http.get(content_path("a.csv"), headers=headers)
    assert current.status_code == 200, current.text
    assert current.content == BODY
    assert current.headers["content-length"] == str(len(BODY))
    assert current.headers["etag"] == etag == f'"{hashlib.md5(BODY).hexdigest()}"'
    assert current.headers["content-type"] == "text/csv"
    assert current.headers["content-disposition"] == 'attachment; filename="a.csv"'
    assert current.headers["accept-ranges"] == "bytes"
    assert current.headers["x-lz-sha256"] == hashlib.sha256(BODY).hexdigest()

    older = harness.http.get(content_path("a.csv"), params={"version": "1"}, headers=headers)
    assert (older.status_code, older.content, older.headers["etag"]) == (
        200,
        b"first\n",
        first_etag,
    )
    missing = harness.http.get(content_path("a.csv"), params={"version": "3"}, headers=headers)
    assert missing.status_code == 404
    assert "version 3" in missing.json()["message"]
    for bad in ("0", "x", "-1", "9" * 40):
        answer = harness.http.get(content_path("a.csv"), params={"version": bad}, headers=headers)
        assert answer.status_code == 400, bad
        assert "version" in answer.json()["message"]
    extra = harness.http.get(content_path("a.csv"), params={"versions": "1"}, headers=headers)
    assert extra.status_code == 400


def test_type_narrows_and_scopes_decide_who_reads(harness: Harness) -> None:
    harness.services.datasets.install_shipped()
    creds = harness.tenant("acme")
    headers = harness.auth(creds)
    push(harness, headers, "c.pdf", b"%PDF contract", type="contracts")
    push(harness, headers, "c.pdf", b"plain")
    assert harness.http.get(content_path("c.pdf"), headers=headers).content == b"plain"
    contract = harness.http.get(
        content_path("c.pdf"), params={"type": "contracts"}, headers=headers
    )
    assert contract.content == b"%PDF contract"
    assert contract.headers["content-type"] == "application/pdf"
    none = harness.http.get(content_path("c.pdf"), params={"type": "users"}, headers=headers)
    assert none.status_code == 404

    reader = harness.auth(creds, "files.read")
    assert harness.http.get(content_path("c.pdf"), headers=reader).status_code == 200
    writer = harness.http.get(content_path("c.pdf"), headers=harness.auth(creds, "files.write"))
    assert writer.status_code == 403
    assert harness.http.get(content_path("c.pdf")).status_code == 401


def test_files_api_bytes_and_files_without_bytes(harness: Harness) -> None:
    harness.services.datasets.install_shipped()
    headers = harness.auth(harness.tenant("acme"))
    created = file_upload(harness, headers, "tx 2025.csv")
    pending = harness.http.get(f"/analytics/files/{created['id']}/content", headers=headers)
    assert pending.status_code == 409
    assert "waiting for its upload" in pending.json()["message"]

    assert harness.http.put(created["uploadUrl"], content=BODY).status_code == 200
    got = harness.http.get(f"/analytics/files/{created['id']}/content", headers=headers)
    assert got.status_code == 200 and got.content == BODY
    assert got.headers["content-disposition"] == 'attachment; filename="tx 2025.csv"'
    for scope in ("files.read", "files.write"):
        creds_headers = harness.auth(harness.new_client("acme"), scope)
        again = harness.http.get(f"/analytics/files/{created['id']}/content", headers=creds_headers)
        assert again.status_code == 200, scope
    connector = harness.auth(harness.new_client("acme"), "connector.write")
    refused = harness.http.get(f"/analytics/files/{created['id']}/content", headers=connector)
    assert refused.status_code == 403


def test_an_expired_unused_upload_says_so(tmp_path: Path) -> None:
    settings = make_settings(tmp_path / "d", f"sqlite:///{tmp_path / 'm.db'}", upload_url_ttl=1)
    for harness in build_harness(settings):
        harness.services.datasets.install_shipped()
        headers = harness.auth(harness.tenant("acme"))
        created = file_upload(harness, headers)
        time.sleep(2.1)
        answer = harness.http.get(f"/analytics/files/{created['id']}/content", headers=headers)
        assert answer.status_code == 409
        assert "expired unused" in answer.json()["message"]


def test_another_customers_ids_and_apps_are_404(harness: Harness) -> None:
    harness.services.datasets.install_shipped()
    acme = harness.auth(harness.tenant("acme"))
    other = harness.auth(harness.tenant("other"))  # also has an app called myAppId
    push(harness, acme, "secret.csv", b"acme only")
    created = file_upload(harness, acme)
    assert harness.http.put(created["uploadUrl"], content=b"acme file").status_code == 200

    theirs = harness.http.get(content_path("secret.csv"), headers=other)
    assert theirs.status_code == 404
    assert harness.http.get(content_path("secret.csv", "nope"), headers=acme).status_code == 404
    file_path = f"/analytics/files/{created['id']}/content"
    assert harness.http.get(file_path, headers=other).status_code == 404
    assert harness.http.get("/analytics/files/nope/content", headers=acme).status_code == 404
    assert downloads_audited(harness) == []


def test_operators_list_and_read_every_customers_objects(harness: Harness) -> None:
    harness.services.datasets.install_shipped()
    acme = harness.auth(harness.tenant("acme"))
    beta = harness.auth(harness.tenant("beta"))
    push(harness, acme, "a.csv", b"acme a")
    push(harness, beta, "b.csv", b"beta b", type="users")
    created = file_upload(harness, acme)
    assert harness.http.put(created["uploadUrl"], content=b"acme file").status_code == 200
    ops = admin(harness)

    listed = harness.http.get("/admin/v1/objects", headers=ops)
    assert listed.status_code == 200, listed.text
    items = listed.json()["items"]
    assert [(i["customer"], i["app"], i["name"], i["type"]) for i in items] == [
        ("acme", None, "tx.csv", None),
        ("beta", "myAppId", "b.csv", "users"),
        ("acme", "myAppId", "a.csv", None),
    ]
    first = items[0]
    assert set(first) == {
        "id", "customer", "app", "name", "type", "version", "size", "sha256", "uploadedAt",
    }  # fmt: skip
    assert (first["version"], first["size"]) == (1, len(b"acme file"))
    assert first["sha256"] == hashlib.sha256(b"acme file").hexdigest()

    pages: list[str] = []
    cursor = ""
    while True:
        page = harness.http.get(
            "/admin/v1/objects", params={"limit": "1", "cursor": cursor}, headers=ops
        ).json()
        pages += [item["name"] for item in page["items"]]
        if not page["nextCursor"]:
            break
        cursor = page["nextCursor"]
    assert pages == ["tx.csv", "b.csv", "a.csv"]

    def names(**params: str) -> list[str]:
        answer = harness.http.get("/admin/v1/objects", params=params, headers=ops)
        assert answer.status_code == 200, answer.text
        return [item["name"] for item in answer.json()["items"]]

    assert names(customer="acme") == ["tx.csv", "a.csv"]
    assert names(customer="acme", app="myAppId") == ["a.csv"]
    assert names(app="myAppId") == ["b.csv", "a.csv"]
    for params, status in (
        ({"customer": "nobody"}, 404),
        ({"customer": "acme", "app": "nope"}, 404),
        ({"limit": "0"}, 400),
        ({"limit": "x"}, 400),
        ({"cursor": "garbage"}, 400),
        ({"owner": "acme"}, 400),
    ):
        assert harness.http.get("/admin/v1/objects", params=params, headers=ops).status_code == (
            status
        ), params

    beta_object = next(i for i in items if i["customer"] == "beta")
    got = harness.http.get(f"/admin/v1/objects/{beta_object['id']}/content", headers=ops)
    assert (got.status_code, got.content) == (200, b"beta b")
    got = harness.http.get(f"/admin/v1/files/{created['id']}/content", headers=ops)
    assert (got.status_code, got.content) == (200, b"acme file")
    for unknown in ("999999", "x", "9" * 30, "-1"):
        answer = harness.http.get(f"/admin/v1/objects/{unknown}/content", headers=ops)
        assert answer.status_code == 404, unknown
    assert harness.http.get("/admin/v1/files/nope/content", headers=ops).status_code == 404

    # A customer's token (without admin) is refused the operators' routes.
    for path in ("/admin/v1/objects", f"/admin/v1/objects/{beta_object['id']}/content",
                 f"/admin/v1/files/{created['id']}/content"):  # fmt: skip
        assert harness.http.get(path, headers=acme).status_code == 403, path


def test_each_download_is_one_audit_row(harness: Harness) -> None:
    harness.services.datasets.install_shipped()
    creds = harness.tenant("acme")
    headers = harness.auth(creds)
    etag = push(harness, headers, "a.csv", BODY)
    created = file_upload(harness, headers)
    assert harness.http.put(created["uploadUrl"], content=b"x").status_code == 200

    pushed = harness.http.get(content_path("a.csv"), headers=headers)
    ranged = harness.http.get(content_path("a.csv"), headers={**headers, "Range": "bytes=0-1"})
    filed = harness.http.get(f"/analytics/files/{created['id']}/content", headers=headers)
    cached = harness.http.get(content_path("a.csv"), headers={**headers, "If-None-Match": etag})
    assert (pushed.status_code, ranged.status_code, filed.status_code) == (200, 206, 200)
    assert cached.status_code == 304  # nothing sent: no download

    rows = downloads_audited(harness)
    assert len(rows) == 3
    customer = harness.services.tenants.get_customer_by_name("acme")
    assert customer is not None
    key = "log-connector-data/acme/myAppId/a.csv"
    assert [(r.target, r.actor, r.customer, r.outcome) for r in reversed(rows)] == [
        (key, creds.client_id, "acme", "ok"),
        (key, creds.client_id, "acme", "ok"),
        (created["id"], creds.client_id, "acme", "ok"),
    ]
    assert [r.request_id for r in reversed(rows)] == [
        answer.headers["x-lz-request-id"] for answer in (pushed, ranged, filed)
    ]


# -- ranges and conditional requests (HTTP only: one database) ---------------------------


def test_ranges(sqlite_harness: Harness) -> None:
    harness = sqlite_harness
    headers = harness.auth(harness.tenant("acme"))
    etag = push(harness, headers, "a.csv", BODY)
    size = len(BODY)

    def get(range_header: str, **extra: str) -> httpx.Response:
        answer: httpx.Response = harness.http.get(
            content_path("a.csv"), headers={**headers, "Range": range_header, **extra}
        )
        return answer

    for header, start, end in (
        ("bytes=0-3", 0, 3),
        ("bytes=5-", 5, size - 1),
        ("bytes=-4", size - 4, size - 1),
        ("bytes=10-999999", 10, size - 1),
        (f"bytes=-{size * 2}", 0, size - 1),
        ("bytes = 7 - 9", 7, 9),
    ):
        answer = get(header)
        assert answer.status_code == 206, header
        assert answer.content == BODY[start : end + 1], header
        assert answer.headers["content-range"] == f"bytes {start}-{end}/{size}", header
        assert answer.headers["content-length"] == str(end - start + 1)
        assert answer.headers["etag"] == etag

    # Several ranges, other units, malformed or inverted ranges: the whole body.
    for header in (
        "bytes=0-1,4-5",
        "items=0-1",
        "bytes=x-y",
        "bytes=9-3",
        "bytes=-",
        "bytes=" + "9" * 40 + "-",
    ):
        whole = get(header)
        assert (whole.status_code, whole.content) == (200, BODY), header

    for header in (f"bytes={size}-", f"bytes={size + 10}-{size + 20}", "bytes=-0"):
        refused = get(header)
        assert refused.status_code == 416, header
        assert refused.headers["content-range"] == f"bytes */{size}"
        assert refused.json()["success"] is False
        assert f"0-{size - 1}" in refused.json()["message"] or "empty" in refused.json()["message"]

    # If-Range: the range only while the file is still the one the reader has.
    assert get("bytes=0-3", **{"If-Range": etag}).status_code == 206
    changed = get("bytes=0-3", **{"If-Range": '"0123"'})
    assert (changed.status_code, changed.content) == (200, BODY)


def test_if_none_match(sqlite_harness: Harness) -> None:
    harness = sqlite_harness
    headers = harness.auth(harness.tenant("acme"))
    etag = push(harness, headers, "a.csv", BODY)
    for tag in (etag, f"W/{etag}", f'"other", {etag}', "*"):
        answer = harness.http.get(content_path("a.csv"), headers={**headers, "If-None-Match": tag})
        assert (answer.status_code, answer.content) == (304, b""), tag
        assert answer.headers["etag"] == etag
    fresh = harness.http.get(content_path("a.csv"), headers={**headers, "If-None-Match": '"old"'})
    assert (fresh.status_code, fresh.content) == (200, BODY)


def test_names_beyond_ascii_and_empty_files(sqlite_harness: Harness) -> None:
    harness = sqlite_harness
    headers = harness.auth(harness.tenant("acme"))
    name = 'résumé €"100%".csv'
    push(harness, headers, name, b"")
    answer = harness.http.get(content_path(name), headers=headers)
    assert (answer.status_code, answer.content) == (200, b"")
    assert answer.headers["content-length"] == "0"
    assert answer.headers["content-disposition"] == (
        'attachment; filename="r_sum_ __100__.csv"; '
        "filename*=UTF-8''r%C3%A9sum%C3%A9%20%E2%82%AC%22100%25%22.csv"
    )
    # An empty file has no byte to range over.
    empty_range = harness.http.get(content_path(name), headers={**headers, "Range": "bytes=0-"})
    assert empty_range.status_code == 416
    assert empty_range.headers["content-range"] == "bytes */0"


def test_content_type_and_disposition_rules() -> None:
    assert content_type_for("a.csv") == "text/csv"
    assert content_type_for("a.json") == "application/json"
    assert content_type_for("noextension") == "application/octet-stream"
    assert content_type_for("a.weird-ext") == "application/octet-stream"
    assert attachment("plain.txt") == 'attachment; filename="plain.txt"'
    assert attachment("a\\b%") == "attachment; filename=\"a_b_\"; filename*=UTF-8''a%5Cb%25"


def test_a_missing_object_is_a_conflict_that_says_why(sqlite_harness: Harness) -> None:
    harness = sqlite_harness
    headers = harness.auth(harness.tenant("acme"))
    push(harness, headers, "gone.csv", b"bytes")
    (only,) = harness.services.objects.list_after(0, 10)
    harness.services.store.delete(only.storage_id)
    answer = harness.http.get(content_path("gone.csv"), headers=headers)
    assert answer.status_code == 409
    assert "missing from the object store" in answer.json()["message"]
    assert downloads_audited(harness) == []


def test_a_large_file_streams_in_blocks(sqlite_harness: Harness) -> None:
    harness = sqlite_harness
    headers = harness.auth(harness.tenant("acme"))
    body = os.urandom(3 * 1024 * 1024 + 17)
    push(harness, headers, "big.bin", body)
    with harness.http.stream("GET", content_path("big.bin"), headers=headers) as answer:
        assert answer.status_code == 200
        assert answer.headers["content-type"] == "application/octet-stream"
        received = b"".join(answer.iter_raw())
    assert received == body


# -- S3 (moto): a redirect to a pre-signed GET ------------------------------------------


@pytest.fixture
def s3_app(tmp_path: Path, s3: S3Server, database_url: str) -> Iterator[Harness]:
    yield from s3_harness(tmp_path, s3, database_url)


def s3_push(harness: Harness, headers: dict[str, str], name: str, body: bytes) -> None:
    urls = harness.http.get(f"{APPS}/myAppId/upload", params={"filenames": name}, headers=headers)
    assert httpx.put(urls.json()[name], content=body).status_code == 200
    lander = harness.services.lander
    assert lander is not None
    assert lander.land_all().landed == 1


def test_on_s3_downloads_redirect_to_a_presigned_get(s3_app: Harness, s3: S3Server) -> None:
    harness = s3_app
    harness.services.datasets.install_shipped()
    creds = harness.tenant("acme")
    headers = harness.auth(creds)
    s3_push(harness, headers, "a.csv", b"first")
    s3_push(harness, headers, "a.csv", BODY)

    answer = harness.http.get(content_path("a.csv"), headers=headers, follow_redirects=False)
    assert answer.status_code == 307, answer.text
    location = answer.headers["location"]
    assert location.startswith(f"{s3.endpoint_url}/")
    assert "X-Amz-Signature=" in location and "X-Amz-Expires=300" in location
    assert answer.headers["cache-control"] == "no-store"
    assert answer.headers["x-lz-sha256"] == hashlib.sha256(BODY).hexdigest()
    stored = httpx.get(location)
    assert (stored.status_code, stored.content) == (200, BODY)
    assert stored.headers["content-disposition"] == 'attachment; filename="a.csv"'
    assert stored.headers["content-type"].startswith("text/csv")
    ranged = httpx.get(location, headers={"Range": "bytes=0-1"})
    assert (ranged.status_code, ranged.content) == (206, BODY[:2])

    older = harness.http.get(
        content_path("a.csv"), params={"version": "1"}, headers=headers, follow_redirects=False
    )
    assert httpx.get(older.headers["location"]).content == b"first"

    created = file_upload(harness, headers)
    assert httpx.put(created["uploadUrl"], content=b"via files").status_code == 200
    lander = harness.services.lander
    assert lander is not None
    lander.land_all()
    ops = admin(harness)
    for path, who in (
        (f"/analytics/files/{created['id']}/content", headers),
        (f"/admin/v1/files/{created['id']}/content", ops),
    ):
        redirect = harness.http.get(path, headers=who, follow_redirects=False)
        assert redirect.status_code == 307, path
        assert httpx.get(redirect.headers["location"]).content == b"via files"

    other = harness.auth(harness.tenant("other"))
    assert harness.http.get(content_path("a.csv"), headers=other).status_code == 404
    assert len(downloads_audited(harness)) == 4

    etag = f'"{hashlib.md5(BODY).hexdigest()}"'
    cached = harness.http.get(content_path("a.csv"), headers={**headers, "If-None-Match": etag},
                              follow_redirects=False)  # fmt: skip
    assert cached.status_code == 304
    assert len(downloads_audited(harness)) == 4
