"""The SDK's downloads: stored bytes to disk, atomically, on local disk and S3 (in process)."""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest

from landingzone.client import Client, IntegrityError, NotFound
from landingzone.client.downloads import disposition_name
from tests.client.test_sdk_push import FAST
from tests.conftest import Harness
from tests.s3 import S3Server
from tests.test_s3_landing import s3_harness

BODY = b"id,name\n" + b"".join(b"%d,n%d\n" % (i, i) for i in range(1000))
Rewrite = Callable[[httpx.Request, httpx.Response], httpx.Response]


class Routed(httpx.BaseTransport):
    """The app in process for http://testserver (redirects not followed, as on the wire);
    any other host (moto's S3) over the network. Records each request."""

    def __init__(self, harness: Harness, rewrite: Rewrite | None = None) -> None:
        self.harness = harness
        self.network = httpx.HTTPTransport()
        self.rewrite = rewrite
        self.requests: list[httpx.Request] = []

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        if request.url.host != "testserver":
            return self.network.handle_request(request)
        answer = self.harness.http.request(
            request.method, str(request.url), content=request.read(),
            headers=dict(request.headers), follow_redirects=False,
        )  # fmt: skip
        response = httpx.Response(
            answer.status_code, headers=answer.headers, content=answer.content
        )
        return self.rewrite(request, response) if self.rewrite else response


def sdk(harness: Harness, transport: Routed) -> Client:
    creds = harness.tenant("acme")
    return Client("http://testserver", creds.client_id, creds.client_secret,
                  transport=transport, retry=FAST)  # fmt: skip


def push_and_file(lz: Client, tmp_path: Path) -> str:
    """Push BODY as a.csv twice (v1 'old'), upload a Files API file; its id."""
    source = tmp_path / "src"
    source.mkdir()
    (source / "a.csv").write_bytes(b"old\n")
    assert lz.push("myAppId", [source / "a.csv"])[0].outcome == "uploaded"
    (source / "a.csv").write_bytes(BODY)
    assert lz.push("myAppId", [source / "a.csv"])[0].outcome == "uploaded"
    (source / "tx.csv").write_bytes(b"transaction_id\ntx1\n")
    return lz.files.upload("transactions", source / "tx.csv", wait=False).id


def leftovers(directory: Path) -> list[str]:
    return sorted(p.name for p in directory.iterdir() if p.name.endswith(".part"))


def test_download_to_a_directory_a_path_and_an_older_version(
    harness: Harness, tmp_path: Path
) -> None:
    harness.services.datasets.install_shipped()
    out = tmp_path / "out"
    out.mkdir()
    with sdk(harness, Routed(harness)) as lz:
        file_id = push_and_file(lz, tmp_path)
        seen: list[tuple[str, int, int]] = []

        def record(name: str, received: int, size: int) -> None:
            seen.append((name, received, size))

        saved = lz.download_object("myAppId", "a.csv", out, progress=record)
        assert saved == out / "a.csv" and saved.read_bytes() == BODY
        assert seen[-1] == ("a.csv", len(BODY), len(BODY))
        older = lz.download_object("myAppId", "a.csv", out / "old.csv", 1)
        assert older == out / "old.csv" and older.read_bytes() == b"old\n"
        filed = lz.download_file(file_id, out)
        assert filed == out / "tx.csv" and filed.read_bytes() == b"transaction_id\ntx1\n"

        # Refusing to overwrite leaves the existing file as it was.
        with pytest.raises(FileExistsError):
            lz.download_object("myAppId", "a.csv", out / "old.csv", overwrite=False)
        with pytest.raises(FileExistsError):
            lz.download_object("myAppId", "a.csv", out, 1, overwrite=False)
        assert (out / "old.csv").read_bytes() == b"old\n"
        assert lz.download_object("myAppId", "a.csv", out / "old.csv").read_bytes() == BODY

        with pytest.raises(NotFound):
            lz.download_object("myAppId", "nope.csv", out)
        with pytest.raises(NotFound):
            lz.download_file("nope", out)
    assert leftovers(out) == []
    assert sorted(p.name for p in out.iterdir()) == ["a.csv", "old.csv", "tx.csv"]


def test_corrupted_bytes_are_not_saved(harness: Harness, tmp_path: Path) -> None:
    def corrupt(request: httpx.Request, response: httpx.Response) -> httpx.Response:
        if request.url.path.endswith("/content") and response.status_code == 200:
            return httpx.Response(
                200, headers=response.headers, content=b"X" + response.content[1:]
            )
        return response

    with sdk(harness, Routed(harness, corrupt)) as lz:
        source = tmp_path / "a.csv"
        source.write_bytes(BODY)
        lz.push("myAppId", [source])
        target = tmp_path / "copy.csv"
        with pytest.raises(IntegrityError, match="SHA-256"):
            lz.download_object("myAppId", "a.csv", target)
    assert not target.exists()
    assert leftovers(tmp_path) == []


def test_a_server_error_is_retried(harness: Harness, tmp_path: Path) -> None:
    failures = [503]

    def flaky(request: httpx.Request, response: httpx.Response) -> httpx.Response:
        if request.url.path.endswith("/content") and failures:
            return httpx.Response(failures.pop(), json={"code": "503", "message": "x"})
        return response

    with sdk(harness, Routed(harness, flaky)) as lz:
        source = tmp_path / "a.csv"
        source.write_bytes(BODY)
        lz.push("myAppId", [source])
        assert lz.download_object("myAppId", "a.csv", tmp_path / "b.csv").read_bytes() == BODY
    assert failures == []


@pytest.fixture
def s3_app(tmp_path: Path, s3: S3Server) -> Iterator[Harness]:
    yield from s3_harness(tmp_path, s3, f"sqlite:///{tmp_path / 's3.db'}")


def test_on_s3_the_redirect_is_followed_without_the_token(s3_app: Harness, tmp_path: Path) -> None:
    harness = s3_app
    transport = Routed(harness)
    with sdk(harness, transport) as lz:
        source = tmp_path / "résumé.csv"
        source.write_bytes(BODY)
        lz.push("myAppId", [source])
        lander = harness.services.lander
        assert lander is not None
        lander.land_all()
        out = tmp_path / "out"
        out.mkdir()
        saved = lz.download_object("myAppId", "résumé.csv", out)
    assert saved == out / "résumé.csv"
    assert hashlib.sha256(saved.read_bytes()).hexdigest() == hashlib.sha256(BODY).hexdigest()
    (to_store,) = [
        r for r in transport.requests if r.method == "GET" and r.url.host != "testserver"
    ]
    assert "X-Amz-Signature" in str(to_store.url)
    assert "authorization" not in to_store.headers


@pytest.mark.parametrize(
    ("header", "name"),
    [
        ('attachment; filename="a.csv"', "a.csv"),
        ("attachment; filename=plain.txt", "plain.txt"),
        (
            "attachment; filename=\"r_sum_.csv\"; filename*=UTF-8''r%C3%A9sum%C3%A9.csv",
            "résumé.csv",
        ),
        ('attachment; filename="../../etc/passwd"', "passwd"),
        ('attachment; filename="a\\\\b"', "b"),
        ('attachment; filename=".."', None),
        ("attachment; filename*=UTF-8''%FF", None),
        ("attachment", None),
        (None, None),
    ],
)
def test_disposition_names_are_safe_to_save_under(header: str | None, name: str | None) -> None:
    assert disposition_name(header) == name
