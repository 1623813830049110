"""The pipeline across real processes: serve's workers, `landingzone worker`, kill -9, restart."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import subprocess
import time
from pathlib import Path

import httpx
import pytest
from sqlalchemy import create_engine, select

from landingzone.db.tables import files
from tests.e2e.server import LANDINGZONE, ServerProcess

HEADER = (
    b"transaction_id,created_at,amount,currency,status,payment_method,"
    b"merchant_reference,customer_id,fee,country\r\n"
)


def transactions(path: Path, rows: int) -> None:
    line = b"2025-01-01T10:00:00Z,10.50,EUR,succeeded,card,ref,cus,0.10,FR\r\n"
    with path.open("wb") as out:
        out.write(HEADER)
        for start in range(0, rows, 10_000):
            out.write(
                b"".join(b"tx%d," % i + line for i in range(start, min(rows, start + 10_000)))
            )


def upload_file(server: ServerProcess, path: Path) -> str:
    token = server.demo_token()
    created = httpx.post(
        f"{server.url}/analytics/files/upload",
        json={"datasetType": "transactions", "file": {"name": path.name, "type": "csv"}},
        headers={"Authorization": f"Bearer {token}"},
    ).json()
    with path.open("rb") as body:
        assert httpx.put(created["uploadUrl"], content=body, timeout=120).status_code == 200
    file_id: str = created["id"]
    return file_id


def file_row(data_dir: Path, file_id: str) -> dict[str, object]:
    engine = create_engine(f"sqlite:///{data_dir / 'landingzone.db'}")
    with engine.connect() as conn:
        row = conn.execute(select(files).where(files.c.id == file_id)).one()
    engine.dispose()
    return dict(row._mapping)


def wait_for_status(
    data_dir: Path, file_id: str, wanted: set[str], timeout: float = 120
) -> dict[str, object]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        row = file_row(data_dir, file_id)
        if row["status"] in wanted:
            return row
        time.sleep(0.05)
    raise AssertionError(f"file stayed {file_row(data_dir, file_id)['status']}")


def test_serve_validates_uploads_in_the_background(tmp_path: Path) -> None:
    server = ServerProcess(tmp_path / "data").start()
    try:
        path = tmp_path / "small.csv"
        transactions(path, 1000)
        file_id = upload_file(server, path)
        row = wait_for_status(server.data_dir, file_id, {"Completed", "Failed"}, timeout=30)
        assert row["status"] == "Completed", row
        assert row["rows_imported"] == 1000
    finally:
        server.stop()


def test_kill_9_mid_validation_then_completed_exactly_once(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    server = ServerProcess(data_dir, env_overrides={"LZ_VALIDATION_WORKERS": "0"}).start()
    try:
        path = tmp_path / "big.csv"
        transactions(path, 1_500_000)  # ~100 MB: long enough to be killed mid-way
        file_id = upload_file(server, path)
    finally:
        server.stop()
    env = {**os.environ, "LZ_DATA_DIR": str(data_dir), "LZ_VALIDATION_LEASE": "2"}
    doomed = subprocess.Popen(
        [LANDINGZONE, "worker", "--json"], env=env, start_new_session=True,
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        first = wait_for_status(data_dir, file_id, {"Processing"}, timeout=60)
        time.sleep(0.3)  # well inside the validation
        os.killpg(doomed.pid, signal.SIGKILL)
    finally:
        doomed.wait(timeout=10)
    assert first["attempt"] == 1
    assert file_row(data_dir, file_id)["status"] == "Processing"  # the dead worker's claim

    survivor = subprocess.Popen(
        [LANDINGZONE, "worker"], env=env, start_new_session=True,
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        row = wait_for_status(data_dir, file_id, {"Completed", "Failed"}, timeout=120)
    finally:
        os.killpg(survivor.pid, signal.SIGTERM)
        survivor.wait(timeout=30)
    assert row["status"] == "Completed", row
    assert row["attempt"] == 2
    assert row["rows_total"] == 1_500_000  # counted once
    assert row["rows_imported"] == 1_500_000
    parts = sorted((data_dir / "analytics").rglob(f"file={file_id}/*.parquet"))
    assert [p.name for p in parts] == ["part-2.parquet"]


def test_a_restarted_server_validates_what_was_uploaded_before(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    first = ServerProcess(data_dir, env_overrides={"LZ_VALIDATION_WORKERS": "0"}).start()
    try:
        path = tmp_path / "waiting.csv"
        transactions(path, 500)
        file_id = upload_file(first, path)
        assert file_row(data_dir, file_id)["status"] == "Pending"
    finally:
        first.stop()
    second = ServerProcess(data_dir, port=first.port).start()
    try:
        row = wait_for_status(data_dir, file_id, {"Completed", "Failed"}, timeout=30)
        assert row["status"] == "Completed"
        token = second.token(first.demo["client_id"], first.demo["client_secret"])  # type: ignore[index]
        status = httpx.get(
            f"{second.url}/analytics/files/{file_id}", headers={"Authorization": f"Bearer {token}"}
        ).json()
        assert json.dumps(status["statistics"]["rowsImported"]) == "500"
    finally:
        second.stop()


def child_pids(parent: int) -> list[int]:
    """Direct children of ``parent``, from /proc."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        if int(stat.rsplit(")", 1)[1].split()[1]) == parent:
            found.append(int(entry.name))
    return found


def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def port_is_free(port: int) -> bool:
    with socket.socket() as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="reads /proc (Linux)")
def test_kill_9_of_serve_takes_its_http_and_validation_workers_down(tmp_path: Path) -> None:
    server = ServerProcess(tmp_path / "data").start()
    assert server.process is not None
    supervisor = server.process.pid
    try:
        children = child_pids(supervisor)
        descendants = children + [pid for child in children for pid in child_pids(child)]
        commands = [Path(f"/proc/{pid}/cmdline").read_bytes() for pid in children]
        assert any(b"worker" in c for c in commands), commands  # the validation worker
        assert any(b"httpserver" in c for c in commands), commands  # an HTTP worker
        os.kill(supervisor, signal.SIGKILL)  # the supervisor alone, not its group
        server.process.wait(timeout=10)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if not any(alive(pid) for pid in descendants) and port_is_free(server.port):
                break
            time.sleep(0.1)
        survivors = [pid for pid in descendants if alive(pid)]
        assert survivors == [], [Path(f"/proc/{p}/cmdline").read_bytes() for p in survivors]
        assert port_is_free(server.port)
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(supervisor, signal.SIGKILL)  # what is left of the group, if it failed


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="reads /proc (Linux)")
def test_a_killed_http_worker_is_replaced_and_serve_goes_on(tmp_path: Path) -> None:
    server = ServerProcess(tmp_path / "data", env_overrides={"LZ_VALIDATION_WORKERS": "0"})
    server.start()
    assert server.process is not None
    try:
        (http_worker,) = [
            pid
            for pid in child_pids(server.process.pid)
            if b"httpserver" in Path(f"/proc/{pid}/cmdline").read_bytes()
        ]
        os.kill(http_worker, signal.SIGKILL)
        deadline = time.monotonic() + 30
        replacements: list[int] = []
        while time.monotonic() < deadline and server.process.poll() is None:
            replacements = [p for p in child_pids(server.process.pid) if p != http_worker]
            if replacements:
                try:
                    if httpx.get(f"{server.url}/healthz", timeout=1).status_code == 200:
                        break
                except httpx.TransportError:
                    pass
            time.sleep(0.1)
        assert server.process.poll() is None, server.logs()
        assert replacements, server.logs()
        assert httpx.get(f"{server.url}/healthz").status_code == 200
        assert server.demo is not None
        assert server.demo_token()  # the API works on the new worker
    finally:
        server.stop()
