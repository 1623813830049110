"""`landingzone admin file list | show | retry` and the dataset commands' audit, on real databases.

The CLI calls the admin API's use-cases: the same documents with --json, the same
refusals as one line, the same audit rows (with the actor `cli`).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from landingzone.cli.main import app
from landingzone.cli.server.serve import prepare
from landingzone.db.tables import audit_log
from tests.conftest import Harness, build_harness, make_settings
from tests.pipeline.test_pipeline import HEADER, tx, upload


@pytest.fixture
def installation(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, database_url: str
) -> Iterator[Harness]:
    """An installation `serve` prepared, with an HTTP client on it for the uploads."""
    settings = make_settings(tmp_path / "data", database_url)
    monkeypatch.setenv("LZ_DATA_DIR", str(settings.data_dir))
    monkeypatch.setenv("LZ_DATABASE_URL", database_url)
    monkeypatch.setenv("LZ_SECRET_KEY", "k" * 64)
    prepare(settings)
    yield from build_harness(settings)


def run(*args: str, code: int = 0) -> str:
    result = CliRunner().invoke(app, list(args))
    assert result.exit_code == code, result.output
    return result.output


def actions(harness: Harness) -> list[tuple[str, str, str]]:
    with harness.services.engine.connect() as conn:
        rows = conn.execute(select(audit_log).order_by(audit_log.c.id)).all()
    return [(r.actor, r.action, r.target) for r in rows]


def test_list_show_and_retry_files(installation: Harness) -> None:
    harness = installation
    acme = harness.auth(harness.tenant("acme"))
    globex = harness.auth(harness.tenant("globex"))
    bad = upload(harness, acme, HEADER + tx(1) + tx(2, amount="ten") + tx(3, status="x"))
    good = upload(harness, globex, HEADER + tx(1))
    pipeline = harness.services.pipeline()
    pipeline.run_once()
    pipeline.run_once()

    listed = json.loads(run("admin", "file", "list", "--json"))
    assert [(f["id"], f["customer"], f["status"]) for f in listed["items"]] == [
        (good, "globex", "Completed"),
        (bad, "acme", "Failed"),
    ]
    api = harness.http.get(f"/analytics/files/{bad}", headers=acme).json()
    # In a listing the errors are left out (errorCount still counts them), as for customers.
    assert listed["items"][1] == {**api, "errors": [], "errorsTruncated": True, "customer": "acme"}
    only = json.loads(
        run("admin", "file", "list", "--customer", "acme", "--status", "Failed", "--json")
    )
    assert [f["id"] for f in only["items"]] == [bad]
    assert json.loads(run("admin", "file", "list", "--dataset", "users", "--json"))["items"] == []
    paged = json.loads(run("admin", "file", "list", "--limit", "1", "--json"))
    rest = json.loads(
        run("admin", "file", "list", "--limit", "1", "--cursor", paged["nextCursor"], "--json")
    )
    assert [f["id"] for f in paged["items"] + rest["items"]] == [good, bad]
    human = run("admin", "file", "list", "--limit", "1")
    assert good in human and f"--cursor {paged['nextCursor']}" in human  # the id whole

    shown = json.loads(run("admin", "file", "show", bad, "--json"))
    assert shown == {
        **harness.http.get(f"/analytics/files/{bad}", headers=acme).json(),
        "customer": "acme",
    }
    assert "status Failed: too many bad rows" in run("admin", "file", "show", bad)

    assert "is Pending again" in run("admin", "file", "retry", bad)
    assert ("cli", "file.retry", bad) in actions(harness)
    refused = run("admin", "file", "retry", good, code=1)
    assert "is Completed: only a Failed file can be retried" in refused
    assert "Traceback" not in refused
    assert "No file with id 'nope'" in run("admin", "file", "show", "nope", code=1)
    assert "No customer named 'nobody'" in run(
        "admin", "file", "list", "--customer", "nobody", code=1
    )
    assert "Invalid status" in run("admin", "file", "list", "--status", "lost", code=1)
    pipeline.run_once()
    assert json.loads(run("admin", "file", "show", bad, "--json"))["status"] == "Failed"


def test_dataset_add_is_audited_refuses_an_unchanged_definition_and_shows_versions(
    installation: Harness, tmp_path: Path
) -> None:
    path = tmp_path / "invoices.json"
    definition: dict[str, Any] = {"name": "invoices", "schema": {"fields": [{"name": "id"}]}}
    path.write_text(json.dumps(definition))
    assert "invoices version 1" in run("admin", "dataset", "add", str(path))
    unchanged = run("admin", "dataset", "add", str(path), code=1)
    assert "version 1 is already this definition" in unchanged
    path.write_text(json.dumps({**definition, "title": "Invoices"}))
    assert "invoices version 2" in run("admin", "dataset", "add", str(path))
    shown = json.loads(run("admin", "dataset", "show", "invoices", "--json"))
    assert (shown["version"], shown["title"]) == (2, "Invoices")
    assert [v["version"] for v in shown["versions"]] == [2, 1]
    assert "earlier versions: 1" in run("admin", "dataset", "show", "invoices")
    added = [a for a in actions(installation) if a[1] == "dataset.add"]
    assert added[-2:] == [("cli", "dataset.add", "invoices")] * 2
    # `serve` installed the shipped examples, as the CLI.
    assert ("cli", "dataset.add", "transactions") in added
