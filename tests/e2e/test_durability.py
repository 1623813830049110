"""Crash and interruption safety of the PUT path, against a real server process."""

from __future__ import annotations

import socket
import time
from collections.abc import Callable
from pathlib import Path
from urllib.parse import urlsplit

import httpx
from sqlalchemy import create_engine, func, select

from landingzone.db.tables import objects
from tests.e2e.server import ServerProcess

TOTAL = 200 * 1024 * 1024


def object_rows(data_dir: Path) -> int:
    engine = create_engine(f"sqlite:///{data_dir / 'landingzone.db'}")
    with engine.connect() as conn:
        count = int(conn.execute(select(func.count()).select_from(objects)).scalar_one())
    engine.dispose()
    return count


def object_files(data_dir: Path) -> list[Path]:
    return [p for p in (data_dir / "objects").rglob("*") if p.is_file()]


def staging_files(data_dir: Path) -> list[Path]:
    return list((data_dir / "staging").glob("*.part"))


def start_partial_put(url: str, declared: int, send: int) -> socket.socket:
    """Send the head of a PUT and ``send`` bytes of its body, and leave it hanging."""
    parts = urlsplit(url)
    sock = socket.create_connection((parts.hostname, parts.port))
    head = (
        f"PUT {parts.path}?{parts.query} HTTP/1.1\r\nHost: {parts.netloc}\r\n"
        f"Content-Length: {declared}\r\n\r\n"
    )
    sock.sendall(head.encode())
    chunk = b"z" * (1024 * 1024)
    for _ in range(send // len(chunk)):
        sock.sendall(chunk)
    return sock


def wait_for(condition: Callable[[], bool], timeout: float = 20) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


def test_kill_9_mid_put_then_restart_leaves_no_object_and_the_url_works(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    server = ServerProcess(data_dir).start()
    url = server.upload_urls(server.demo_token(), "big.bin")["big.bin"]
    sock = start_partial_put(url, TOTAL, 32 * 1024 * 1024)
    try:
        wait_for(lambda: any(p.stat().st_size > 0 for p in staging_files(data_dir)))
        server.kill9()
    finally:
        sock.close()
    # The crash left a temp file, and nothing else.
    assert staging_files(data_dir)
    assert object_files(data_dir) == []
    assert object_rows(data_dir) == 0

    restarted = ServerProcess(data_dir, port=server.port).start()
    try:
        assert staging_files(data_dir) == []  # startup cleanup removed the abandoned temp file
        assert object_rows(data_dir) == 0
        body = b"y" * (8 * 1024 * 1024)
        response = httpx.put(url, content=body, timeout=60)
        assert response.status_code == 200, response.text
        [path] = object_files(data_dir)
        assert path.read_bytes() == body
        assert staging_files(data_dir) == []
    finally:
        restarted.stop()


def test_client_disconnect_mid_put_stores_nothing_and_the_url_stays_usable(
    server: ServerProcess,
) -> None:
    data_dir = server.data_dir
    url = server.upload_urls(server.demo_token(), "a.bin")["a.bin"]
    sock = start_partial_put(url, 50 * 1024 * 1024, 8 * 1024 * 1024)
    wait_for(lambda: any(p.stat().st_size > 0 for p in staging_files(data_dir)))
    sock.close()
    wait_for(lambda: staging_files(data_dir) == [])
    assert object_files(data_dir) == []
    assert object_rows(data_dir) == 0
    assert httpx.put(url, content=b"complete").status_code == 200
    assert object_rows(data_dir) == 1


def test_concurrent_put_on_the_same_url_is_409(server: ServerProcess) -> None:
    url = server.upload_urls(server.demo_token(), "c.bin")["c.bin"]
    sock = start_partial_put(url, 50 * 1024 * 1024, 4 * 1024 * 1024)
    try:
        wait_for(lambda: any(p.stat().st_size > 0 for p in staging_files(server.data_dir)))
        response = httpx.put(url, content=b"second")
        assert response.status_code == 409
        assert "<Code>OperationAborted</Code>" in response.text
    finally:
        sock.close()
    wait_for(lambda: staging_files(server.data_dir) == [])
    assert httpx.put(url, content=b"third").status_code == 200


def test_half_closed_upload_gets_incomplete_body_and_stores_nothing(
    server: ServerProcess,
) -> None:
    url = server.upload_urls(server.demo_token(), "h.bin")["h.bin"]
    sock = start_partial_put(url, 10 * 1024 * 1024, 2 * 1024 * 1024)
    try:
        sock.shutdown(socket.SHUT_WR)
        sock.settimeout(10)
        answer = b""
        while chunk := sock.recv(65536):
            answer += chunk
    finally:
        sock.close()
    assert answer.startswith(b"HTTP/1.1 400"), answer[:200]
    assert b"<Code>IncompleteBody</Code>" in answer
    wait_for(lambda: staging_files(server.data_dir) == [])
    assert object_rows(server.data_dir) == 0
    assert httpx.put(url, content=b"whole").status_code == 200
