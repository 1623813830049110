"""`landingzone push` as an uploader runs it: a real server on a port, the command as a process."""

from __future__ import annotations

import hashlib
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx

from tests.e2e.server import LANDINGZONE, ServerProcess


def push(server: ServerProcess, *args: str, env: dict[str, str] | None = None,
         home: Path | None = None) -> subprocess.CompletedProcess[str]:  # fmt: skip
    assert server.demo is not None
    environ = {
        **{k: v for k, v in os.environ.items() if not k.startswith("LZ_")},
        "LZ_URL": server.url,
        "LZ_CLIENT_ID": server.demo["client_id"],
        "LZ_CLIENT_SECRET": server.demo["client_secret"],
        **(env or {}),
    }
    if home is not None:
        environ["XDG_CONFIG_HOME"] = str(home)
    return subprocess.run(
        [LANDINGZONE, "push", *args], capture_output=True, text=True, env=environ, timeout=120
    )


def listed(server: ServerProcess) -> dict[str, str]:
    response = httpx.get(
        f"{server.url}/services/push/v1/customer/apps/myAppId/files",
        params={"limit": 1000},
        headers={"Authorization": f"Bearer {server.demo_token()}"},
    )
    return {f["name"]: f["sha256"] for f in response.json()["files"]}


def test_push_files_directories_and_globs(server: ServerProcess, tmp_path: Path) -> None:
    tree = tmp_path / "exports"
    (tree / "deep").mkdir(parents=True)
    for i in range(120):
        (tree / ("deep" if i % 2 else ".") / f"f{i:03d}.csv").write_text(f"row {i}\n" * (i + 1))
    single = tmp_path / "single.txt"
    single.write_text("alone")
    (tmp_path / "other").mkdir()
    (tmp_path / "other" / "g1.log").write_text("g1")
    result = push(server, "--app", "myAppId", str(tree), str(single),
                  str(tmp_path / "other" / "*.log"), "--json")  # fmt: skip
    assert result.returncode == 0, result.stderr
    document = json.loads(result.stdout)
    assert document["uploaded"] == 122 and document["failed"] == 0
    stored = listed(server)
    assert len(stored) == 122
    expected = hashlib.sha256((tree / "deep" / "f001.csv").read_bytes()).hexdigest()
    assert stored["f001.csv"] == expected
    plain = push(server, "--app", "myAppId", str(single))
    assert plain.returncode == 0
    assert plain.stdout.splitlines()[0].startswith("uploaded  single.txt  5 bytes, sha256 ")
    assert "\x1b[" not in plain.stderr  # no bars when not on a terminal


def test_one_clear_line_and_an_exit_code_for_each_problem(
    server: ServerProcess, tmp_path: Path
) -> None:
    data = tmp_path / "a.csv"
    data.write_text("x")
    cases = [
        (["--app", "myAppId", str(tmp_path / "missing.csv")], {}, 2, "no such file"),
        (["--app", "myAppId", str(tmp_path / "*.nothing")], {}, 2, "no file matches"),
        (["--app", "myAppId", str(data)], {"LZ_CLIENT_SECRET": "wrong"}, 3, "--client-secret"),
        (["--app", "noSuchApp", str(data)], {}, 1, "noSuchApp"),
        (["--app", "myAppId", str(data)], {"LZ_URL": "http://127.0.0.1:9"}, 4, "did not answer"),
    ]
    for args, env, code, words in cases:
        result = push(server, *args, env=env)
        assert result.returncode == code, (args, result.stderr)
        assert result.stderr.startswith("error: ") and words in result.stderr, result.stderr
        assert "Traceback" not in result.stderr


def test_credentials_from_a_private_profile_file(server: ServerProcess, tmp_path: Path) -> None:
    assert server.demo is not None
    config = tmp_path / "landingzone" / "config.toml"
    config.parent.mkdir()
    config.write_text(
        f'[default]\nurl = "{server.url}"\nclient_id = "{server.demo["client_id"]}"\n'
        f'client_secret = "{server.demo["client_secret"]}"\n'
    )
    data = tmp_path / "p.csv"
    data.write_text("p")
    without_env = {"LZ_URL": "", "LZ_CLIENT_ID": "", "LZ_CLIENT_SECRET": ""}
    config.chmod(0o644)
    refused = push(server, "--app", "myAppId", str(data), env=without_env, home=tmp_path)
    assert refused.returncode == 2 and "chmod 600" in refused.stderr
    config.chmod(0o600)
    used = push(server, "--app", "myAppId", str(data), env=without_env, home=tmp_path)
    assert used.returncode == 0, used.stderr
    assert "p.csv" in listed(server)


def test_ctrl_c_stops_cleanly_and_reports(server: ServerProcess, tmp_path: Path) -> None:
    assert server.demo is not None
    big = tmp_path / "big.bin"
    with big.open("wb") as out:
        out.truncate(2 * 1024 * 1024 * 1024)  # sparse: 2 GiB to read, nothing to write here
    environ = {
        **{k: v for k, v in os.environ.items() if not k.startswith("LZ_")},
        "LZ_URL": server.url,
        "LZ_CLIENT_ID": server.demo["client_id"],
        "LZ_CLIENT_SECRET": server.demo["client_secret"],
    }
    process = subprocess.Popen(
        [LANDINGZONE, "push", "--app", "myAppId", str(big), "--json"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=environ,
    )  # fmt: skip
    time.sleep(3)  # hashing (~3 s) or the upload (~5 s) under way
    process.send_signal(signal.SIGINT)
    stdout, stderr = process.communicate(timeout=60)
    assert process.returncode == 1, stderr
    assert "interrupted" in stderr
    document = json.loads(stdout)
    assert document["interrupted"] is True
    assert document["files"][0]["outcome"] == "cancelled"
    assert document["cancelled"] == 1
    assert "big.bin" not in listed(server)  # the short body was not stored


def test_files_upload_status_and_errors(server: ServerProcess, tmp_path: Path) -> None:
    header = (
        "transaction_id,created_at,amount,currency,status,payment_method,"
        "merchant_reference,customer_id,fee,country\n"
    )
    row = "2025-01-01T10:00:00Z,{},EUR,succeeded,card,ref,cus,0.10,FR\n"
    good, bad = tmp_path / "good.csv", tmp_path / "bad.csv"
    good.write_text(header + "tx1," + row.format("1.50") + "tx2," + row.format("2.50"))
    bad.write_text(header + "tx1," + row.format("x") + "tx2," + row.format("=1+2"))

    def files(*args: str) -> subprocess.CompletedProcess[str]:
        assert server.demo is not None
        environ = {
            **{k: v for k, v in os.environ.items() if not k.startswith("LZ_")},
            "LZ_URL": server.url,
            "LZ_CLIENT_ID": server.demo["client_id"],
            "LZ_CLIENT_SECRET": server.demo["client_secret"],
        }
        return subprocess.run([LANDINGZONE, "files", *args], capture_output=True, text=True,
                              env=environ, timeout=120)  # fmt: skip

    done = files("upload", "--dataset", "transactions", str(good), "--json")
    assert done.returncode == 0, done.stderr
    document = json.loads(done.stdout)
    assert document["status"] == "Completed" and document["statistics"]["rowsImported"] == 2
    failed = files("upload", "--dataset", "transactions", str(bad))
    assert failed.returncode == 1, failed.stderr
    file_id = failed.stdout.split()[0]
    assert "Failed" in failed.stdout and "row 2, column 3 (amount): type-error" in failed.stdout
    status = files("status", file_id, "--json")
    assert json.loads(status.stdout)["errorCount"] == 2
    as_csv = files("errors", file_id, "--csv")
    assert as_csv.returncode == 0 and "'=1+2" in as_csv.stdout
    unknown = files("status", "00000000-0000-0000-0000-000000000000")
    assert unknown.returncode == 1 and unknown.stderr.startswith("error: ")


def test_uploaddata_and_results(server: ServerProcess, tmp_path: Path) -> None:
    assert server.demo is not None
    data = tmp_path / "data.csv"
    data.write_text("User1,12/05/2024,09:00,12/05/2024,17:00\n")  # no header row
    events = tmp_path / "events.csv"
    events.write_text("User1,12/05/2024,09:05,12/05/2024,09:30,Meeting,1\n")
    environ = {
        **{k: v for k, v in os.environ.items() if not k.startswith("LZ_")},
        "LZ_URL": server.url,
        "LZ_CLIENT_ID": server.demo["client_id"],
        "LZ_CLIENT_SECRET": server.demo["client_secret"],
        "LZ_API_KEY": server.demo["api_key"],
    }

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([LANDINGZONE, *args], capture_output=True, text=True,
                              env=environ, timeout=120)  # fmt: skip

    done = run("uploaddata", "--name", "cli", "--data", str(data), "--events", str(events),
               "--timezone", "UTC", "--json")  # fmt: skip
    assert done.returncode == 0, done.stderr
    submission = json.loads(done.stdout)
    assert submission["status"] == "completedsuccessfully"
    table = run("results", submission["token"], "--key", "tableofresultids")
    assert table.returncode == 0, table.stderr
    [row] = json.loads(table.stdout)
    assert (row["Row"], row["EventCount"], row["EventMinutes"]) == (1, 1, 25)
    again = run("uploaddata", "--name", "cli", "--data", str(data))
    assert again.returncode == 1 and "add --overwrite" in again.stderr
    data.write_text("User1,31/02/2024,09:00,12/05/2024,17:00\n")
    failed = run("uploaddata", "--name", "cli", "--data", str(data), "--overwrite")
    assert failed.returncode == 1
    assert "Data row 1 (StartDate): type-error" in failed.stdout
    wrong_key = run("results", submission["token"], "--key", "status", "--api-key", "nope")
    assert wrong_key.returncode == 3
    assert wrong_key.stderr.startswith("error: the API key is not this client's") and (
        "--api-key" in wrong_key.stderr
    )


def test_a_2_gb_file_with_flat_client_memory(server: ServerProcess, tmp_path: Path) -> None:
    """The CLI's peak RSS stays that of a small push: the file is streamed, never held."""
    assert server.demo is not None
    small, big = tmp_path / "small.bin", tmp_path / "big.bin"
    small.write_bytes(b"s" * 1024)
    with big.open("wb") as out:
        out.truncate(2 * 1024 * 1024 * 1024)  # sparse: 2 GiB to read and send
    probe = (
        "import resource, sys\n"
        "from landingzone.cli.main import main\n"
        "sys.argv = ['landingzone', 'push', '--app', 'myAppId', sys.argv[1], '--json']\n"
        "try:\n"
        "    main()\n"
        "except SystemExit as exc:\n"
        "    code = exc.code\n"
        "print('RSS', resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024, code,\n"
        "      file=sys.stderr)\n"
    )
    environ = {
        **{k: v for k, v in os.environ.items() if not k.startswith("LZ_")},
        "LZ_URL": server.url,
        "LZ_CLIENT_ID": server.demo["client_id"],
        "LZ_CLIENT_SECRET": server.demo["client_secret"],
    }
    peaks = []
    for path in (small, big):
        run = subprocess.run([sys.executable, "-c", probe, str(path)], capture_output=True,
                             text=True, env=environ, timeout=300)  # fmt: skip
        rss, code = run.stderr.strip().splitlines()[-1].split()[1:]
        assert code in ("0", "None"), run.stderr
        peaks.append(int(rss))
    assert json.loads(run.stdout)["files"][0]["size"] == 2 * 1024 * 1024 * 1024
    assert peaks[1] < peaks[0] + 30, f"peak RSS MB: small push {peaks[0]}, 2 GiB push {peaks[1]}"
