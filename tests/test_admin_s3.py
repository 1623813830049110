"""The operators' file routes where storage matters, on S3 (moto), SQLite and PostgreSQL:
`GET /admin/v1/files/{id}` and `POST /admin/v1/files/{id}/retry` read the stored bytes back
from the bucket to validate them again; `GET /admin/v1/files/{id}/content` hands them out.
(tests/test_admin_catalog_api.py has the same on local disk.)"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.conftest import Harness
from tests.pipeline.test_pipeline import HEADER, tx
from tests.s3 import S3Server
from tests.test_s3_landing import s3_harness

# Two bad rows (an amount that is not a number, an unknown status) among good ones.
BAD_ROWS = HEADER + tx(1) + tx(2, amount="ten") + tx(3, status="lost") + tx(4)


@pytest.fixture
def harness(tmp_path: Path, s3: S3Server, database_url: str) -> Iterator[Harness]:
    yield from s3_harness(tmp_path, s3, database_url)


def test_a_failed_file_in_s3_is_read_retried_and_downloaded_by_an_operator(
    harness: Harness, s3: S3Server
) -> None:
    harness.services.datasets.install_shipped()
    acme = harness.auth(harness.tenant("acme"))
    ops = harness.operator_auth()
    http = harness.http
    created = http.post(
        "/analytics/files/upload",
        json={"datasetType": "transactions", "file": {"name": "bad.csv", "type": "csv"}},
        headers=acme,
    ).json()
    assert created["uploadUrl"].startswith(s3.endpoint_url)
    assert httpx.put(created["uploadUrl"], content=BAD_ROWS.encode()).status_code == 200
    lander = harness.services.lander
    assert lander is not None and lander.land_all().landed == 1
    pipeline = harness.services.pipeline()
    assert pipeline.run_once() is True
    file_id = created["id"]

    first = http.get(f"/admin/v1/files/{file_id}", headers=ops).json()
    assert (first["status"], first["customer"], first["errorCount"]) == ("Failed", "acme", 2)
    assert first["file"]["size"] == len(BAD_ROWS)

    retried = http.post(f"/admin/v1/files/{file_id}/retry", headers=ops)
    assert retried.status_code == 200, retried.text
    assert (retried.json()["status"], retried.json()["errorCount"]) == ("Pending", 0)
    # Validated again from the bytes in the bucket: the same two errors, not an unreadable file.
    assert pipeline.run_once() is True
    again = http.get(f"/admin/v1/files/{file_id}", headers=ops).json()
    assert (again["status"], again["failureReason"]) == ("Failed", first["failureReason"])
    assert again["errors"] == first["errors"]

    redirect = http.get(f"/admin/v1/files/{file_id}/content", headers=ops, follow_redirects=False)
    assert redirect.status_code == 307, redirect.text
    stored = httpx.get(redirect.headers["location"])
    assert (stored.status_code, stored.content) == (200, BAD_ROWS.encode())
    assert stored.headers["content-length"] == str(len(BAD_ROWS))
