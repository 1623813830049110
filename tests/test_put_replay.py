"""A PUT retried after its 200 was lost: the same bytes are an idempotent replay (200, same
ETag, no new version), other bytes are 403; the SDK then never stores a duplicate version."""

from __future__ import annotations

import hashlib
from pathlib import Path

import httpx
from sqlalchemy import select

from landingzone.db.tables import objects
from tests.client.test_sdk_push import InProcess, client
from tests.conftest import Harness
from tests.test_objects import BASE, object_count, s3_code, signed_url, stored_files


def test_the_same_bytes_again_answer_200_with_the_same_etag(harness: Harness) -> None:
    url = signed_url(harness)
    first = harness.http.put(url, content=b"one")
    assert first.status_code == 200
    again = harness.http.put(url, content=b"one")
    assert again.status_code == 200
    assert again.headers["etag"] == first.headers["etag"]
    assert again.headers["x-lz-version"] == first.headers["x-lz-version"] == "1"
    assert object_count(harness) == 1
    assert len(stored_files(harness)) == 1


def test_other_bytes_on_a_used_url_are_403_and_change_nothing(harness: Harness) -> None:
    url = signed_url(harness)
    assert harness.http.put(url, content=b"one").status_code == 200
    for body in (b"two", b"onex", b"on", b""):
        response = harness.http.put(url, content=body)
        assert response.status_code == 403, body
        assert s3_code(response.text) == "AccessDenied"
    assert object_count(harness) == 1
    assert stored_files(harness)[0].read_bytes() == b"one"


def test_a_files_api_upload_replays_too(harness: Harness) -> None:
    harness.services.datasets.install_shipped()
    headers = harness.auth(harness.tenant("acme"))
    created = harness.http.post(
        "/analytics/files/upload",
        json={"datasetType": "transactions", "file": {"name": "t.csv", "type": "csv"}},
        headers=headers,
    )
    assert created.status_code == 201, created.text
    url = created.json()["uploadUrl"]
    content = b"transaction_id,created_at\r\ntx_1,2025-01-01T00:00:00Z\r\n"
    first = harness.http.put(url, content=content)
    assert first.status_code == 200
    again = harness.http.put(url, content=content)
    assert again.status_code == 200
    assert again.headers["etag"] == first.headers["etag"]
    assert harness.http.put(url, content=content + b"tx_2,x\r\n").status_code == 403
    assert object_count(harness) == 1


class LosesFirstPutAnswer(InProcess):
    """The first PUT reaches the server and is stored; its 200 never reaches the client."""

    lost = False

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        response = super().handle_request(request)
        if request.method == "PUT" and not self.lost:
            self.lost = True
            raise httpx.ReadError("connection reset after the request was sent", request=request)
        return response


def test_the_sdk_retrying_a_lost_answer_stores_one_version(
    harness: Harness, tmp_path: Path
) -> None:
    creds = harness.tenant("acme")
    transport = LosesFirstPutAnswer(harness)
    path = tmp_path / "data.csv"
    path.write_bytes(b"a,b\n1,2\n")
    [result] = client(harness, creds, transport).push("myAppId", [path])
    assert result.outcome == "uploaded", result.error
    assert result.etag == hashlib.md5(b"a,b\n1,2\n").hexdigest()
    assert transport.seen["PUT"] == 2  # the retry reached the server
    assert transport.seen["upload"] == 1  # and no fresh URL was needed
    with harness.services.engine.connect() as conn:
        versions = conn.execute(select(objects.c.version)).scalars().all()
    assert versions == [1]
    listing = harness.http.get(f"{BASE}/files", headers=harness.auth(creds)).json()
    assert [f["version"] for f in listing["files"]] == [1]
