"""Dataset types wider than validation takes are refused with the limit named (issue 12)."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from landingzone.cli.main import app
from landingzone.cli.server.serve import prepare
from landingzone.validation.schema import (
    MAX_FIELDS,
    DatasetTypeError,
    load_stored_dataset_type,
    parse_dataset_type,
)
from landingzone.validation.validator import (
    BLOCK_SIZE,
    MIN_BLOCK_SIZE,
    DatasetTooWide,
    Validator,
    block_size_for,
)
from tests.conftest import make_settings


def wide(count: int) -> dict[str, object]:
    fields = [{"name": f"f{i}", "type": "integer"} for i in range(count)]
    return {"name": "wide", "schema": {"fields": fields}}


def test_the_widest_allowed_dataset_type_validates() -> None:
    dataset = parse_dataset_type(json.dumps(wide(MAX_FIELDS)))
    header = ",".join(f"f{i}" for i in range(MAX_FIELDS)).encode()
    row = ",".join(str(i) for i in range(MAX_FIELDS)).encode()
    report = Validator(dataset).validate(io.BytesIO(header + b"\n" + (row + b"\n") * 200))
    assert report.fatal is None and report.rows_total == 200


def test_a_1500_field_dataset_type_is_refused_naming_the_limit() -> None:
    with pytest.raises(DatasetTypeError) as refused:
        parse_dataset_type(json.dumps(wide(1500)))
    message = str(refused.value)
    assert "1500 fields" in message and f"at most {MAX_FIELDS} fields" in message


def test_a_wide_type_stored_before_the_limit_fails_validation_with_the_limit_named() -> None:
    stored = load_stored_dataset_type(json.dumps(wide(1500)))
    with pytest.raises(DatasetTooWide, match=f"at most {MAX_FIELDS} fields"):
        Validator(stored)


@pytest.fixture
def runner(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> CliRunner:
    url = f"sqlite:///{tmp_path / 'm.db'}"
    monkeypatch.setenv("LZ_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("LZ_DATABASE_URL", url)
    monkeypatch.setenv("LZ_SECRET_KEY", "k" * 64)
    prepare(make_settings(tmp_path / "data", url))
    return CliRunner()


def test_dataset_add_refuses_1500_fields(runner: CliRunner, tmp_path: Path) -> None:
    path = tmp_path / "wide.json"
    path.write_text(json.dumps(wide(1500)))
    result = runner.invoke(app, ["admin", "dataset", "add", str(path)])
    assert result.exit_code != 0
    assert f"at most {MAX_FIELDS} fields" in result.output
    listed = runner.invoke(app, ["admin", "dataset", "list", "--json"])
    assert "wide" not in [d["name"] for d in json.loads(listed.output)]


def test_wider_types_read_smaller_blocks() -> None:
    assert block_size_for(10) == BLOCK_SIZE
    assert MIN_BLOCK_SIZE <= block_size_for(MAX_FIELDS) < block_size_for(100) < BLOCK_SIZE
