"""The S3 object store against moto's S3 server over HTTP."""

from __future__ import annotations

import datetime
import hashlib
import io
import os
import time
from urllib.parse import parse_qs, urlparse

import httpx
import pytest

from landingzone.errors import ConfigurationError, StorageUnavailable
from landingzone.storage.s3 import S3Location, S3ObjectStore
from landingzone.storage.s3_signing import S3UrlSigner
from tests.s3 import S3Server


def store_on(s3: S3Server, prefix: str = "lz/") -> S3ObjectStore:
    return S3ObjectStore(s3.client(), S3Location(s3.new_bucket(), prefix))


def test_location_parsing() -> None:
    assert S3Location.parse("s3://my-bucket") == S3Location("my-bucket", "")
    assert S3Location.parse("s3://my-bucket/a/b/") == S3Location("my-bucket", "a/b/")
    for bad in ("s3://", "s3://UPPER/x", "s3://a", "http://bucket/x"):
        with pytest.raises(ConfigurationError, match="s3://BUCKET"):
            S3Location.parse(bad)


def test_put_open_size_delete_round_trip(s3: S3Server) -> None:
    store = store_on(s3)
    body = os.urandom(3 * 1024 * 1024 + 17)  # several read blocks, not a multiple of one
    sid = store.put(io.BytesIO(body))
    assert set(s3.keys(store.bucket)) == {store.key_for(sid)}
    assert store.key_for(sid).startswith("lz/objects/")
    assert store.size(sid) == len(body)
    with store.open(sid) as source:
        first = source.read(10)
        rest = source.read()
    assert first + rest == body
    assert store.local_path(sid) is None
    digests = store.digests(sid)
    assert (digests.size, digests.sha256) == (len(body), hashlib.sha256(body).hexdigest())
    assert digests.md5 == hashlib.md5(body).hexdigest()
    store.ping()
    store.delete(sid)
    assert s3.keys(store.bucket) == {}
    with pytest.raises(ValueError, match="storage id"):
        store.key_for("../../etc")


def test_ping_fails_for_a_missing_bucket(s3: S3Server) -> None:
    store = S3ObjectStore(s3.client(), S3Location("no-such-bucket-here", ""))
    with pytest.raises(StorageUnavailable, match="no-such-bucket-here does not exist"):
        store.ping()


def test_old_ids_for_orphan_reconciliation(s3: S3Server) -> None:
    store = store_on(s3)
    sid = store.put(io.BytesIO(b"x"))
    assert store.storage_ids() == [sid]
    assert store.storage_ids_older_than(3600, time.time()) == []
    assert store.storage_ids_older_than(3600, time.time() + 7200) == [sid]


def test_presigned_put_lands_in_incoming_and_is_adopted_as_an_immutable_copy(
    s3: S3Server,
) -> None:
    store = store_on(s3)
    signer = S3UrlSigner(store, s3.endpoint_url, "us-east-1")
    key = "log-connector-data/acme/myAppId/report 1.csv"
    url = signer.presign_put(key, int(time.time()) + 600, "upload-1")
    parsed = urlparse(url)
    assert (
        parsed.path
        == f"/{store.bucket}/lz/incoming/upload-1/log-connector-data/acme/myAppId/report%201.csv"
    )
    query = parse_qs(parsed.query)
    assert query["X-Amz-Algorithm"] == ["AWS4-HMAC-SHA256"]
    assert 595 <= int(query["X-Amz-Expires"][0]) <= 600

    assert httpx.put(url, content=b"first").status_code == 200
    # A key landingzone never signs is not an upload and is left alone.
    s3.client().put_object(Bucket=store.bucket, Key="lz/incoming/stray", Body=b"?")
    [incoming] = list(store.incoming())
    assert (incoming.upload_id, incoming.logical_key, incoming.size) == ("upload-1", key, 5)

    sid = store.adopt(incoming)
    assert sid is not None
    # A second PUT on the same URL replaces the incoming object, never the adopted copy.
    assert httpx.put(url, content=b"second!").status_code == 200
    with store.open(sid) as source:
        assert source.read() == b"first"
    store.discard_incoming(incoming)
    assert sorted(s3.keys(store.bucket, "lz/incoming/")) == ["lz/incoming/stray"]


def test_cleanup_aborts_only_old_multipart_uploads(s3: S3Server) -> None:
    store = store_on(s3)
    client = s3.client()
    client.create_multipart_upload(Bucket=store.bucket, Key=store.key_for("a" * 32))
    # moto dates every multipart upload 2010-11-10, so "young" is judged against now.
    assert store.cleanup_staging(older_than=time.time()) == 0  # may belong to a live put
    assert store.cleanup_staging() == 1
    assert client.list_multipart_uploads(Bucket=store.bucket).get("Uploads", []) == []


def test_urls_are_signed_exactly_as_botocore_signs_them(
    s3: S3Server, monkeypatch: pytest.MonkeyPatch
) -> None:
    """obstore signs; botocore, AWS's own SDK, must compute the same SigV4 signature."""
    import botocore.auth
    from botocore.awsrequest import AWSRequest
    from botocore.credentials import Credentials

    store = store_on(s3, "lz/")
    key = "log-connector-data/acme/myAppId/Q3 report é+1.csv"
    url = S3UrlSigner(store, s3.endpoint_url, "us-east-1").presign_put(
        key, int(time.time()) + 900, "up-1"
    )
    query = parse_qs(urlparse(url).query)
    signed_at = datetime.datetime.strptime(query["X-Amz-Date"][0], "%Y%m%dT%H%M%SZ")

    monkeypatch.setattr(botocore.auth, "get_current_datetime", lambda: signed_at)
    auth = botocore.auth.S3SigV4QueryAuth(
        Credentials("testing", "testing"), "s3", "us-east-1",
        expires=int(query["X-Amz-Expires"][0]),
    )  # fmt: skip
    request = AWSRequest(method="PUT", url=url.split("?", 1)[0])
    auth.add_auth(request)
    assert isinstance(request.url, str)
    expected = parse_qs(urlparse(request.url).query)
    assert query["X-Amz-Signature"] == expected["X-Amz-Signature"]
    assert query["X-Amz-Credential"] == expected["X-Amz-Credential"]
    assert urlparse(url).path == urlparse(request.url).path
