"""`landingzone download` and `landingzone files download`, run as processes against a server."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.e2e.server import LANDINGZONE, ServerProcess
from tests.e2e.test_cli_files import csv_file, environment, run
from tests.e2e.test_s3_server import served, wait_listed
from tests.s3 import AWS_ENV

__all__ = ["served"]  # the S3 server fixture, used below


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    proc = ServerProcess(tmp_path_factory.mktemp("download-cli") / "data").start()
    yield proc
    proc.stop()


def test_download_a_pushed_file_and_an_older_version(server: ServerProcess, tmp_path: Path) -> None:
    source = tmp_path / "src"
    source.mkdir()
    (source / "report.csv").write_bytes(b"v1\n")
    assert run(server, "push", "--app", "myAppId", str(source / "report.csv")).returncode == 0
    (source / "report.csv").write_bytes(b"version two\n" * 1000)
    assert run(server, "push", "--app", "myAppId", str(source / "report.csv")).returncode == 0

    out = tmp_path / "out"
    out.mkdir()
    current = run(server, "download", "--app", "myAppId", "report.csv", "-o", str(out))
    assert current.returncode == 0, current.stderr
    assert current.stdout.strip() == str(out / "report.csv")
    assert (out / "report.csv").read_bytes() == b"version two\n" * 1000
    lines = current.stderr.splitlines()
    assert lines == [
        "downloading report.csv (12,000 bytes)",
        f"saved {out / 'report.csv'} (12,000 bytes)",
    ]
    assert "\x1b" not in current.stderr

    # An existing file is kept unless --force.
    again = run(server, "download", "--app", "myAppId", "report.csv", "--version", "1",
                "-o", str(out / "report.csv"))  # fmt: skip
    assert again.returncode == 2
    assert "exists" in again.stderr and "--force" in again.stderr
    into_dir = run(server, "download", "--app", "myAppId", "report.csv", "--version", "1",
                   "-o", str(out))  # fmt: skip
    assert into_dir.returncode == 2 and "--force" in into_dir.stderr
    assert (out / "report.csv").read_bytes() == b"version two\n" * 1000
    forced = run(server, "download", "--app", "myAppId", "report.csv", "--version", "1",
                 "-o", str(out / "report.csv"), "--force")  # fmt: skip
    assert forced.returncode == 0, forced.stderr
    assert (out / "report.csv").read_bytes() == b"v1\n"
    assert sorted(p.name for p in out.iterdir()) == ["report.csv"]  # no temporary file left

    missing = run(server, "download", "--app", "myAppId", "nope.csv", "-o", str(out))
    assert missing.returncode == 1
    assert missing.stderr.startswith("error: app 'myAppId' has no pushed file 'nope.csv'")
    no_app = run(server, "download", "--app", "other", "report.csv", "-o", str(out))
    assert no_app.returncode == 1 and "App 'other' does not exist" in no_app.stderr


def test_files_download_by_id(server: ServerProcess, tmp_path: Path) -> None:
    source = csv_file(tmp_path / "tx.csv", "1.50", "2.00")
    uploaded = run(server, "files", "upload", "--dataset", "transactions", str(source), "--json")
    assert uploaded.returncode == 0, uploaded.stderr
    file_id = json.loads(uploaded.stdout)["id"]
    target = tmp_path / "copy.csv"
    got = run(server, "files", "download", file_id, "-o", str(target))
    assert got.returncode == 0, got.stderr
    assert got.stdout.strip() == str(target)
    assert target.read_bytes() == source.read_bytes()
    unknown = run(server, "files", "download", "nope", "-o", str(tmp_path / "x"))
    assert unknown.returncode == 1 and "no file with id 'nope'" in unknown.stderr
    assert not (tmp_path / "x").exists()


def test_download_from_s3_follows_the_redirect(
    served: tuple[ServerProcess, str], tmp_path: Path
) -> None:
    server, _ = served
    source = tmp_path / "données.csv"
    source.write_bytes(b"on s3\n" * 5000)
    # The uploader needs no S3 credentials: the redirect's URL is signed by the server.
    env = {k: v for k, v in environment(server).items() if k not in AWS_ENV}

    def cli(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([LANDINGZONE, *args], capture_output=True, text=True, env=env,
                              timeout=120)  # fmt: skip

    assert cli("push", "--app", "myAppId", str(source)).returncode == 0
    wait_listed(server, 1)
    out = tmp_path / "out"
    out.mkdir()
    got = cli("download", "--app", "myAppId", "données.csv", "-o", str(out))
    assert got.returncode == 0, got.stderr
    assert got.stdout.strip() == str(out / "données.csv")
    assert (out / "données.csv").read_bytes() == source.read_bytes()
