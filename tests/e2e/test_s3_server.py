"""`landingzone serve` on S3 storage, with uploads straight to moto's pre-signed URLs.

The real server process, the real SDK and the real `landingzone push` command:
the bytes go from the uploader to moto's S3 server over HTTP and never through
landingzone, whose validation worker lands, records and validates them.
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from landingzone.client import Client
from tests.e2e.server import LANDINGZONE, ServerProcess
from tests.pipeline.test_pipeline import HEADER, tx
from tests.s3 import AWS_ENV, S3Server

DATA = "Reference,StartDate,StartTime,EndDate,EndTime\r\nuser1,12/05/2024,09:00,12/05/2024,17:00"


@pytest.fixture
def served(tmp_path: Path, s3: S3Server) -> Iterator[tuple[ServerProcess, str]]:
    bucket = s3.new_bucket()
    env = {
        **AWS_ENV,
        "LZ_STORAGE_URL": f"s3://{bucket}/landing",
        "LZ_S3_ENDPOINT_URL": s3.endpoint_url,
        "LZ_S3_POLL_SECONDS": "0.2",
    }
    server = ServerProcess(tmp_path / "data", env_overrides=env).start()
    try:
        yield server, bucket
    finally:
        server.stop()


def client(server: ServerProcess) -> Client:
    assert server.demo is not None
    return Client(
        server.url,
        server.demo["client_id"],
        server.demo["client_secret"],
        api_key=server.demo["api_key"],
    )


def wait_listed(server: ServerProcess, count: int) -> dict[str, str]:
    headers = {"Authorization": f"Bearer {server.demo_token()}"}
    deadline = time.monotonic() + 30
    while True:
        response = httpx.get(
            f"{server.url}/services/push/v1/customer/apps/myAppId/files",
            params={"limit": 1000},
            headers=headers,
        )
        found = {f["name"]: f["sha256"] for f in response.json()["files"]}
        if len(found) >= count:
            return found
        assert time.monotonic() < deadline, f"only {len(found)} of {count} landed"
        time.sleep(0.2)


def test_sdk_push_and_files_upload_go_straight_to_s3(
    served: tuple[ServerProcess, str], s3: S3Server, tmp_path: Path
) -> None:
    server, bucket = served
    paths = []
    for i in range(5):
        path = tmp_path / f"part{i}.bin"
        path.write_bytes(os.urandom(100_000 * (i + 1)))
        paths.append(path)
    with client(server) as sdk:
        results = sdk.push("myAppId", paths)
        assert [r.outcome for r in results] == ["uploaded"] * 5
        # The ETag is moto's: the PUT went to S3, not to landingzone.
        assert results[0].etag == hashlib.md5(paths[0].read_bytes()).hexdigest()

        landed = wait_listed(server, 5)
        assert landed == {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in paths}
        stored = s3.keys(bucket, "landing/objects/")
        assert sorted(stored.values()) == sorted(p.read_bytes() for p in paths)
        assert s3.keys(bucket, "landing/incoming/") == {}

        csv_path = tmp_path / "transactions.csv"
        csv_path.write_text(HEADER + "".join(tx(i) for i in range(50)))
        status = sdk.files.upload("transactions", csv_path, wait=True, timeout=60)
        assert status.status == "Completed", status
        assert status.statistics["rowsImported"] == 50
        # Its rows landed as Parquet in the bucket, and the summary reads them there.
        parquet = s3.keys(bucket, "landing/analytics/transactions/customer=demo/")
        assert [key.rsplit("/", 1)[-1] for key in parquet] == ["part-1.parquet"]
        summary = httpx.get(
            f"{server.url}/analytics/datasets/transactions/summary",
            headers={"Authorization": f"Bearer {server.demo_token()}"},
        ).json()
        assert summary["totalRows"] == 50

        # The Upload API stores its bodies in the same bucket.
        submission = sdk.upload_data("s3-e2e", DATA)
        assert submission.status == "completedsuccessfully", submission.feedback
    assert "Traceback" not in server.logs()


def test_cli_push_to_s3(served: tuple[ServerProcess, str], s3: S3Server, tmp_path: Path) -> None:
    server, bucket = served
    assert server.demo is not None
    for i in range(3):
        (tmp_path / f"c{i}.csv").write_text(f"line {i}\n" * 100)
    environ = {
        **{k: v for k, v in os.environ.items() if not k.startswith("LZ_")},
        "LZ_URL": server.url,
        "LZ_CLIENT_ID": server.demo["client_id"],
        "LZ_CLIENT_SECRET": server.demo["client_secret"],
    }
    result = subprocess.run(
        [LANDINGZONE, "push", "--app", "myAppId", "--json", *(str(tmp_path / f"c{i}.csv")
         for i in range(3))],
        capture_output=True, text=True, env=environ, timeout=120,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["uploaded"] == 3
    landed = wait_listed(server, 3)
    assert landed["c1.csv"] == hashlib.sha256((tmp_path / "c1.csv").read_bytes()).hexdigest()
    assert len(s3.keys(bucket, "landing/objects/")) == 3


def test_serve_on_a_missing_bucket_stops_with_one_clear_line(tmp_path: Path, s3: S3Server) -> None:
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("LZ_")},
        **AWS_ENV,
        "LZ_DATA_DIR": str(tmp_path / "data"),
        "LZ_STORAGE_URL": "s3://no-such-bucket-here/x",
        "LZ_S3_ENDPOINT_URL": s3.endpoint_url,
    }
    result = subprocess.run(
        [LANDINGZONE, "serve"], capture_output=True, text=True, env=env, timeout=60
    )
    assert result.returncode == 1
    assert "no-such-bucket-here does not exist" in result.stderr
    assert "Traceback" not in result.stderr
