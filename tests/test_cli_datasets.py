"""`landingzone admin dataset add | list | show` on real databases."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from landingzone.cli.main import app
from landingzone.cli.server.serve import prepare
from tests.conftest import make_settings


@pytest.fixture
def runner(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, database_url: str) -> CliRunner:
    monkeypatch.setenv("LZ_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("LZ_DATABASE_URL", database_url)
    monkeypatch.setenv("LZ_SECRET_KEY", "k" * 64)
    prepare(make_settings(tmp_path / "data", database_url))
    return CliRunner()


def test_shipped_dataset_types_are_installed_on_first_start(runner: CliRunner) -> None:
    result = runner.invoke(app, ["admin", "dataset", "list", "--json"])
    assert result.exit_code == 0, result.output
    assert [d["name"] for d in json.loads(result.output)] == [
        "contracts",
        "transactions",
        "uploadapi.data",
        "uploadapi.events",
        "users",
    ]


def test_add_creates_versions_and_show_prints_the_newest(runner: CliRunner, tmp_path: Path) -> None:
    path = tmp_path / "invoices.json"
    path.write_text(json.dumps({"name": "invoices", "schema": {"fields": [{"name": "id"}]}}))
    first = runner.invoke(app, ["admin", "dataset", "add", str(path), "--json"])
    assert first.exit_code == 0, first.output
    assert json.loads(first.output)["version"] == 1
    path.write_text(
        json.dumps(
            {
                "name": "invoices",
                "maxBadRecords": 3,
                "schema": {"fields": [{"name": "id"}, {"name": "total", "type": "number"}]},
            }
        )
    )
    second = runner.invoke(app, ["admin", "dataset", "add", str(path)])
    assert "invoices version 2" in second.output
    shown = json.loads(
        runner.invoke(app, ["admin", "dataset", "show", "invoices", "--json"]).output
    )
    assert shown["version"] == 2 and shown["maxBadRecords"] == 3
    assert [f["name"] for f in shown["definition"]["schema"]["fields"]] == ["id", "total"]
    human = runner.invoke(app, ["admin", "dataset", "show", "transactions"])
    assert "transaction_id" in human.output and "unique" in human.output


def test_broken_file_is_one_clear_line_and_stores_nothing(
    runner: CliRunner, tmp_path: Path
) -> None:
    path = tmp_path / "bad.json"
    path.write_text(
        json.dumps(
            {
                "name": "bad",
                "schema": {
                    "fields": [
                        {"name": "amount", "type": "number", "constraints": {"minLength": 2}}
                    ]
                },
            }
        )
    )
    result = runner.invoke(app, ["admin", "dataset", "add", str(path)])
    assert result.exit_code == 1
    assert "schema.fields[0] (amount)" in result.output
    assert "string fields" in result.output
    assert "Traceback" not in result.output
    missing = runner.invoke(app, ["admin", "dataset", "add", str(tmp_path / "nope.json")])
    assert missing.exit_code == 1 and "cannot read" in missing.output
    listed = json.loads(runner.invoke(app, ["admin", "dataset", "list", "--json"]).output)
    assert "bad" not in [d["name"] for d in listed]
    unknown = runner.invoke(app, ["admin", "dataset", "show", "nope"])
    assert unknown.exit_code == 1 and "No dataset type named 'nope'" in unknown.output
