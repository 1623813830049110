"""The embedded object endpoint (SPEC §6), through the ASGI app."""

from __future__ import annotations

import base64
import errno
import hashlib
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import pytest
from sqlalchemy import func, select
from starlette.testclient import TestClient

from landingzone.api.objects import DATABASE_DOWN, INTERNAL_ERROR, S3_ANSWERS, S3Answer
from landingzone.db.tables import objects
from landingzone.errors import Reason
from landingzone.storage import local
from tests.conftest import Harness, build_harness, make_settings

BASE = "/services/push/v1/customer/apps/myAppId"


def signed_url(harness: Harness, name: str = "a.csv", headers: dict[str, str] | None = None) -> str:
    if headers is None:
        headers = harness.auth(harness.tenant("acme"))
    response = harness.http.get(f"{BASE}/upload?filenames={name}", headers=headers)
    assert response.status_code == 200, response.text
    url: str = response.json()[name]
    return url


def object_count(harness: Harness) -> int:
    with harness.services.engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(objects)).scalar_one())


def stored_files(harness: Harness) -> list[Path]:
    return sorted(p for p in harness.services.local_store.objects_dir.rglob("*") if p.is_file())


def s3_code(body: str) -> str:
    return body.split("<Code>")[1].split("</Code>")[0]


def with_query(url: str, **changes: str) -> str:
    parts = urlsplit(url)
    query = dict(parse_qsl(parts.query))
    query.update(changes)
    return urlunsplit(parts._replace(query=urlencode(query)))


def test_put_stores_bytes_durably_and_answers_etag(harness: Harness) -> None:
    url = signed_url(harness)
    response = harness.http.put(url, content=b"Hello world")
    assert response.status_code == 200
    assert response.content == b""
    assert response.headers["etag"] == f'"{hashlib.md5(b"Hello world").hexdigest()}"'
    [path] = stored_files(harness)
    assert path.read_bytes() == b"Hello world"
    with harness.services.engine.connect() as conn:
        row = conn.execute(select(objects)).one()
    assert row.sha256 == hashlib.sha256(b"Hello world").hexdigest()
    assert row.size == 11
    assert row.object_key == "log-connector-data/acme/myAppId/a.csv"
    # Bytes live under a generated id, never a path built from the filename.
    assert path.name == row.storage_id
    assert "a.csv" not in str(path)
    assert list(harness.services.local_store.staging_dir.iterdir()) == []


def test_empty_body_is_a_valid_object(harness: Harness) -> None:
    url = signed_url(harness)
    assert harness.http.put(url, content=b"").status_code == 200
    assert stored_files(harness)[0].read_bytes() == b""


def test_second_put_is_403_already_used(harness: Harness) -> None:
    url = signed_url(harness)
    assert harness.http.put(url, content=b"one").status_code == 200
    response = harness.http.put(url, content=b"two")
    assert response.status_code == 403
    assert s3_code(response.text) == "AccessDenied"
    assert "already been used" in response.text
    assert stored_files(harness)[0].read_bytes() == b"one"


def test_pushing_a_name_again_keeps_the_earlier_version(harness: Harness) -> None:
    headers = harness.auth(harness.tenant("acme"))
    for body in (b"first", b"second"):
        url = signed_url(harness, "a.csv", headers)
        assert harness.http.put(url, content=body).status_code == 200
    with harness.services.engine.connect() as conn:
        rows = conn.execute(select(objects).order_by(objects.c.version)).all()
    assert [r.version for r in rows] == [1, 2]
    contents = {r.version: harness.services.store.open(r.storage_id).read() for r in rows}
    assert contents == {1: b"first", 2: b"second"}


@pytest.mark.parametrize(
    "mutate",
    [
        "signature",
        "expires",
        "superscript-expires",
        "upload",
        "extra-param",
        "path",
        "dropped-param",
    ],
)
def test_any_change_to_the_url_is_rejected(sqlite_harness: Harness, mutate: str) -> None:
    url = signed_url(sqlite_harness)
    if mutate == "signature":
        bad = with_query(url, **{"X-Lz-Signature": "A" * 43})
    elif mutate == "expires":
        bad = with_query(url, **{"X-Lz-Expires": str(int(time.time()) + 99999)})
    elif mutate == "superscript-expires":  # "²".isdigit() is True, int("²") raises
        bad = with_query(url, **{"X-Lz-Expires": "\u00b2"})
    elif mutate == "upload":
        bad = with_query(url, **{"X-Lz-Upload": "another"})
    elif mutate == "extra-param":
        bad = url + "&x=1"
    elif mutate == "path":
        bad = url.replace("/a.csv?", "/b.csv?")
    else:
        parts = urlsplit(url)
        query = [p for p in parse_qsl(parts.query) if p[0] != "X-Lz-Signature"]
        bad = urlunsplit(parts._replace(query=urlencode(query)))
    response = sqlite_harness.http.put(bad, content=b"x")
    assert response.status_code == 403
    expected = "AccessDenied" if mutate == "dropped-param" else "SignatureDoesNotMatch"
    assert s3_code(response.text) == expected
    assert response.headers["content-type"] == "application/xml"
    assert object_count(sqlite_harness) == 0


def test_expired_url_is_403(tmp_path: Path) -> None:
    settings = make_settings(tmp_path / "d", f"sqlite:///{tmp_path / 'm.db'}", upload_url_ttl=1)
    for harness in build_harness(settings):
        url = signed_url(harness)
        time.sleep(2.1)
        response = harness.http.put(url, content=b"late")
        assert response.status_code == 403
        assert "Request has expired" in response.text
        assert object_count(harness) == 0


@pytest.mark.parametrize("method", ["GET", "POST", "DELETE", "HEAD"])
def test_other_methods_are_405(sqlite_harness: Harness, method: str) -> None:
    url = signed_url(sqlite_harness)
    response = sqlite_harness.http.request(method, url)
    assert response.status_code == 405
    assert response.headers["allow"] == "PUT"


def test_declared_oversize_is_refused_before_reading(tmp_path: Path) -> None:
    settings = make_settings(tmp_path / "d", f"sqlite:///{tmp_path / 'm.db'}", max_object_size=10)
    for harness in build_harness(settings):
        url = signed_url(harness)
        response = harness.http.put(url, content=b"x" * 11)
        assert response.status_code == 400
        assert s3_code(response.text) == "EntityTooLarge"
        assert "exceeds the maximum allowed size of 10 bytes." in response.text
        assert object_count(harness) == 0
        assert harness.http.put(url, content=b"x" * 10).status_code == 200


def test_streamed_oversize_is_refused_and_stores_nothing(tmp_path: Path) -> None:
    settings = make_settings(tmp_path / "d", f"sqlite:///{tmp_path / 'm.db'}", max_object_size=10)
    for harness in build_harness(settings):
        url = signed_url(harness)

        def chunks() -> Iterator[bytes]:  # no Content-Length: chunked transfer encoding
            yield b"x" * 6
            yield b"x" * 6

        response = harness.http.put(url, content=chunks())
        assert response.status_code == 400
        assert s3_code(response.text) == "EntityTooLarge"
        assert stored_files(harness) == []
        assert list(harness.services.local_store.staging_dir.iterdir()) == []


def test_content_md5_is_verified(sqlite_harness: Harness) -> None:
    url = signed_url(sqlite_harness)
    wrong = base64.b64encode(hashlib.md5(b"other").digest()).decode()
    response = sqlite_harness.http.put(url, content=b"data", headers={"Content-MD5": wrong})
    assert response.status_code == 400
    assert s3_code(response.text) == "BadDigest"
    invalid = sqlite_harness.http.put(url, content=b"data", headers={"Content-MD5": "zz"})
    assert invalid.status_code == 400
    assert s3_code(invalid.text) == "InvalidDigest"
    assert object_count(sqlite_harness) == 0
    right = base64.b64encode(hashlib.md5(b"data").digest()).decode()
    ok = sqlite_harness.http.put(url, content=b"data", headers={"Content-MD5": right})
    assert ok.status_code == 200


def test_a_put_while_another_is_in_flight_is_409(sqlite_harness: Harness) -> None:
    url = signed_url(sqlite_harness)
    upload_id = dict(parse_qsl(urlsplit(url).query))["X-Lz-Upload"]
    in_flight = sqlite_harness.services.local_store.begin_upload(upload_id)
    try:
        response = sqlite_harness.http.put(url, content=b"x")
        assert response.status_code == 409
        assert s3_code(response.text) == "OperationAborted"
    finally:
        in_flight.abort()
    assert sqlite_harness.http.put(url, content=b"x").status_code == 200


def test_full_disk_is_503_slow_down_and_the_url_stays_usable(
    sqlite_harness: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = signed_url(sqlite_harness)

    def full(fd: int, block: bytes) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(local, "_write_all", full)
    response = sqlite_harness.http.put(url, content=b"x" * 100)
    assert response.status_code == 503
    assert s3_code(response.text) == "SlowDown"
    assert int(response.headers["retry-after"]) > 0
    assert stored_files(sqlite_harness) == []
    assert list(sqlite_harness.services.local_store.staging_dir.iterdir()) == []
    monkeypatch.undo()
    assert sqlite_harness.http.put(url, content=b"x" * 100).status_code == 200


def test_large_body_is_streamed_and_hashed(sqlite_harness: Harness) -> None:
    url = signed_url(sqlite_harness)
    body = bytes(range(256)) * 40_000 + b"tail"  # ~10 MB, not a multiple of the block size

    def chunks() -> Iterator[bytes]:
        for start in range(0, len(body), 65_536):
            yield body[start : start + 65_536]

    response = sqlite_harness.http.put(url, content=chunks())
    assert response.status_code == 200
    assert response.headers["etag"] == f'"{hashlib.md5(body).hexdigest()}"'
    [path] = stored_files(sqlite_harness)
    assert hashlib.sha256(path.read_bytes()).hexdigest() == hashlib.sha256(body).hexdigest()


def test_unicode_filenames_round_trip(sqlite_harness: Harness) -> None:
    headers = sqlite_harness.auth(sqlite_harness.tenant("acme"))
    name = "résumé 100%.csv"
    response = sqlite_harness.http.get(
        f"{BASE}/upload", params={"filenames": name}, headers=headers
    )
    url = response.json()[name]
    assert sqlite_harness.http.put(url, content=b"x").status_code == 200
    listing = sqlite_harness.http.get(f"{BASE}/files", headers=headers).json()
    assert listing["files"][0]["name"] == name


def test_a_failed_catalog_write_removes_the_bytes_and_keeps_the_url(
    sqlite_harness: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = signed_url(sqlite_harness)
    catalog = sqlite_harness.services.objects
    real_record = catalog.record

    def broken(*_args: object) -> None:
        raise RuntimeError("database unavailable")

    monkeypatch.setattr(catalog, "record", broken)
    quiet = TestClient(sqlite_harness.http.app, raise_server_exceptions=False)
    response = quiet.put(url, content=b"bytes")
    assert response.status_code == 500
    assert s3_code(response.text) == "InternalError"
    assert stored_files(sqlite_harness) == []
    monkeypatch.setattr(catalog, "record", real_record)
    assert sqlite_harness.http.put(url, content=b"bytes").status_code == 200


DENIED = (403, "AccessDenied")
# The wire words of every refusal, as S3 clients and docs/errors.md know them: changing
# one is a change of the API, not a refactoring.
PINNED_S3_ANSWERS = {
    Reason.WRONG_METHOD: (
        405,
        "MethodNotAllowed",
        "The specified method is not allowed: signed URLs take PUT.",
        {"Allow": "PUT"},
    ),
    Reason.MISSING_AUTH: (
        *DENIED,
        "Query-string authentication requires the X-Lz-Upload, X-Lz-Expires and "
        "X-Lz-Signature parameters: use the signed URL exactly as issued.",
        {},
    ),
    Reason.SIGNATURE: (
        403,
        "SignatureDoesNotMatch",
        "The request signature we calculated does not match the signature you provided. "
        "Use the URL exactly as issued, with PUT.",
        {},
    ),
    Reason.EXPIRED: (*DENIED, "Request has expired: ask for a new upload URL.", {}),
    Reason.STORE_MOVED: (
        *DENIED,
        "This server now stores uploads in S3 and no longer accepts them on its own "
        "URLs: ask for a new upload URL.",
        {},
    ),
    Reason.USED: (*DENIED, "Request has already been used: ask for a new upload URL.", {}),
    Reason.TARGET_GONE: (*DENIED, "The upload target of this URL no longer exists.", {}),
    Reason.FILE_CLOSED: (*DENIED, "The file is {status}: ask for a new upload URL.", {}),
    Reason.IN_FLIGHT: (
        409,
        "OperationAborted",
        "Another upload to this URL is in progress; wait for it to finish.",
        {},
    ),
    Reason.BAD_LENGTH: (
        400,
        "InvalidArgument",
        "Content-Length must be a whole number of bytes.",
        {},
    ),
    Reason.TOO_LARGE: (
        400,
        "EntityTooLarge",
        "Your proposed upload exceeds the maximum allowed size of {limit} bytes.",
        {},
    ),
    Reason.INVALID_DIGEST: (400, "InvalidDigest", "The Content-MD5 you specified was invalid.", {}),
    Reason.BAD_DIGEST: (
        400,
        "BadDigest",
        "The Content-MD5 you specified did not match what we received.",
        {},
    ),
    Reason.INCOMPLETE: (
        400,
        "IncompleteBody",
        "You did not provide the number of bytes specified by the Content-Length HTTP header.",
        {},
    ),
    Reason.STORE_FULL: (
        503,
        "SlowDown",
        "The object store is out of space; retry later.",
        {"Retry-After": "30"},
    ),
}


def as_tuple(answer: S3Answer) -> tuple[int, str, str, dict[str, str]]:
    return answer.status, answer.code, answer.message, dict(answer.headers)


def test_the_s3_answers_are_pinned() -> None:
    assert {reason: as_tuple(answer) for reason, answer in S3_ANSWERS.items()} == (
        PINNED_S3_ANSWERS
    )
    assert as_tuple(DATABASE_DOWN) == (
        503,
        "SlowDown",
        "Please reduce your request rate: the metadata database is unavailable; "
        "nothing was stored. Retry.",
        {"Retry-After": "5"},
    )
    assert as_tuple(INTERNAL_ERROR) == (
        500,
        "InternalError",
        "We encountered an internal error. Retry.",
        {},
    )
