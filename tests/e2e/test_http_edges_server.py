"""HTTP edges on a real `landingzone serve` (granian): what only a socket can send."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest

from tests.e2e.server import ServerProcess


@pytest.fixture(scope="module")
def edge_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    root = tmp_path_factory.mktemp("edges")
    proc = ServerProcess(
        root / "data", env_overrides={"LZ_BODY_IDLE_TIMEOUT": "1", "LZ_VALIDATION_WORKERS": "0"}
    ).start()
    yield proc
    proc.stop()


def exchange(server: ServerProcess, request: bytes, close_write: bool = False) -> bytes:
    """Send raw bytes; read until the server closes (a generous cap, not a timing check)."""
    with socket.create_connection(("127.0.0.1", server.port)) as sock:
        sock.settimeout(20)
        sock.sendall(request)
        if close_write:
            sock.shutdown(socket.SHUT_WR)
        answer = b""
        try:
            while block := sock.recv(65536):
                answer += block
        except TimeoutError:
            raise AssertionError(f"the server kept the connection open: {answer!r}") from None
        return answer


def put_target(server: ServerProcess, name: str) -> tuple[str, str]:
    url = server.upload_urls(server.demo_token(), name)[name]
    parts = urlsplit(url)
    return url, f"{parts.path}?{parts.query}"


def test_a_stalled_put_is_answered_and_closed_and_the_url_stays_usable(
    edge_server: ServerProcess,
) -> None:
    url, target = put_target(edge_server, "stall.csv")
    answer = exchange(
        edge_server, f"PUT {target} HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\nabc".encode()
    )
    assert answer.startswith(b"HTTP/1.1 400")
    assert b"<Code>RequestTimeout</Code>" in answer
    assert httpx.put(url, content=b"z" * 100).status_code == 200


def test_a_stalled_json_body_is_408_and_closed(edge_server: ServerProcess) -> None:
    token = edge_server.demo_token()
    request = (
        f"POST /UploadData HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {token}\r\n"
        "Content-Length: 100\r\n\r\n{"
    )
    assert exchange(edge_server, request.encode()).startswith(b"HTTP/1.1 408")


def test_put_without_length_is_411_and_the_url_stays_usable(edge_server: ServerProcess) -> None:
    url, target = put_target(edge_server, "nolength.csv")
    answer = exchange(edge_server, f"PUT {target} HTTP/1.1\r\nHost: x\r\n\r\n".encode())
    assert answer.startswith(b"HTTP/1.1 411")
    assert b"<Code>MissingContentLength</Code>" in answer
    assert httpx.put(url, content=b"data").status_code == 200


@pytest.mark.parametrize("path", ["put", "/UploadData"])
def test_broken_chunked_framing_is_4xx_and_logged_quietly(
    edge_server: ServerProcess, path: str
) -> None:
    token = edge_server.demo_token()
    target = put_target(edge_server, "chunks.csv")[1] if path == "put" else path
    method = "PUT" if path == "put" else "POST"
    request = (
        f"{method} {target} HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {token}\r\n"
        "Transfer-Encoding: chunked\r\n\r\nzz\r\nhello\r\n0\r\n\r\n"
    )
    answer = exchange(edge_server, request.encode(), close_write=True)
    assert answer.startswith(b"HTTP/1.1 4"), answer


def test_disconnects_mid_body_leave_no_traceback(edge_server: ServerProcess) -> None:
    token = edge_server.demo_token()
    url, target = put_target(edge_server, "gone.csv")
    for request in (
        f"PUT {target} HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\nabc",
        f"POST /UploadData HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {token}\r\n"
        "Content-Length: 100\r\n\r\n{",
    ):
        with socket.create_connection(("127.0.0.1", edge_server.port)) as sock:
            sock.sendall(request.encode())
    assert httpx.put(url, content=b"after").status_code == 200
    logs = edge_server.logs()
    assert "Traceback" not in logs
    assert " ERROR " not in logs and '"ERROR"' not in logs


def test_logs_of_this_module_hold_no_traceback(edge_server: ServerProcess) -> None:
    # Runs last: every edge above was logged without a traceback.
    assert "Traceback" not in edge_server.logs()
    assert Path(edge_server.data_dir).exists()


def test_content_length_with_chunked_cannot_smuggle_a_request(edge_server: ServerProcess) -> None:
    """granian's HTTP layer answers RFC 9112 §6.1's other way: Transfer-Encoding alone.

    It drops Content-Length before the application sees the request (so the ASGI
    guard's 400 cannot fire here), reads the chunked body, answers, and closes the
    connection: bytes past the chunked body never become a second request.
    """
    _, target = put_target(edge_server, "both.csv")
    smuggled = "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n"
    request = (
        f"PUT {target} HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n"
        "Transfer-Encoding: chunked\r\n\r\nb\r\nhello world\r\n0\r\n\r\n" + smuggled
    )
    answer = exchange(edge_server, request.encode())
    assert answer.count(b"HTTP/1.1 ") == 1, answer  # one answer, then the connection closed
    assert answer.startswith((b"HTTP/1.1 200", b"HTTP/1.1 400")), answer
    if answer.startswith(b"HTTP/1.1 200"):  # the chunked body, whole, not Content-Length's 5
        listing = httpx.get(
            f"{edge_server.url}/services/push/v1/customer/apps/myAppId/files",
            headers={"Authorization": f"Bearer {edge_server.demo_token()}"},
        ).json()
        sizes = {item["name"]: item["size"] for item in listing["files"]}
        assert sizes["both.csv"] == len("hello world")
