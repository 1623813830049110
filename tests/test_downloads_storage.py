"""Every download route on local disk and on S3 (moto), on SQLite and PostgreSQL (issue 14
point 3): the bytes, ``Content-Length``, ``ETag``, ``Range`` (206), ``If-None-Match`` (304),
``?version=N``, and another customer's 404; and an operator's retry, which reads the
stored bytes back to validate them again.

On local disk landingzone streams the bytes itself; on S3 it answers 307 to a pre-signed GET
and the object store serves them. Either way the reader gets the same answers, so one check
runs on both (tests/test_downloads.py has the finer points of each).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from landingzone.db.audit import AuditRepository
from landingzone.domain.audit import AuditFilter
from tests.conftest import Harness, build_harness, make_settings
from tests.s3 import S3Server
from tests.test_s3_landing import s3_harness

APP = "/services/push/v1/customer/apps/myAppId"
FIRST = b"id,name\r\n1,first version\r\n"
CURRENT = b"id,name\r\n" + b"".join(b"%d,current row %d\r\n" % (i, i) for i in range(40))
FILED = b"id,name\r\n7,a Files API file\r\n"


@pytest.fixture(params=["local", "s3"])
def storage_harness(
    request: pytest.FixtureRequest, tmp_path: Path, database_url: str
) -> Iterator[Harness]:
    if request.param == "local":
        yield from build_harness(make_settings(tmp_path / "data", database_url))
        return
    s3: S3Server = request.getfixturevalue("s3")
    yield from s3_harness(tmp_path, s3, database_url)


def land(harness: Harness) -> None:
    """On S3 the lander moves what clients PUT into place; on local disk the PUT did."""
    if harness.services.lander is not None:
        harness.services.lander.land_all()


def put(harness: Harness, url: str, body: bytes) -> None:
    # A pre-signed S3 URL is moto's, over the network; a local one is the app's own.
    sent = httpx.put(url, content=body) if url.startswith("http://127.") else None
    if sent is None:
        sent = harness.http.put(url, content=body)
    assert sent.status_code == 200, sent.text
    land(harness)


@dataclass(frozen=True)
class Route:
    path: str
    body: bytes
    params: dict[str, str] | None = None
    operator: bool = False


def fetch(
    harness: Harness, route: Route, headers: dict[str, str], extra: dict[str, str] | None = None
) -> httpx.Response:
    """The reader's answer: landingzone's own, or the object store's after a 307."""
    extra = extra or {}
    answer: httpx.Response = harness.http.get(
        route.path, params=route.params, headers={**headers, **extra}, follow_redirects=False
    )
    if answer.status_code != 307:
        return answer
    assert harness.services.lander is not None, "only S3 redirects"
    location = answer.headers["location"]
    assert answer.headers["cache-control"] == "no-store"
    assert answer.headers["x-lz-sha256"] == hashlib.sha256(route.body).hexdigest()
    assert "Authorization" not in location and headers["Authorization"] not in location
    # The client re-sends its Range to the store (as curl -L and httpx do).
    return httpx.get(location, headers={k: v for k, v in extra.items() if k == "Range"})


def test_every_download_route_reads_back_the_stored_bytes(storage_harness: Harness) -> None:
    harness = storage_harness
    on_s3 = harness.services.lander is not None
    harness.services.datasets.install_shipped()
    acme = harness.auth(harness.tenant("acme"))
    other = harness.auth(harness.tenant("other"))  # also has an app called myAppId
    ops = harness.operator_auth()
    for body in (FIRST, CURRENT):
        urls = harness.http.get(f"{APP}/upload", params={"filenames": "a.csv"}, headers=acme)
        put(harness, urls.json()["a.csv"], body)
    created = harness.http.post(
        "/analytics/files/upload",
        json={"datasetType": "transactions", "file": {"name": "tx.csv", "type": "csv"}},
        headers=acme,
    )
    assert created.status_code == 201, created.text
    file_id = created.json()["id"]
    put(harness, created.json()["uploadUrl"], FILED)
    objects = harness.http.get(
        "/admin/v1/objects", params={"customer": "acme", "app": "myAppId"}, headers=ops
    ).json()["items"]
    current_object = next(o for o in objects if o["version"] == 2)

    routes = [
        Route(f"{APP}/files/a.csv/content", CURRENT),
        Route(f"{APP}/files/a.csv/content", FIRST, {"version": "1"}),
        Route(f"/analytics/files/{file_id}/content", FILED),
        Route(f"/admin/v1/files/{file_id}/content", FILED, operator=True),
        Route(f"/admin/v1/objects/{current_object['id']}/content", CURRENT, operator=True),
    ]
    downloads = 0
    for route in routes:
        who = ops if route.operator else acme
        etag = f'"{hashlib.md5(route.body).hexdigest()}"'
        size = len(route.body)
        if on_s3:
            redirect = harness.http.get(
                route.path, params=route.params, headers=who, follow_redirects=False
            )
            assert (redirect.status_code, redirect.content) == (307, b""), route
            downloads += 1

        whole = fetch(harness, route, who)
        downloads += 1
        assert (whole.status_code, whole.content) == (200, route.body), route
        assert whole.headers["content-length"] == str(size), route
        assert whole.headers["etag"] == etag, route

        ranged = fetch(harness, route, who, {"Range": "bytes=3-9"})
        downloads += 1
        assert (ranged.status_code, ranged.content) == (206, route.body[3:10]), route
        assert ranged.headers["content-range"] == f"bytes 3-9/{size}", route
        assert ranged.headers["content-length"] == "7", route

        # The reader's copy is current: nothing is sent, by landingzone itself.
        cached = fetch(harness, route, who, {"If-None-Match": etag})
        assert (cached.status_code, cached.content) == (304, b""), route
        assert cached.headers["etag"] == etag, route

        if not route.operator:
            theirs = fetch(harness, route, other)
            assert theirs.status_code == 404, (route, theirs.text)
            assert "location" not in theirs.headers

    # A version that does not exist, or is not a version: nothing sent, nothing audited.
    for version, status in (("3", 404), ("0", 400), ("x", 400)):
        wrong = harness.http.get(f"{APP}/files/a.csv/content", params={"version": version},
                                 headers=acme, follow_redirects=False)  # fmt: skip
        assert wrong.status_code == status, (version, wrong.text)
        assert wrong.json()["success"] is False and "location" not in wrong.headers

    # One audited download per answer that sent bytes or handed out a URL to them.
    audited = AuditRepository(harness.services.engine).entries(
        AuditFilter(action="object.download"), limit=500, before_id=None
    )
    assert len(audited) == downloads
    assert {entry.customer for entry in audited} == {"acme"}

    # The operator's retry validates the stored bytes again, read back from the store: FILED
    # is not a transactions file, so it fails again for the same reason, not as unreadable.
    pipeline = harness.services.pipeline()
    assert pipeline.run_once() is True
    first = harness.http.get(f"/admin/v1/files/{file_id}", headers=ops).json()
    assert (first["status"], first["customer"]) == ("Failed", "acme")
    assert first["file"]["size"] == len(FILED)
    assert "header" in first["failureReason"].lower(), first["failureReason"]
    retried = harness.http.post(f"/admin/v1/files/{file_id}/retry", headers=ops)
    assert (retried.status_code, retried.json()["status"]) == (200, "Pending"), retried.text
    assert pipeline.run_once() is True
    again = harness.http.get(f"/admin/v1/files/{file_id}", headers=ops).json()
    assert (again["status"], again["failureReason"]) == ("Failed", first["failureReason"])
    assert again["errors"] == first["errors"]
