"""The SDK's push against the real app, in process through an injected transport."""

from __future__ import annotations

import ast
import base64
import hashlib
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest
from sqlalchemy import select

import landingzone.client as sdk
from landingzone.client import Client, RetryPolicy
from landingzone.db.tables import objects
from tests.conftest import Credentials, Harness, build_harness, make_settings

FAST = RetryPolicy(attempts=5, backoff_seconds=0.001, max_backoff_seconds=0.01)
Fault = Callable[[httpx.Request], httpx.Response | None]


class InProcess(httpx.BaseTransport):
    """Forwards to the app's test client; ``fault`` may answer first (429, 503, ...)."""

    def __init__(self, harness: Harness, fault: Fault | None = None) -> None:
        self.harness = harness
        self.fault = fault
        self.seen: Counter[str] = Counter()

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        kind = "PUT" if request.method == "PUT" else request.url.path.rsplit("/", 1)[-1]
        self.seen[kind] += 1
        if self.fault and (answer := self.fault(request)):
            return answer
        body = request.read()
        response = self.harness.http.request(
            request.method, str(request.url), content=body, headers=dict(request.headers)
        )
        return httpx.Response(
            response.status_code, headers=response.headers, content=response.content
        )


def client(harness: Harness, creds: Credentials, transport: InProcess) -> Client:
    return Client(
        "http://testserver", creds.client_id, creds.client_secret, transport=transport, retry=FAST
    )


def files(tmp_path: Path, count: int, size: int = 100) -> list[Path]:
    paths = []
    for i in range(count):
        path = tmp_path / f"f{i:03d}.csv"
        path.write_bytes(f"{i},".encode() * (size // 4))
        paths.append(path)
    return paths


def test_the_sdk_imports_no_server_code_and_exports_what_it_lists() -> None:
    code = (
        "import sys, landingzone.client\n"
        "bad = [m for m in sys.modules if m.startswith('landingzone.') and not "
        "m.startswith('landingzone.client')]\n"
        "print(bad)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
    tree = ast.parse(Path(sdk.__file__).read_text())
    public = {
        node.name
        for node in tree.body
        if isinstance(node, ast.ClassDef | ast.FunctionDef) and not node.name.startswith("_")
    }
    assert public <= set(sdk.__all__)
    assert all(hasattr(sdk, name) for name in sdk.__all__)


def test_250_files_in_three_batches(harness: Harness, tmp_path: Path) -> None:
    creds = harness.tenant("acme")
    transport = InProcess(harness)
    seen: Counter[str] = Counter()
    paths = files(tmp_path, 250)
    with client(harness, creds, transport) as lz:
        results = lz.push("myAppId", paths, progress=lambda name, sent, size: seen.update([name]))
    assert transport.seen["upload"] == 3
    assert [r.outcome for r in results] == ["uploaded"] * 250
    for result in results[:5]:
        data = result.path.read_bytes()
        assert result.sha256 == hashlib.sha256(data).hexdigest()
        assert result.etag == hashlib.md5(data).hexdigest()
    assert set(seen) == {p.name for p in paths}
    with harness.services.engine.connect() as conn:
        stored = conn.execute(select(objects.c.filename, objects.c.sha256)).all()
    assert sorted(stored) == sorted((r.name, r.sha256) for r in results)


def test_429_and_503_are_retried_honouring_retry_after(
    harness: Harness, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    creds = harness.tenant("acme")
    failures = {"upload": [429, 503], "PUT": [503, 429]}
    waits: list[float] = []

    def fault(request: httpx.Request) -> httpx.Response | None:
        kind = "PUT" if request.method == "PUT" else request.url.path.rsplit("/", 1)[-1]
        pending = failures.get(kind)
        if pending:
            status = pending.pop(0)
            headers = {"Retry-After": "0"} if status == 429 else {}
            body = b"<Error><Code>SlowDown</Code><Message>busy</Message></Error>"
            return httpx.Response(status, headers=headers, content=body)
        return None

    transport = InProcess(harness, fault)
    with client(harness, creds, transport) as lz:
        lz.session._sleep = waits.append
        [result] = lz.push("myAppId", files(tmp_path, 1))
    assert result.outcome == "uploaded"
    assert transport.seen["upload"] == 3 and transport.seen["PUT"] == 3
    assert waits[0] == 0 and len(waits) == 4  # the 429's Retry-After: 0, then backoff


def test_an_expired_url_is_replaced_by_a_fresh_one(harness: Harness, tmp_path: Path) -> None:
    creds = harness.tenant("acme")
    expired = {"left": 1}

    def fault(request: httpx.Request) -> httpx.Response | None:
        if request.method == "PUT" and expired["left"]:
            expired["left"] -= 1
            body = b"<Error><Code>AccessDenied</Code><Message>Request has expired</Message></Error>"
            return httpx.Response(403, content=body)
        return None

    transport = InProcess(harness, fault)
    with client(harness, creds, transport) as lz:
        [result] = lz.push("myAppId", files(tmp_path, 1))
    assert result.outcome == "uploaded"
    assert transport.seen["upload"] == 2


def test_a_token_that_expires_mid_run_is_renewed_once(harness: Harness, tmp_path: Path) -> None:
    creds = harness.tenant("acme")
    transport = InProcess(harness)
    with client(harness, creds, transport) as lz:
        lz.push("myAppId", files(tmp_path, 1))
        lz.session._token = "expired.token.value"  # as if it ran out
        [result] = lz.push("myAppId", [files(tmp_path / "..", 1)[0]])
    assert result.outcome == "uploaded"
    assert transport.seen["token"] == 2


def test_errors_are_typed_with_the_servers_message(harness: Harness, tmp_path: Path) -> None:
    creds = harness.tenant("acme")
    wrong = Credentials(creds.client_id, "nope", creds.api_key, creds.customer)
    with (
        client(harness, wrong, InProcess(harness)) as lz,
        pytest.raises(sdk.AuthenticationError) as caught,
    ):
        lz.push("myAppId", files(tmp_path, 1))
    assert caught.value.status == 401 and "client" in caught.value.message
    with client(harness, creds, InProcess(harness)) as lz, pytest.raises(sdk.NotFound) as missing:
        lz.push("noSuchApp", files(tmp_path, 1))
    assert missing.value.status == 404


def test_a_bad_digest_fails_that_file_only(harness: Harness, tmp_path: Path) -> None:
    creds = harness.tenant("acme")

    def fault(request: httpx.Request) -> httpx.Response | None:
        if request.method == "PUT" and request.url.path.endswith("f001.csv"):
            request.headers["Content-MD5"] = base64.b64encode(b"0" * 16).decode()
        return None

    with client(harness, creds, InProcess(harness, fault)) as lz:
        results = lz.push("myAppId", files(tmp_path, 2))
    assert [r.outcome for r in results] == ["uploaded", "failed"]
    assert results[1].error is not None and "BadDigest" in results[1].error


def test_unreachable_server_is_a_typed_error(tmp_path: Path) -> None:
    def refuse(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("connection refused", request=request)

    with (
        Client("http://127.0.0.1:9", "id", "secret", transport=httpx.MockTransport(refuse),
               retry=FAST) as lz,
        pytest.raises(sdk.ServerUnreachable),
    ):  # fmt: skip
        lz.push("app", files(tmp_path, 1))


def test_a_set_cancel_event_sends_nothing(harness: Harness, tmp_path: Path) -> None:
    creds = harness.tenant("acme")
    cancel = threading.Event()
    cancel.set()
    transport = InProcess(harness)
    with client(harness, creds, transport) as lz:
        results = lz.push("myAppId", files(tmp_path, 3), cancel=cancel)
    assert [r.outcome for r in results] == ["cancelled"] * 3
    assert transport.seen["PUT"] == 0
    with harness.services.engine.connect() as conn:
        assert conn.execute(select(objects.c.id)).first() is None


def test_a_url_that_really_expires_before_the_upload_starts(tmp_path: Path) -> None:
    """The server's own expiry (LZ_UPLOAD_URL_TTL=2), not a simulated 403.

    Two seconds, not one: the fresh URL must outlive a busy CI machine's pause
    between the new batch request and its PUT, or the SDK rightly asks a third time.
    """
    settings = make_settings(tmp_path / "data", f"sqlite:///{tmp_path / 'm.db'}", upload_url_ttl=2)
    for harness in build_harness(settings):
        creds = harness.tenant("acme")
        first = {"put": True}

        def late(request: httpx.Request, first: dict[str, bool] = first) -> httpx.Response | None:
            if request.method == "PUT" and first["put"]:
                first["put"] = False
                time.sleep(2.5)  # the URL was issued 2 s ago: now it has expired
            return None

        transport = InProcess(harness, late)
        with client(harness, creds, transport) as lz:
            [result] = lz.push("myAppId", files(tmp_path, 1))
        assert result.outcome == "uploaded"
        assert transport.seen["upload"] == 2 and transport.seen["PUT"] == 2


@pytest.mark.parametrize("size", [0, 1000, 3 * 1024 * 1024 + 5])
def test_file_digests_in_one_read(tmp_path: Path, size: int) -> None:
    from landingzone.client.push import file_digests

    path = tmp_path / "f.bin"
    body = bytes(range(256)) * (size // 256) + b"x" * (size % 256)
    path.write_bytes(body)
    digests = file_digests(path)
    assert digests.content_md5 == base64.b64encode(hashlib.md5(body).digest()).decode()
    assert digests.sha256 == hashlib.sha256(body).hexdigest()
