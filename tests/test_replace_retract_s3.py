"""Replace and retract with S3 storage: old parts and a retracted file's bytes leave the bucket."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.conftest import Harness
from tests.pipeline.test_pipeline import HEADER, tx
from tests.s3 import S3Server
from tests.test_s3_landing import keys, lander, new_file, s3_harness

SUMMARY = "/analytics/datasets/transactions/summary"


@pytest.fixture
def harness(tmp_path: Path, s3: S3Server, database_url: str) -> Iterator[Harness]:
    yield from s3_harness(tmp_path, s3, database_url)


def send(harness: Harness, headers: dict[str, str], rows: int, replaces: str | None = None) -> str:
    body: dict[str, object] = {
        "datasetType": "transactions",
        "file": {"name": "t.csv", "type": "csv"},
    }
    if replaces is not None:
        body["replaces"] = replaces
    created = harness.http.post("/analytics/files/upload", json=body, headers=headers).json()
    content = (HEADER + "".join(tx(i) for i in range(rows))).encode()
    assert httpx.put(created["uploadUrl"], content=content).status_code == 200
    assert lander(harness).land_all().landed == 1
    assert harness.services.pipeline().run_once() is True
    file_id: str = created["id"]
    return file_id


def test_replace_then_retract_on_s3(harness: Harness, s3: S3Server) -> None:
    harness.services.datasets.install_shipped()
    headers = harness.auth(harness.tenant("acme"))
    old = send(harness, headers, 6)
    new = send(harness, headers, 2, replaces=old)
    summary = harness.http.get(SUMMARY, headers=headers).json()
    assert (summary["totalRows"], [f["id"] for f in summary["files"]]) == (2, [new])
    parts = keys(s3, harness, "analytics/transactions/customer=acme/")
    assert [k for k in parts if f"file={old}/" in k] == []
    assert [k for k in parts if f"file={new}/" in k]
    # The superseded file's bytes stay in the bucket and read back.
    redirect = harness.http.get(
        f"/analytics/files/{old}/content", headers=headers, follow_redirects=False
    )
    assert redirect.status_code == 307, redirect.text
    assert httpx.get(redirect.headers["Location"]).content.count(b"\n") == 7

    uploads_before = keys(s3, harness, "objects/")
    assert harness.http.delete(f"/analytics/files/{new}", headers=headers).status_code == 200
    assert harness.http.get(SUMMARY, headers=headers).json()["totalRows"] == 0
    parts = keys(s3, harness, "analytics/transactions/customer=acme/")
    assert [k for k in parts if f"file={new}/" in k] == []
    assert len(keys(s3, harness, "objects/")) == len(uploads_before) - 1
    gone = harness.http.get(
        f"/analytics/files/{new}/content", headers=headers, follow_redirects=False
    )
    assert gone.status_code == 409

    # A file that is not queued any more is not overwritten by a later upload
    # landed for it: its URL is spent.
    unused = new_file(harness, headers)
    assert (
        harness.http.delete(f"/analytics/files/{unused['id']}", headers=headers).status_code == 200
    )
    put = httpx.put(unused["uploadUrl"], content=b"late")
    assert put.status_code == 200  # S3 accepts it; the lander discards it
    lander(harness).land_all()
    found = harness.http.get(f"/analytics/files/{unused['id']}", headers=headers).json()
    assert found["status"] == "Deleted"
    assert found["uploadedAt"] is None
