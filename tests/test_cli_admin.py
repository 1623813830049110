"""`landingzone admin ...` against real databases, as an operator runs it."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import create_engine, select
from typer.testing import CliRunner

from landingzone.cli.main import app
from landingzone.db.tables import clients


@pytest.fixture
def run(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, database_url: str):
    monkeypatch.setenv("LZ_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("LZ_DATABASE_URL", database_url)
    runner = CliRunner()

    def invoke(*args: str, ok: bool = True) -> str:
        result = runner.invoke(app, list(args))
        if ok:
            assert result.exit_code == 0, result.output
        return result.output

    invoke.runner = runner  # type: ignore[attr-defined]
    invoke("migrate")
    return invoke


def test_operator_flow_with_json(run, database_url: str) -> None:
    customer = json.loads(
        run("admin", "customer", "create", "acme", "--timezone", "Europe/Paris", "--json")
    )
    assert customer["name"] == "acme" and customer["timezone"] == "Europe/Paris"
    assert json.loads(run("admin", "app", "create", "acme", "crm", "--json"))["appId"] == "crm"
    issued = json.loads(
        run(
            "admin",
            "client",
            "create",
            "acme",
            "--scope",
            "connector.write",
            "--scope",
            "files.read",
            "--json",
        )
    )
    assert set(issued) == {"client_id", "client_secret", "api_key", "customer", "scopes"}
    assert issued["scopes"] == ["connector.write", "files.read"]
    assert len(issued["client_secret"]) >= 43  # 256 bits, base64url

    assert [c["name"] for c in json.loads(run("admin", "customer", "list", "--json"))] == ["acme"]
    assert json.loads(run("admin", "app", "list", "acme", "--json"))[0]["appId"] == "crm"
    listed = json.loads(run("admin", "client", "list", "--json"))
    assert listed[0]["client_id"] == issued["client_id"] and listed[0]["enabled"] is True
    assert "client_secret" not in listed[0]

    # Only hashes are stored.
    engine = create_engine(database_url.replace("postgresql://", "postgresql+psycopg://"))
    with engine.connect() as conn:
        row = conn.execute(select(clients)).one()
    engine.dispose()
    assert issued["client_secret"] not in (row.secret_hash, row.api_key_hash)
    assert len(row.secret_hash) == 64 and len(row.api_key_hash) == 64

    disabled = json.loads(run("admin", "client", "disable", issued["client_id"], "--json"))
    assert disabled["enabled"] is False


def test_human_output(run) -> None:
    assert "Created customer acme" in run("admin", "customer", "create", "acme")
    assert "Created app crm" in run("admin", "app", "create", "acme", "crm")
    out = run("admin", "client", "create", "acme")
    assert "client_secret:" in out and "api_key:" in out
    assert "acme" in run("admin", "customer", "list")
    assert "crm" in run("admin", "app", "list")
    assert "acme" in run("admin", "client", "list", "acme")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("admin", "customer", "create", "bad name"), "Invalid customer name"),
        (("admin", "customer", "create", "x", "--timezone", "Mars/Base"), "Unknown time zone"),
        (("admin", "app", "create", "ghost", "crm"), "No customer named 'ghost'"),
        (("admin", "client", "create", "ghost"), "No customer named 'ghost'"),
        (("admin", "client", "disable", "nope"), "No client with id 'nope'"),
    ],
)
def test_mistakes_are_one_clear_line(run, args: tuple[str, ...], message: str) -> None:
    result = run.runner.invoke(app, list(args))
    assert result.exit_code == 1
    assert message in result.output
    assert "Traceback" not in result.output


def test_duplicates_and_bad_scopes_are_refused(run) -> None:
    run("admin", "customer", "create", "acme")
    result = run.runner.invoke(app, ["admin", "customer", "create", "acme"])
    assert result.exit_code == 1 and "already exists" in result.output
    run("admin", "app", "create", "acme", "crm")
    result = run.runner.invoke(app, ["admin", "app", "create", "acme", "crm"])
    assert result.exit_code == 1 and "already exists" in result.output
    result = run.runner.invoke(app, ["admin", "client", "create", "acme", "--scope", "root"])
    assert result.exit_code == 1 and "Unknown scope 'root'" in result.output


def test_admin_refuses_an_unmigrated_database(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("LZ_DATA_DIR", str(tmp_path / "fresh"))
    result = CliRunner().invoke(app, ["admin", "customer", "list"])
    assert result.exit_code == 1
    assert "landingzone migrate" in result.output
    assert CliRunner().invoke(app, ["migrate"]).exit_code == 0
    assert CliRunner().invoke(app, ["admin", "customer", "list"]).exit_code == 0


def test_a_replaced_secret_key_is_refused(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    data = tmp_path / "data"
    monkeypatch.setenv("LZ_DATA_DIR", str(data))
    runner = CliRunner()
    assert runner.invoke(app, ["migrate"]).exit_code == 0
    assert runner.invoke(app, ["admin", "customer", "create", "acme"]).exit_code == 0
    (data / "secret.key").unlink()  # lost: refused, and no new key is made
    result = runner.invoke(app, ["admin", "customer", "list"])
    assert result.exit_code == 1
    assert "holds a database but no secret.key: restore the key file" in result.output
    assert not (data / "secret.key").exists()
    (data / "secret.key").write_text("k" * 64)  # replaced by another key
    (data / "secret.key").chmod(0o600)
    result = runner.invoke(app, ["admin", "customer", "list"])
    assert result.exit_code == 1
    assert "not the one this database was set up with" in result.output


def test_unknown_lz_variables_are_warned_about(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("LZ_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("LZ_DATABSE_URL", "postgresql://typo")
    monkeypatch.setenv("LZ_CLIENT_ID", "read by the client commands")
    result = CliRunner().invoke(app, ["config", "--json"])
    assert result.exit_code == 0
    assert "LZ_DATABSE_URL is not a landingzone setting" in result.output
    assert "LZ_CLIENT_ID" not in result.output.split("{")[0]


def listing(path: Path) -> list[str]:
    return sorted(str(p.relative_to(path)) for p in path.rglob("*"))


@pytest.mark.parametrize(
    "command",
    [
        ["admin", "customer", "list"],
        ["admin", "customer", "create", "acme"],
        ["admin", "client", "create", "acme"],
        ["admin", "dataset", "list"],
        ["worker"],
    ],
)
def test_commands_refuse_a_missing_data_directory_and_create_nothing(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, command: list[str]
) -> None:
    monkeypatch.chdir(tmp_path)  # the wrong directory: no lz-data here
    monkeypatch.delenv("LZ_DATA_DIR", raising=False)
    monkeypatch.delenv("LZ_DATABASE_URL", raising=False)
    result = CliRunner().invoke(app, command)
    assert result.exit_code == 1, result.output
    assert f"The data directory {tmp_path / 'lz-data'} does not exist" in result.output
    assert "Traceback" not in result.output
    assert listing(tmp_path) == []


@pytest.mark.parametrize("command", [["admin", "customer", "list"], ["worker"]])
def test_commands_refuse_an_uninitialised_data_directory_and_create_nothing(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, command: list[str]
) -> None:
    data = tmp_path / "data"
    data.mkdir()
    (data / "notes.txt").write_text("someone else's directory")
    monkeypatch.setenv("LZ_DATA_DIR", str(data))
    monkeypatch.delenv("LZ_DATABASE_URL", raising=False)
    result = CliRunner().invoke(app, command)
    assert result.exit_code == 1, result.output
    assert f"{data} is not an initialised landingzone data directory" in result.output
    assert "secret.key, landingzone.db, objects/" in result.output
    assert listing(data) == ["notes.txt"]


def test_serve_migrate_and_config_still_work_without_an_installation(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("LZ_DATA_DIR", raising=False)
    monkeypatch.delenv("LZ_DATABASE_URL", raising=False)
    assert CliRunner().invoke(app, ["config", "--json"]).exit_code == 0
    assert listing(tmp_path) == []  # config only reads
    assert CliRunner().invoke(app, ["migrate"]).exit_code == 0
    assert {"lz-data/secret.key", "lz-data/landingzone.db", "lz-data/objects"} <= set(
        listing(tmp_path)
    )
    assert CliRunner().invoke(app, ["admin", "customer", "list"]).exit_code == 0


def test_a_client_created_without_scope_gets_every_scope_but_admin(run) -> None:
    run("admin", "customer", "create", "acme")
    issued = json.loads(run("admin", "client", "create", "acme", "--json"))
    assert issued["scopes"] == [
        "connector.write",
        "files.write",
        "files.read",
        "platform_upload_api",
    ]
