"""HTTP edges (issue 12 point 2): bodies that stall, lie about their length, never end or
arrive before authentication, driven straight through the ASGI app with scripted ``receive``.

A scripted ``receive`` shows what a test client cannot: whether the app read
the body at all, and what it answers when the next chunk never comes.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import anyio
import pytest

from tests.conftest import Harness, build_harness, make_settings
from tests.test_objects import object_count, s3_code, signed_url, stored_files

MIB = 1024 * 1024


@dataclass
class Answer:
    status: int
    headers: dict[str, str]
    body: bytes
    reads: int  # how many times the app called receive

    @property
    def text(self) -> str:
        return self.body.decode()


@dataclass
class Script:
    """What the client sends: body messages, then a stall, a disconnect or nothing more."""

    chunks: list[bytes] = field(default_factory=list)
    then: str = "end"  # "end": the last chunk ends the body; "stall"; "disconnect"


def call(
    harness: Harness, method: str, url: str, headers: dict[str, str], script: Script
) -> Answer:
    parts = urlsplit(url)
    scope: dict[str, Any] = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": method,
        "scheme": "http",
        "path": parts.path,
        "raw_path": parts.path.encode(),
        "query_string": parts.query.encode(),
        "root_path": "",
        "headers": [(k.lower().encode(), v.encode()) for k, v in headers.items()],
        "client": ("127.0.0.1", 50000),
        "server": ("testserver", 80),
    }
    messages: list[dict[str, Any]] = []
    reads = 0

    async def receive() -> dict[str, Any]:
        nonlocal reads
        reads += 1
        if reads <= len(script.chunks):
            last = reads == len(script.chunks) and script.then == "end"
            return {"type": "http.request", "body": script.chunks[reads - 1], "more_body": not last}
        if not script.chunks and script.then == "end" and reads == 1:
            return {"type": "http.request", "body": b"", "more_body": False}
        if script.then == "stall":
            await anyio.sleep_forever()
        if script.then == "disconnect" or reads > len(script.chunks):
            # After the body (or instead of the rest of it) the client is gone.
            await anyio.sleep(0 if script.then == "disconnect" else 3600)
        return {"type": "http.disconnect"}

    async def send(message: dict[str, Any]) -> None:
        messages.append(message)

    async def run() -> None:
        with anyio.fail_after(30):
            await harness.http.app(scope, receive, send)  # type: ignore[arg-type]

    anyio.run(run)
    start = next((m for m in messages if m["type"] == "http.response.start"), None)
    assert start is not None, "no answer at all"
    body = b"".join(m.get("body", b"") for m in messages if m["type"] == "http.response.body")
    answer_headers = {k.decode(): v.decode() for k, v in start["headers"]}
    return Answer(start["status"], answer_headers, body, reads)


@pytest.fixture
def quick(tmp_path: Path) -> Iterator[Harness]:
    """A harness whose body idle timeout is short, so a stall is answered within the test."""
    settings = make_settings(
        tmp_path / "data", f"sqlite:///{tmp_path / 'm.db'}", body_idle_timeout=0.3
    )
    yield from build_harness(settings)


def test_put_without_any_length_is_411_and_the_url_stays_usable(sqlite_harness: Harness) -> None:
    url = signed_url(sqlite_harness)
    answer = call(sqlite_harness, "PUT", url, {}, Script())
    assert answer.status == 411
    assert s3_code(answer.text) == "MissingContentLength"
    assert "Content-Length" in answer.text
    assert object_count(sqlite_harness) == 0
    assert sqlite_harness.http.put(url, content=b"the data").status_code == 200
    assert stored_files(sqlite_harness)[0].read_bytes() == b"the data"


@pytest.mark.parametrize("value", ["12abc", "-1", "1e3", "5, 6", ""])
def test_malformed_content_length_is_400_invalid_argument(
    sqlite_harness: Harness, value: str
) -> None:
    url = signed_url(sqlite_harness)
    answer = call(sqlite_harness, "PUT", url, {"content-length": value}, Script([b"hello"]))
    assert answer.status == 400
    assert s3_code(answer.text) == "InvalidArgument"
    assert answer.reads == 0
    assert sqlite_harness.http.put(url, content=b"hello").status_code == 200


def test_content_length_with_chunked_is_400(sqlite_harness: Harness) -> None:
    url = signed_url(sqlite_harness)
    both = {"content-length": "5", "transfer-encoding": "chunked"}
    answer = call(sqlite_harness, "PUT", url, both, Script([b"hello"]))
    assert answer.status == 400
    assert s3_code(answer.text) == "InvalidArgument"
    headers = {**sqlite_harness.auth(sqlite_harness.new_client("acme")), **both}
    json_answer = call(sqlite_harness, "POST", "/UploadData", headers, Script([b"{}"]))
    assert json_answer.status == 400
    assert json_answer.headers["content-type"] == "application/json"


def test_stalled_put_is_request_timeout_closed_and_the_url_stays_usable(quick: Harness) -> None:
    url = signed_url(quick)
    answer = call(quick, "PUT", url, {"content-length": "100"}, Script([b"x" * 10], then="stall"))
    assert answer.status == 400
    assert s3_code(answer.text) == "RequestTimeout"
    assert answer.headers["connection"] == "close"
    assert object_count(quick) == 0
    assert list(quick.services.local_store.staging_dir.iterdir()) == []
    assert quick.http.put(url, content=b"y" * 100).status_code == 200


def test_stalled_json_body_is_408(quick: Harness) -> None:
    headers = {**quick.auth(quick.tenant("acme")), "content-length": "100"}
    answer = call(quick, "POST", "/UploadData", headers, Script([b'{"Na'], then="stall"))
    assert answer.status == 408
    assert answer.headers["connection"] == "close"
    assert "stalled" in answer.text


def test_unauthenticated_body_is_refused_before_it_is_read(sqlite_harness: Harness) -> None:
    """300 MiB to /analytics/files/upload without a token once took the worker to 1.1 GiB."""
    declared = {"content-length": str(300 * MIB), "content-type": "application/json"}
    for path in ("/analytics/files/upload", "/UploadData", "/api/UploadData"):
        answer = call(sqlite_harness, "POST", path, declared, Script([b"{" * MIB]))
        assert answer.status == 401, path
        assert answer.reads == 0, path
        bad = {**declared, "authorization": "Bearer not-a-token"}
        assert call(sqlite_harness, "POST", path, bad, Script([b"{"])).status == 401


def test_declared_oversize_json_body_is_413_before_it_is_read(sqlite_harness: Harness) -> None:
    headers = {
        **sqlite_harness.auth(sqlite_harness.tenant("acme")),
        "content-length": str(300 * MIB),
        "content-type": "application/json",
    }
    for path in ("/analytics/files/upload", "/UploadData"):
        answer = call(sqlite_harness, "POST", path, headers, Script([b"{" * MIB]))
        assert answer.status == 413, path
        assert answer.reads == 0, path
        assert "limit" in answer.text


def test_streamed_oversize_json_body_is_413_while_streaming(sqlite_harness: Harness) -> None:
    headers = {
        **sqlite_harness.auth(sqlite_harness.tenant("acme")),
        "transfer-encoding": "chunked",
        "content-type": "application/json",
    }
    chunks = [b" " * (256 * 1024)] * 40  # 10 MiB against the 1 MiB limit
    answer = call(sqlite_harness, "POST", "/analytics/files/upload", headers, Script(chunks))
    assert answer.status == 413
    assert answer.reads <= 6  # stopped at the limit, not after the whole body


def test_client_disconnect_mid_body_is_quiet(
    sqlite_harness: Harness, caplog: pytest.LogCaptureFixture
) -> None:
    headers = {**sqlite_harness.auth(sqlite_harness.tenant("acme")), "content-length": "1000"}
    with caplog.at_level(logging.INFO):
        for path in ("/UploadData", "/analytics/files/upload"):
            answer = call(sqlite_harness, "POST", path, headers, Script([b"{"], "disconnect"))
            assert 400 <= answer.status < 500, path
    assert not [r for r in caplog.records if r.levelno >= logging.WARNING or r.exc_info]
    assert any("disconnected" in r.getMessage() for r in caplog.records)


def test_put_disconnect_mid_body_is_quiet_and_keeps_the_url(
    sqlite_harness: Harness, caplog: pytest.LogCaptureFixture
) -> None:
    url = signed_url(sqlite_harness)
    with caplog.at_level(logging.INFO):
        call(sqlite_harness, "PUT", url, {"content-length": "10"}, Script([b"abc"], "disconnect"))
    assert not [r for r in caplog.records if r.levelno >= logging.WARNING or r.exc_info]
    assert object_count(sqlite_harness) == 0
    assert sqlite_harness.http.put(url, content=b"0123456789").status_code == 200


@pytest.mark.parametrize("path", ["/analytics/files/upload", "/UploadData"])
def test_ten_thousand_deep_json_is_422(
    sqlite_harness: Harness, path: str, caplog: pytest.LogCaptureFixture
) -> None:
    headers = {**sqlite_harness.auth(sqlite_harness.tenant("acme"))}
    deep = b"[" * 10_000 + b"]" * 10_000
    with caplog.at_level(logging.INFO):
        response = sqlite_harness.http.post(
            path, content=deep, headers={**headers, "content-type": "application/json"}
        )
    assert response.status_code == 422, response.text  # a JSON-body problem (SPEC §7)
    assert response.json()["success"] is False
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]


@pytest.mark.parametrize("path", ["/analytics/files/upload", "/UploadData"])
def test_a_json_body_that_is_not_utf8_is_422(sqlite_harness: Harness, path: str) -> None:
    headers = {**sqlite_harness.auth(sqlite_harness.tenant("acme"))}
    response = sqlite_harness.http.post(
        path, content=b"-\xff", headers={**headers, "content-type": "application/json"}
    )
    assert response.status_code == 422, response.text
    assert "UTF-8" in response.json()["message"]
