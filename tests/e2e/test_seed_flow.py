"""The seed 000-002 flow against a real server process, with curl where the seed uses curl."""

from __future__ import annotations

import hashlib
import shutil
import subprocess
from pathlib import Path

import httpx
import pytest
from sqlalchemy import create_engine, select

from landingzone.db.tables import objects
from tests.e2e.server import ServerProcess

pytestmark = pytest.mark.skipif(shutil.which("curl") is None, reason="curl not installed")


def stored(server: ServerProcess) -> list[tuple[str, str, int, bytes]]:
    engine = create_engine(f"sqlite:///{server.data_dir / 'landingzone.db'}")
    with engine.connect() as conn:
        rows = conn.execute(select(objects).order_by(objects.c.id)).all()
    engine.dispose()
    result = []
    for row in rows:
        sid = row.storage_id
        data = (server.data_dir / "objects" / sid[:2] / sid[2:4] / sid).read_bytes()
        result.append((row.filename, row.sha256, row.size, data))
    return result


def curl(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["curl", "-s", "-S", "-o", "/dev/null", "-w", "%{http_code}", *args],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_seed_flow_token_urls_put_with_curl(server: ServerProcess, tmp_path: Path) -> None:
    token = server.demo_token()
    urls = server.upload_urls(token, "foo.json", "bar.json")
    assert list(urls) == ["foo.json", "bar.json"]
    assert all(
        u.startswith(server.url + "/o/log-connector-data/demo/myAppId/") for u in urls.values()
    )
    assert curl("-X", "PUT", "-d", "Hello world", urls["foo.json"]).stdout == "200"
    big = tmp_path / "bar.json"
    big.write_bytes(b'{"k": "v"}\n' * 300_000)
    # --upload-file sends Expect: 100-continue for a body this size.
    assert curl("--upload-file", str(big), urls["bar.json"]).stdout == "200"
    rows = stored(server)
    assert [(r[0], r[2]) for r in rows] == [("foo.json", 11), ("bar.json", big.stat().st_size)]
    assert rows[0][3] == b"Hello world"
    assert rows[0][1] == hashlib.sha256(b"Hello world").hexdigest()
    assert rows[1][3] == big.read_bytes()
    assert rows[1][1] == hashlib.sha256(big.read_bytes()).hexdigest()
    # The same bytes again are an idempotent replay (S3's answer); other bytes are refused.
    again = curl("-X", "PUT", "-d", "Hello world", urls["foo.json"])
    assert again.stdout == "200"
    other = curl("-X", "PUT", "-d", "Goodbye world", urls["foo.json"])
    assert other.stdout == "403"
    assert len(stored(server)) == 2


def test_seed_002_contract_pdfs_with_curl_are_stored(server: ServerProcess) -> None:
    token = server.demo_token()
    headers = {"Authorization": f"Bearer {token}"}
    push = f"{server.url}/services/push/v1/customer/apps/myAppId"
    # Seed 002's example call, as printed, plus its type.
    response = httpx.get(
        f"{push}/upload?filenames=foo.pdf&filenames=bar.pdf&type=contracts", headers=headers
    )
    assert response.status_code == 200, response.text
    urls = response.json()
    assert curl("-X", "PUT", "-d", "Contents of foo", urls["foo.pdf"]).stdout == "200"
    assert curl("-X", "PUT", "-d", "Contents of bar", urls["bar.pdf"]).stdout == "200"
    files = httpx.get(f"{push}/files", headers=headers).json()["files"]
    assert sorted((f["name"], f["type"], f["status"], f["id"]) for f in files) == [
        ("bar.pdf", "contracts", "Stored", None),
        ("foo.pdf", "contracts", "Stored", None),
    ]
    # Nothing was queued for validation, so nothing can later turn Failed.
    assert httpx.get(f"{server.url}/analytics/files", headers=headers).json()["files"] == []


def test_oversize_content_length_is_refused_before_the_body(tmp_path: Path) -> None:
    server = ServerProcess(tmp_path / "data", env_overrides={"LZ_MAX_OBJECT_SIZE": "1000"}).start()
    try:
        url = server.upload_urls(server.demo_token(), "big.bin")["big.bin"]
        big = tmp_path / "big.bin"
        big.write_bytes(b"x" * 5_000_000)
        result = subprocess.run(
            ["curl", "-s", "-i", "--upload-file", str(big), url],
            capture_output=True,
            timeout=60,
            check=False,
        )
        assert b" 400 " in result.stdout.split(b"\r\n")[0]
        assert b"<Code>EntityTooLarge</Code>" in result.stdout
        # The answer came without a 100 Continue: the body was never asked for.
        assert b"100 Continue" not in result.stdout
        assert stored(server) == []
    finally:
        server.stop()


def test_health_and_readiness(server: ServerProcess) -> None:
    assert httpx.get(f"{server.url}/healthz").json() == {"status": "ok"}
    ready = httpx.get(f"{server.url}/readyz")
    assert ready.status_code == 200
    assert ready.json()["checks"] == {"database": "ok", "storage": "ok"}


def test_sigterm_stops_the_server(server: ServerProcess) -> None:
    assert server.stop() == 0
