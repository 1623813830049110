"""`landingzone admin ...` against real databases, as an operator runs it."""

from __future__ import annotations

import hashlib
import io
import json
import uuid
from pathlib import Path

import pytest
from sqlalchemy import create_engine, select
from typer.testing import CliRunner

from landingzone.bootstrap import Services
from landingzone.cli.main import app
from landingzone.db.tables import clients
from landingzone.domain.models import NewObject
from landingzone.settings import Settings
from landingzone.storage.local import LocalObjectStore
from landingzone.storage.s3 import S3Location, S3ObjectStore
from tests.s3 import S3Server


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
    assert set(issued) == {"client_id", "client_secret", "api_key", "customer", "scopes", "label"}
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
        ["admin", "verify"],
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


def store_objects(settings: Settings, contents: dict[tuple[str, str], bytes]) -> dict[str, str]:
    """Record ``(customer, filename) -> bytes`` as uploads do; return filename -> storage id."""
    services = Services.build(settings)
    stored = {}
    try:
        for (customer_name, filename), data in contents.items():
            customer = services.tenants.get_customer_by_name(customer_name)
            if customer is None:
                customer = services.admin.create_customer(customer_name)
            storage_id = services.store.put(io.BytesIO(data))
            services.objects.record(
                NewObject(
                    storage_id=storage_id,
                    upload_id=uuid.uuid4().hex,
                    customer_id=customer.id,
                    app_pk=None,
                    object_key=f"log-connector-data/{customer_name}/app/{filename}",
                    filename=filename,
                    type=None,
                    size=len(data),
                    sha256=hashlib.sha256(data).hexdigest(),
                    md5=hashlib.md5(data).hexdigest(),
                )
            )
            stored[filename] = storage_id
    finally:
        services.engine.dispose()
    return stored


def test_admin_verify_reports_flipped_and_missing_objects(run, tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    ids = store_objects(
        Settings(),
        {
            ("acme", "good.csv"): b"id\n1\n",
            ("acme", "flipped.csv"): b"id\n2\n",
            ("acme", "gone.csv"): b"id\n3\n",
            ("other", "fine.csv"): b"id\n4\n",
        },
    )
    clean = json.loads(run("admin", "verify", "--json"))
    assert clean == {"checked": 4, "bytes": 20, "ok": 4, "damaged": []}
    assert "4 intact, 0 damaged" in run("admin", "verify")

    flipped = LocalObjectStore(data_dir).path_for(ids["flipped.csv"])
    flipped.chmod(0o600)
    flipped.write_bytes(b"id\n9\n")  # one byte changed at rest
    LocalObjectStore(data_dir).path_for(ids["gone.csv"]).unlink()

    result = run.runner.invoke(app, ["admin", "verify", "--json"])
    assert result.exit_code == 1
    report = json.loads(result.stdout)
    assert (report["checked"], report["ok"]) == (4, 2)
    damaged = {d["key"].rsplit("/", 1)[1]: d for d in report["damaged"]}
    assert set(damaged) == {"flipped.csv", "gone.csv"}
    assert damaged["flipped.csv"]["problem"] == "sha256-mismatch"
    assert damaged["flipped.csv"]["expectedSha256"] == hashlib.sha256(b"id\n2\n").hexdigest()
    assert damaged["flipped.csv"]["actualSha256"] == hashlib.sha256(b"id\n9\n").hexdigest()
    assert damaged["flipped.csv"]["customer"] == "acme"
    assert damaged["gone.csv"]["problem"] == "missing"
    assert damaged["gone.csv"]["actualSha256"] is None

    human = run.runner.invoke(app, ["admin", "verify"], env={"COLUMNS": "200"})
    assert human.exit_code == 1
    assert "2 intact, 2 damaged" in human.stdout
    assert "flipped.csv" in human.stdout and "sha256-mismatch" in human.stdout
    assert "error: stored objects do not match" in human.stderr

    other = json.loads(run("admin", "verify", "--customer", "other", "--json"))
    assert (other["checked"], other["damaged"]) == (1, [])
    ghost = run.runner.invoke(app, ["admin", "verify", "--customer", "ghost"])
    assert ghost.exit_code == 1 and "No customer named 'ghost'" in ghost.output


def test_admin_verify_re_hashes_objects_in_s3(
    s3: S3Server, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    bucket = s3.new_bucket()
    monkeypatch.setenv("LZ_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("LZ_STORAGE_URL", f"s3://{bucket}/lz/")
    monkeypatch.setenv("LZ_S3_ENDPOINT_URL", s3.endpoint_url)
    monkeypatch.setenv("LZ_S3_REGION", "us-east-1")
    runner = CliRunner()
    assert runner.invoke(app, ["migrate"]).exit_code == 0
    ids = store_objects(Settings(), {("acme", "a.csv"): b"a\n1\n", ("acme", "b.csv"): b"b\n2\n"})
    store = S3ObjectStore(s3.client(), S3Location(bucket, "lz/"))
    s3.client().put_object(Bucket=bucket, Key=store.key_for(ids["b.csv"]), Body=b"b\n3\n")

    result = runner.invoke(app, ["admin", "verify", "--json"])
    assert result.exit_code == 1, result.output
    report = json.loads(result.stdout)
    assert (report["checked"], report["ok"]) == (2, 1)
    assert [d["key"] for d in report["damaged"]] == ["log-connector-data/acme/app/b.csv"]
    assert report["damaged"][0]["actualSha256"] == hashlib.sha256(b"b\n3\n").hexdigest()


def test_operator_clients_and_client_lifecycle(run) -> None:
    operator = json.loads(
        run("admin", "client", "create", "--operator", "--label", "ops", "--json")
    )
    assert (operator["customer"], operator["scopes"], operator["label"]) == (None, ["admin"], "ops")
    assert "Created operator client" in run("admin", "client", "create", "--operator")
    run("admin", "customer", "create", "acme")
    issued = json.loads(run("admin", "client", "create", "acme", "--label", "sync", "--json"))
    assert issued["label"] == "sync" and "admin" not in issued["scopes"]

    listed = {c["client_id"]: c for c in json.loads(run("admin", "client", "list", "--json"))}
    assert listed[operator["client_id"]]["customer"] is None
    assert listed[issued["client_id"]]["lastUsedAt"] is None
    assert "(operator)" in run("admin", "client", "list")
    assert [
        c["client_id"] for c in json.loads(run("admin", "client", "list", "acme", "--json"))
    ] == [issued["client_id"]]

    run("admin", "client", "disable", issued["client_id"])
    enabled = json.loads(run("admin", "client", "enable", issued["client_id"], "--json"))
    assert enabled["enabled"] is True and enabled["disabledAt"] is None
    rotated = json.loads(run("admin", "client", "rotate", issued["client_id"], "--json"))
    assert rotated["client_id"] == issued["client_id"]
    assert rotated["client_secret"] != issued["client_secret"]
    assert rotated["api_key"] != issued["api_key"]
    assert "New credentials for client" in run("admin", "client", "rotate", issued["client_id"])


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("admin", "client", "create", "acme", "--scope", "admin"), "for operator clients only"),
        (("admin", "client", "create"), "give a CUSTOMER, or --operator"),
        (("admin", "client", "create", "acme", "--operator"), "give a CUSTOMER, or --operator"),
        (("admin", "client", "create", "--operator", "--scope", "admin"), "drop --scope"),
        (("admin", "client", "enable", "nope"), "See 'landingzone admin client list'"),
        (("admin", "client", "rotate", "nope"), "No client with id 'nope'"),
        (("admin", "app", "create", "ghost", "crm"), "See 'landingzone admin customer list'"),
        (("admin", "customer", "update", "ghost", "--disable"), "No customer named 'ghost'"),
        (("admin", "customer", "update", "acme"), "Nothing to change"),
        (("admin", "customer", "update", "acme", "--timezone", "Mars/Base"), "Unknown time zone"),
        (("admin", "audit", "--customer", "ghost"), "No customer named 'ghost'"),
        (("admin", "audit", "--since", "soon"), "Invalid since 'soon'"),
        (("admin", "audit", "--limit", "0"), "Invalid limit 0"),
    ],
)
def test_new_commands_refuse_mistakes_in_one_line(run, args: tuple[str, ...], message: str) -> None:
    run("admin", "customer", "create", "acme")
    result = run.runner.invoke(app, list(args))
    assert result.exit_code != 0
    assert message in result.output
    assert "Traceback" not in result.output


def test_customer_update_and_the_audit_log(run) -> None:
    run("admin", "customer", "create", "acme")
    run("admin", "customer", "create", "beta")
    changed = json.loads(
        run(
            "admin",
            "customer",
            "update",
            "acme",
            "--timezone",
            "Europe/Paris",
            "--disable",
            "--json",
        )
    )
    assert (changed["timezone"], changed["disabled"]) == ("Europe/Paris", True)
    assert "enabled" in run("admin", "customer", "update", "acme", "--enable")
    listed = json.loads(run("admin", "customer", "list", "--json"))
    assert [(c["name"], c["disabled"]) for c in listed] == [("acme", False), ("beta", False)]
    issued = json.loads(run("admin", "client", "create", "acme", "--json"))
    run("admin", "client", "rotate", issued["client_id"])

    entries = json.loads(run("admin", "audit", "--json"))
    assert [(e["action"], e["actor"], e["customer"]) for e in entries] == [
        ("client.rotate", "cli", "acme"),
        ("client.create", "cli", "acme"),
        ("customer.update", "cli", "acme"),
        ("customer.update", "cli", "acme"),
        ("customer.create", "cli", "beta"),
        ("customer.create", "cli", "acme"),
    ]
    assert all(e["requestId"] is None for e in entries)
    assert issued["client_secret"] not in json.dumps(entries)
    only = json.loads(run("admin", "audit", "--customer", "beta", "--json"))
    assert [e["target"] for e in only] == ["beta"]
    assert len(json.loads(run("admin", "audit", "--action", "customer.update", "--json"))) == 2
    assert len(json.loads(run("admin", "audit", "--limit", "2", "--json"))) == 2
    assert json.loads(run("admin", "audit", "--since", "2999-01-01", "--json")) == []
    assert json.loads(run("admin", "audit", "--actor", "someone", "--json")) == []
    assert (
        "client.rotate" in run.runner.invoke(app, ["admin", "audit"], env={"COLUMNS": "200"}).output
    )
