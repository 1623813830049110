"""`landingzone files ...` and the uploader commands' messages, run as processes against a server.

The terminal's bars and spinner are checked by hand in a real terminal; here the
command runs with pipes, as in a script or a CI log, where it must say the same
things in plain lines.
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.e2e.server import LANDINGZONE, ServerProcess

HEADER = (
    "transaction_id,created_at,amount,currency,status,payment_method,"
    "merchant_reference,customer_id,fee,country\n"
)
ROW = "{},2025-01-01T10:00:00Z,{},EUR,succeeded,card,ref,cus,0.10,FR\n"
UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    proc = ServerProcess(tmp_path_factory.mktemp("files-cli") / "data").start()
    yield proc
    proc.stop()


def environment(server: ServerProcess, **extra: str) -> dict[str, str]:
    assert server.demo is not None
    return {
        **{k: v for k, v in os.environ.items() if not k.startswith("LZ_")},
        "LZ_URL": server.url,
        "LZ_CLIENT_ID": server.demo["client_id"],
        "LZ_CLIENT_SECRET": server.demo["client_secret"],
        "LZ_API_KEY": server.demo["api_key"],
        **extra,
    }


def run(server: ServerProcess, *args: str, **extra: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [LANDINGZONE, *args],
        capture_output=True, text=True, env=environment(server, **extra), timeout=120,
    )  # fmt: skip


def csv_file(path: Path, *amounts: str) -> Path:
    path.write_text(HEADER + "".join(ROW.format(f"tx{i}", a) for i, a in enumerate(amounts)))
    return path


def test_upload_tells_the_file_id_first_then_each_status_in_plain_lines(
    server: ServerProcess, tmp_path: Path
) -> None:
    done = run(server, "files", "upload", "--dataset", "transactions",
               str(csv_file(tmp_path / "ok.csv", "1.50")))  # fmt: skip
    assert done.returncode == 0, done.stderr
    file_id = done.stdout.split()[0]
    lines = done.stderr.splitlines()
    assert (
        lines[0]
        == f"file {file_id}: uploading ok.csv ({(tmp_path / 'ok.csv').stat().st_size} bytes)"
    )
    assert lines[1] == f"file {file_id}: uploaded"
    assert lines[-1] == f"file {file_id}: Completed"
    assert all(line.startswith(f"file {file_id}: ") for line in lines)
    assert "\x1b" not in done.stderr + done.stdout  # no bars or spinner off a terminal
    assert done.stdout.startswith(f"{file_id}  Completed  rows 1, imported 1, rejected 0")


def test_a_failed_file_exits_1_from_upload_and_from_status(
    server: ServerProcess, tmp_path: Path
) -> None:
    failed = run(server, "files", "upload", "--dataset", "transactions",
                 str(csv_file(tmp_path / "bad.csv", "x")))  # fmt: skip
    assert failed.returncode == 1, failed.stderr
    file_id = failed.stdout.split()[0]
    status = run(server, "files", "status", file_id)
    assert status.returncode == 1, status.stderr
    assert status.stdout.startswith(f"{file_id}  Failed")
    as_json = run(server, "files", "status", file_id, "--json")
    assert as_json.returncode == 1 and json.loads(as_json.stdout)["status"] == "Failed"


def test_files_list_filters_pages_and_prints_json(server: ServerProcess, tmp_path: Path) -> None:
    uploaded = []
    for name, amount in [("l1.csv", "1"), ("l2.csv", "y"), ("l3.csv", "3"), ("l4.csv", "4")]:
        result = run(server, "files", "upload", "--dataset", "transactions",
                     str(csv_file(tmp_path / name, amount)), "--json")  # fmt: skip
        uploaded.append(json.loads(result.stdout)["id"])
    everything = run(server, "files", "list", "--all", "--limit", "2", "--json")
    assert everything.returncode == 0, everything.stderr
    document = json.loads(everything.stdout)
    listed = [f["id"] for f in document["files"]]
    assert document["nextCursor"] is None
    assert listed[:4] == uploaded[::-1]  # newest first, across pages of two

    first = run(server, "files", "list", "--limit", "2")
    assert first.returncode == 0, first.stderr
    lines = first.stdout.splitlines()
    assert [line.split()[0] for line in lines[:2]] == uploaded[:-3:-1]
    assert lines[0].split()[1:4] == ["Completed", "transactions", "l4.csv"]
    more = lines[-1].split()
    assert more[:4] == ["more:", "landingzone", "files", "list"] and more[4] == "--cursor"
    second = run(server, "files", *more[3:], "--json")
    assert [f["id"] for f in json.loads(second.stdout)["files"]] == listed[2:4]

    failed = run(server, "files", "list", "--status", "failed", "--dataset", "transactions",
                 "--json")  # fmt: skip
    failed_ids = [f["id"] for f in json.loads(failed.stdout)["files"]]
    assert uploaded[1] in failed_ids and uploaded[0] not in failed_ids
    none = run(server, "files", "list", "--dataset", "users")
    assert none.returncode == 0 and none.stdout.strip() == "no files"

    bad_status = run(server, "files", "list", "--status", "Done")
    assert bad_status.returncode == 2 and "--status" in bad_status.stderr
    bad_cursor = run(server, "files", "list", "--cursor", "nope")
    assert bad_cursor.returncode == 1
    assert bad_cursor.stderr.startswith("error: invalid --cursor")


def test_messages_name_the_flags_to_change(server: ServerProcess, tmp_path: Path) -> None:
    data = tmp_path / "data.csv"
    data.write_text("User1,12/05/2024,09:00,12/05/2024,17:00\n")
    tx = str(csv_file(tmp_path / "tx.csv", "1"))
    latin = tmp_path / "latin.csv"
    latin.write_bytes("Zoë,12/05/2024,09:00,12/05/2024,17:00\n".encode("latin-1"))
    assert run(server, "uploaddata", "--name", "msg", "--data", str(data)).returncode == 0
    limited = json.loads(
        subprocess.run(
            [LANDINGZONE, "admin", "client", "create", "demo", "--scope", "connector.write",
             "--json"],
            capture_output=True, text=True, timeout=60,
            env={**os.environ, "LZ_DATA_DIR": str(server.data_dir)},
        ).stdout
    )  # fmt: skip
    narrow = {"LZ_CLIENT_ID": limited["client_id"], "LZ_CLIENT_SECRET": limited["client_secret"]}
    cases = [
        (["uploaddata", "--name", "msg", "--data", str(data)], {}, 1,
         ["add --overwrite", "--name"]),
        (["uploaddata", "--name", "tz", "--data", str(data), "--timezone", "Mars/Base"], {}, 1,
         ["--timezone 'Mars/Base'"]),
        (["uploaddata", "--name", "u", "--data", str(latin)], {}, 2,
         ["--data", "is not UTF-8 text", "CSV UTF-8"]),
        (["uploaddata", "--name", "k", "--data", str(data)], {"LZ_API_KEY": ""}, 2,
         ["--api-key"]),
        (["uploaddata", "--name", "k", "--data", str(data), "--api-key", "wrong"], {}, 3,
         ["--api-key"]),
        (["results", "00000000-0000-0000-0000-000000000000", "--key", "status"], {}, 1,
         ["'landingzone uploaddata' printed"]),
        (["files", "upload", "--dataset", "nope", tx], {}, 1,
         ["unknown --dataset 'nope'", "transactions"]),
        (["files", "upload", "--dataset", "transactions", tx], narrow, 3,
         ["scope files.write", "--scope files.write"]),
        (["files", "status", "00000000-0000-0000-0000-000000000000"], {}, 1,
         ["'landingzone files list'"]),
        (["push", "--app", "nope", tx], {}, 1, ["--app 'nope'"]),
        (["files", "list"], {"LZ_CLIENT_SECRET": "wrong"}, 3,
         ["--client-id", "--client-secret"]),
    ]  # fmt: skip
    for args, env, code, words in cases:
        result = run(server, *args, **env)
        assert result.returncode == code, (args, result.stderr)
        message = result.stderr.splitlines()[-1]
        assert message.startswith("error: "), (args, result.stderr)
        assert all(w in message for w in words), (args, message)
        # The server's request vocabulary never reaches the CLI user.
        for field in ('"Overwrite"', "datasetType", "TimeZone", "api_key=", "dataKey", "Key "):
            assert field not in message, (args, message)


def test_ctrl_c_while_waiting_prints_the_file_id_again(tmp_path: Path) -> None:
    # No validation workers: the file stays Pending, and the command waits for it.
    idle = ServerProcess(tmp_path / "data", env_overrides={"LZ_VALIDATION_WORKERS": "0"}).start()
    try:
        process = subprocess.Popen(
            [LANDINGZONE, "files", "upload", "--dataset", "transactions",
             str(csv_file(tmp_path / "wait.csv", "1"))],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=environment(idle),
        )  # fmt: skip
        assert process.stderr is not None
        seen = []
        for line in process.stderr:  # read until the command is waiting
            seen.append(line)
            if "Pending" in line:
                break
        match = UUID.search(seen[0])
        assert match, seen
        file_id = match.group(0)
        process.send_signal(signal.SIGINT)
        stdout, rest = process.communicate(timeout=60)
        assert process.returncode == 130, rest
        assert f"interrupted: file {file_id} is uploaded and Pending" in rest
        assert f"landingzone files status {file_id}" in rest
        assert "Traceback" not in rest and stdout == ""
        pending = run(idle, "files", "status", file_id)
        assert pending.returncode == 0 and pending.stdout.startswith(f"{file_id}  Pending")
    finally:
        idle.stop()


def test_ctrl_c_during_the_upload_prints_the_id_and_stores_nothing(
    server: ServerProcess, tmp_path: Path
) -> None:
    big = tmp_path / "big.csv"
    with big.open("wb") as out:
        out.truncate(2 * 1024 * 1024 * 1024)  # sparse: seconds of checksum and upload
    process = subprocess.Popen(
        [LANDINGZONE, "files", "upload", "--dataset", "transactions", str(big)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=environment(server),
    )  # fmt: skip
    assert process.stderr is not None
    first = process.stderr.readline()  # the id, before any byte is sent
    match = UUID.search(first)
    assert match and "uploading big.csv" in first, first
    file_id = match.group(0)
    process.send_signal(signal.SIGINT)
    stdout, rest = process.communicate(timeout=60)
    assert process.returncode == 130, rest
    assert f"interrupted: the upload of file {file_id} stopped and nothing was stored" in rest
    assert "Traceback" not in rest and stdout == ""
    status = run(server, "files", "status", file_id, "--json")
    document = json.loads(status.stdout)
    assert document["status"] == "Pending" and document["uploadedAt"] is None


def test_a_correction_supersedes_and_retract_deletes(server: ServerProcess, tmp_path: Path) -> None:
    first = run(server, "files", "upload", "--dataset", "transactions",
                str(csv_file(tmp_path / "v1.csv", "1.50", "2.50")))  # fmt: skip
    assert first.returncode == 0, first.stderr
    old = first.stdout.split()[0]
    fixed = run(server, "files", "upload", "--dataset", "transactions", "--replaces", old,
                str(csv_file(tmp_path / "v2.csv", "1.75")))  # fmt: skip
    assert fixed.returncode == 0, fixed.stderr
    new = fixed.stdout.split()[0]
    shown = run(server, "files", "status", old)
    assert shown.returncode == 0, shown.stderr
    assert shown.stdout.startswith(f"{old}  Superseded")
    assert f"superseded by {new}: its rows no longer count" in shown.stdout

    again = run(server, "files", "upload", "--dataset", "transactions", "--replaces", "nope",
                str(tmp_path / "v2.csv"))  # fmt: skip
    assert again.returncode != 0
    assert "--replaces: no file with id 'nope'." in again.stderr

    retracted = run(server, "files", "retract", new, "--json")
    assert retracted.returncode == 0, retracted.stderr
    assert json.loads(retracted.stdout)["status"] == "Deleted"
    assert run(server, "files", "status", new).stdout.startswith(f"{new}  Deleted")
