"""S3 storage in process: pre-signed URLs from the APIs, PUTs straight to moto, the lander."""

from __future__ import annotations

import errno
import hashlib
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select

from landingzone.auth.signing import UrlSigner
from landingzone.db.objects import ObjectRepository
from landingzone.db.tables import objects
from landingzone.domain.landing import Lander
from landingzone.domain.targets import UploadTargets
from landingzone.storage.base import IncomingObject
from landingzone.storage.s3 import S3Location, S3ObjectStore
from landingzone.validation import FAST_PATH_MIN_BYTES
from landingzone.validation.fastpath import FastPath
from tests.conftest import Harness, build_harness, make_settings
from tests.pipeline.test_pipeline import HEADER, tx
from tests.s3 import S3Server

PUSH = "/services/push/v1/customer/apps/myAppId"


def s3_harness(
    tmp_path: Path, s3: S3Server, database_url: str, **overrides: object
) -> Iterator[Harness]:
    bucket = s3.new_bucket()
    settings = make_settings(
        tmp_path / "data",
        database_url,
        storage_url=f"s3://{bucket}/lz",
        s3_endpoint_url=s3.endpoint_url,
        **overrides,
    )
    yield from build_harness(settings)


@pytest.fixture
def harness(tmp_path: Path, s3: S3Server, database_url: str) -> Iterator[Harness]:
    yield from s3_harness(tmp_path, s3, database_url)


def new_file(harness: Harness, headers: dict[str, str], name: str = "t.csv") -> dict[str, Any]:
    """A Files API transactions file, as POST /analytics/files/upload answers it."""
    response = harness.http.post(
        "/analytics/files/upload",
        json={"datasetType": "transactions", "file": {"name": name, "type": "csv"}},
        headers=headers,
    )
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    return created


def store(harness: Harness) -> S3ObjectStore:
    assert isinstance(harness.services.store, S3ObjectStore)
    return harness.services.store


def lander(harness: Harness) -> Lander:
    found = harness.services.lander
    assert found is not None
    return found


def keys(s3: S3Server, harness: Harness, under: str) -> dict[str, bytes]:
    return s3.keys(store(harness).bucket, f"lz/{under}")


def listed(harness: Harness, headers: dict[str, str]) -> dict[str, dict[str, object]]:
    response = harness.http.get(f"{PUSH}/files", headers=headers)
    assert response.status_code == 200, response.text
    return {f["name"]: f for f in response.json()["files"]}


def test_push_urls_point_at_s3_and_uploads_land_once(harness: Harness, s3: S3Server) -> None:
    headers = harness.auth(harness.tenant("acme"))
    urls = harness.http.get(
        f"{PUSH}/upload", params=[("filenames", "a.csv"), ("filenames", "b.csv")], headers=headers
    ).json()
    assert all(url.startswith(f"{s3.endpoint_url}/{store(harness).bucket}/lz/incoming/")
               for url in urls.values())  # fmt: skip
    bodies = {"a.csv": b"alpha\n" * 1000, "b.csv": b"beta\n"}
    for name, body in bodies.items():
        assert httpx.put(urls[name], content=body).status_code == 200
    assert listed(harness, headers) == {}  # S3 has it; landingzone has not seen it yet

    counts = lander(harness).land_all()
    assert (counts.landed, counts.discarded) == (2, 0)
    files = listed(harness, headers)
    assert {name: f["sha256"] for name, f in files.items()} == {
        name: hashlib.sha256(body).hexdigest() for name, body in bodies.items()
    }
    assert keys(s3, harness, "incoming/") == {}
    assert sorted(keys(s3, harness, "objects/").values()) == sorted(bodies.values())

    # A repeat PUT on a URL still in its lifetime: S3 takes it, landingzone discards it.
    assert httpx.put(urls["a.csv"], content=b"replaced").status_code == 200
    counts = lander(harness).land_all()
    assert (counts.landed, counts.discarded) == (0, 1)
    assert sorted(keys(s3, harness, "objects/").values()) == sorted(bodies.values())
    assert keys(s3, harness, "incoming/") == {}
    assert len(listed(harness, headers)) == 2


def test_two_landers_racing_keep_one_copy(harness: Harness, s3: S3Server) -> None:
    headers = harness.auth(harness.tenant("acme"))
    url = harness.http.get(f"{PUSH}/upload?filenames=r.csv", headers=headers).json()["r.csv"]
    assert httpx.put(url, content=b"race").status_code == 200
    [incoming] = list(store(harness).incoming())
    services, shared = harness.services, store(harness)

    class DiesBeforeDiscarding(S3ObjectStore):
        def discard_incoming(self, incoming: IncomingObject) -> None:
            pass

    class CheckedTooEarly(ObjectRepository):
        def upload_used(self, upload_id: str) -> bool:
            return False

    # The first lander dies after recording, before deleting the incoming object, and
    # the second checked the catalog before that record: the unique upload id decides.
    dying = DiesBeforeDiscarding(shared.client, S3Location(shared.bucket, shared.prefix))
    first = Lander(dying, services.targets, services.settings.max_object_size)
    early = UploadTargets(
        services.tenants,
        CheckedTooEarly(services.engine),
        services.files,
        services.dataset_repo,
        services.store,
    )
    second = Lander(shared, early, services.settings.max_object_size)
    assert first.land(incoming) is True
    assert second.land(incoming) is False
    assert list(keys(s3, harness, "objects/").values()) == [b"race"]
    assert keys(s3, harness, "incoming/") == {}
    # A lander still holding the listing finds the incoming object gone.
    assert second.land(incoming) is False
    assert list(keys(s3, harness, "objects/").values()) == [b"race"]
    with harness.services.engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(objects)).scalar_one() == 1


def test_files_api_upload_lands_and_validates(harness: Harness, s3: S3Server) -> None:
    harness.services.datasets.install_shipped()
    headers = harness.auth(harness.tenant("acme"))
    created = new_file(harness, headers)
    assert created["uploadUrl"].startswith(s3.endpoint_url)
    body = (HEADER + "".join(tx(i) for i in range(7))).encode()
    assert httpx.put(created["uploadUrl"], content=body).status_code == 200
    assert lander(harness).land_all().landed == 1
    status = harness.http.get(f"/analytics/files/{created['id']}", headers=headers).json()
    assert status["uploadedAt"] is not None
    assert status["file"]["sha256"] == hashlib.sha256(body).hexdigest()
    assert harness.services.pipeline().run_once() is True  # reads the object from S3
    status = harness.http.get(f"/analytics/files/{created['id']}", headers=headers).json()
    assert status["status"] == "Completed", status
    assert status["statistics"]["rowsImported"] == 7


def test_pushes_landed_from_s3_are_validated_only_when_tabular(
    harness: Harness, s3: S3Server
) -> None:
    harness.services.datasets.install_shipped()
    headers = harness.auth(harness.tenant("acme"))
    users = (
        b"user_id,email,name,department,status,created_date,last_login\n"
        b"u1,a@b.example,Ann,Ops,active,2024-01-02,2024-05-06T07:08:09\n"
    )
    bodies = {
        "contract.pdf": (b"%PDF-1.7\n\x00\x01binary", "contracts"),
        "users": (users, "users"),  # no extension, text: read from S3 to tell
        "blob": (b"\x00\x01\x02", "users"),  # no extension, binary
        "users.csv": (users.replace(b"a@b.example", b"nope"), "users"),
    }
    for name, (body, kind) in bodies.items():
        url = harness.http.get(
            f"{PUSH}/upload", params=[("filenames", name), ("type", kind)], headers=headers
        ).json()[name]
        assert httpx.put(url, content=body).status_code == 200
    assert lander(harness).land_all().landed == 4
    runner = harness.services.pipeline()
    while runner.run_once():
        pass
    files = listed(harness, headers)
    assert {name: f["status"] for name, f in files.items()} == {
        "contract.pdf": "Stored",
        "users": "Completed",
        "blob": "Stored",
        "users.csv": "Failed",
    }
    assert files["contract.pdf"]["id"] is None
    failed = files["users.csv"]
    assert failed["failureReason"] and failed["id"]
    detail = harness.http.get(f"/analytics/files/{failed['id']}", headers=headers).json()
    assert detail["status"] == "Failed"


def test_an_upload_for_a_failed_file_or_over_the_size_limit_is_discarded(
    tmp_path: Path, s3: S3Server
) -> None:
    database = f"sqlite:///{tmp_path / 'm.db'}"
    for harness in s3_harness(tmp_path, s3, database, max_object_size=10, s3_landing_grace=0):
        harness.services.datasets.install_shipped()
        headers = harness.auth(harness.tenant("acme"))
        url = harness.http.get(f"{PUSH}/upload?filenames=big.csv", headers=headers).json()
        assert httpx.put(url["big.csv"], content=b"x" * 11).status_code == 200
        created = new_file(harness, headers)
        assert httpx.put(created["uploadUrl"], content=b"tiny").status_code == 200
        harness.services.files.expire_unused()  # not expired: the URL is an hour old at most
        with harness.services.engine.begin() as conn:
            conn.exec_driver_sql("UPDATE files SET status = 'Failed'")
        counts = lander(harness).land_all()
        assert (counts.landed, counts.discarded) == (0, 2)
        assert keys(s3, harness, "") == {}
        assert listed(harness, headers) == {}


def test_expiry_waits_for_the_landing_grace(tmp_path: Path, s3: S3Server) -> None:
    database = f"sqlite:///{tmp_path / 'm.db'}"
    for harness in s3_harness(tmp_path, s3, database, upload_url_ttl=1, s3_landing_grace=600):
        harness.services.datasets.install_shipped()
        headers = harness.auth(harness.tenant("acme"))
        created = new_file(harness, headers)
        assert httpx.put(created["uploadUrl"], content=b"a,b\n").status_code == 200
        time.sleep(1.5)  # the URL has expired, but an upload that began in time may land late
        status = harness.http.get(f"/analytics/files/{created['id']}", headers=headers).json()
        assert status["status"] == "Pending"
        assert lander(harness).land_all().landed == 1
        status = harness.http.get(f"/analytics/files/{created['id']}", headers=headers).json()
        assert status["status"] == "Pending" and status["uploadedAt"] is not None


def test_the_embedded_endpoint_refuses_uploads_when_storage_is_s3(harness: Harness) -> None:
    harness.tenant("acme")
    settings = harness.services.settings
    signer = UrlSigner(harness.services.keys.url, settings.effective_public_url)
    url = signer.presign_put("log-connector-data/acme/myAppId/x.csv", int(time.time()) + 60)
    response = harness.http.put(url, content=b"x")
    assert response.status_code == 403
    assert "stores uploads in S3" in response.text


def test_readiness_checks_the_bucket(harness: Harness) -> None:
    assert harness.http.get("/readyz").status_code == 200
    store(harness).client.delete_bucket(Bucket=store(harness).bucket)
    response = harness.http.get("/readyz")
    assert response.status_code == 503
    assert "storage" in response.text


def big_transactions_upload(harness: Harness, headers: dict[str, str], rows: int) -> str:
    created = new_file(harness, headers, "big.csv")
    body = (HEADER + "".join(tx(i) for i in range(rows))).encode()
    assert len(body) > FAST_PATH_MIN_BYTES
    assert httpx.put(created["uploadUrl"], content=body).status_code == 200
    assert lander(harness).land_all().landed == 1
    file_id: str = created["id"]
    return file_id


def validated(harness: Harness, headers: dict[str, str], file_id: str) -> dict[str, Any]:
    """Run one pipeline step and return the file's status, which must be Completed."""
    assert harness.services.pipeline().run_once() is True
    status: dict[str, Any] = harness.http.get(f"/analytics/files/{file_id}", headers=headers).json()
    assert status["status"] == "Completed", status
    return status


def test_a_large_s3_object_is_spooled_for_the_fast_path(
    harness: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    harness.services.datasets.install_shipped()
    headers = harness.auth(harness.tenant("acme"))
    file_id = big_transactions_upload(harness, headers, 60_000)
    fast_runs: list[tuple[Path, bool]] = []
    real_run = FastPath.run

    def spy(self: FastPath, path: Path, *args: Any) -> Any:
        report = real_run(self, path, *args)
        fast_runs.append((path, report is not None))
        return report

    monkeypatch.setattr(FastPath, "run", spy)
    assert validated(harness, headers, file_id)["statistics"]["rowsImported"] == 60_000
    spool = harness.services.settings.data_dir / "spool"
    [(path, answered)] = fast_runs
    assert path.parent == spool and answered  # the fast path validated the local copy
    assert list(spool.iterdir()) == []  # and the copy is gone


def test_without_room_to_spool_the_object_is_streamed(
    harness: Harness, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    harness.services.datasets.install_shipped()
    headers = harness.auth(harness.tenant("acme"))
    file_id = big_transactions_upload(harness, headers, 60_000)

    def disk_full(storage_id: str, target: Path) -> None:
        target.write_bytes(b"partial")
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(store(harness), "download", disk_full)
    assert validated(harness, headers, file_id)["statistics"]["rowsImported"] == 60_000
    assert "streaming it" in caplog.text
    assert not list((harness.services.settings.data_dir / "spool").glob("*.spool"))


def test_upload_api_answers_503_when_the_store_is_down(harness: Harness) -> None:
    from tests.test_upload_api import Uploader

    uploader = Uploader(harness, "acme")
    store(harness).client.delete_bucket(Bucket=store(harness).bucket)
    data = "Reference,StartDate,StartTime,EndDate,EndTime\r\nu1,12/05/2024,09:00,12/05/2024,17:00"
    response = harness.http.post(
        "/UploadData", json=uploader.body("n", data), headers=uploader.headers
    )
    assert response.status_code == 503, response.text
    assert response.headers["retry-after"] == "30"
    assert "nothing was submitted: retry later" in response.json()["message"]
    customer = harness.services.tenants.get_customer_by_name("acme")
    assert customer is not None
    assert not harness.services.submissions.name_exists(customer.id, "n")


def test_many_uploads_land_in_one_poll(harness: Harness, s3: S3Server) -> None:
    headers = harness.auth(harness.tenant("acme"))
    names = [f"part-{i:02d}.csv" for i in range(40)]
    urls = harness.http.get(
        f"{PUSH}/upload", params=[("filenames", n) for n in names], headers=headers
    ).json()
    for name in names:
        assert httpx.put(urls[name], content=name.encode() * 10).status_code == 200
    counts = lander(harness).land_all()
    assert (counts.landed, counts.discarded) == (40, 0)
    files = listed(harness, headers)
    assert {name: f["sha256"] for name, f in files.items()} == {
        name: hashlib.sha256(name.encode() * 10).hexdigest() for name in names
    }
    assert keys(s3, harness, "incoming/") == {}
