"""Settings, the generated secret key, and `landingzone config`."""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path

import pytest
from typer.testing import CliRunner

from landingzone.auth.keys import Keys, load_master_key
from landingzone.cli.main import app
from landingzone.errors import ConfigurationError
from landingzone.settings import GIB, Settings, mask_url_password


def test_defaults_match_the_issue(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in list(os.environ):
        if name.startswith("LZ_"):
            monkeypatch.delenv(name)
    settings = Settings()
    assert settings.data_dir == Path("./lz-data")
    assert settings.effective_database_url.startswith("sqlite:///")
    assert settings.effective_database_url.endswith("lz-data/landingzone.db")
    assert settings.effective_storage_url.startswith("file:///")
    assert settings.token_ttl == 3600
    assert settings.upload_url_ttl == 3600
    assert settings.max_object_size == 5 * GIB
    assert settings.rate_limit == 20
    assert settings.effective_public_url == "http://127.0.0.1:8000"


def test_env_vars_are_read(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LZ_PORT", "9001")
    monkeypatch.setenv("LZ_HOST", "0.0.0.0")
    monkeypatch.setenv("LZ_PUBLIC_URL", "https://files.example.com/")
    settings = Settings()
    assert settings.port == 9001
    assert settings.effective_public_url == "https://files.example.com"
    monkeypatch.delenv("LZ_PUBLIC_URL")
    assert Settings().effective_public_url == "http://localhost:9001"


def test_secret_key_is_generated_once_with_mode_0600(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path / "d")
    first = load_master_key(settings)
    path = tmp_path / "d" / "secret.key"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert load_master_key(settings) == first
    assert len(first) >= 64
    derived = Keys.derive(first)
    assert len({derived.token, derived.url, derived.pepper}) == 3


def test_a_world_readable_key_file_is_refused(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path)
    load_master_key(settings)
    (tmp_path / "secret.key").chmod(0o644)
    with pytest.raises(ConfigurationError, match="chmod 600"):
        load_master_key(settings)


def test_env_secret_key_wins_and_must_be_long(tmp_path: Path) -> None:
    assert load_master_key(Settings(data_dir=tmp_path, secret_key="s" * 40)) == b"s" * 40
    assert not (tmp_path / "secret.key").exists()
    with pytest.raises(ConfigurationError):
        load_master_key(Settings(data_dir=tmp_path, secret_key="short"))


def test_config_command_masks_secrets(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("LZ_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("LZ_SECRET_KEY", "topsecret-" * 5)
    monkeypatch.setenv("LZ_DATABASE_URL", "postgresql://lz:hunter2@db.internal/lz")
    result = CliRunner().invoke(app, ["config", "--json"])
    assert result.exit_code == 0, result.output
    values = json.loads(result.output)
    assert values["secret_key"] == "********"
    assert values["database_url"] == "postgresql://lz:********@db.internal/lz"
    assert "topsecret" not in result.output and "hunter2" not in result.output
    table = CliRunner().invoke(app, ["config"])
    assert "LZ_TOKEN_TTL" in table.output and "hunter2" not in table.output


def test_invalid_setting_is_one_clear_line(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LZ_PORT", "not-a-port")
    result = CliRunner().invoke(app, ["config"])
    assert result.exit_code == 2
    assert "LZ_PORT" in result.output
    assert "Traceback" not in result.output


def test_password_hash_costs_default_to_rfc_9106_and_refuse_cheap_ones(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    for name in list(os.environ):
        if name.startswith("LZ_"):
            monkeypatch.delenv(name)
    defaults = Settings()
    assert (
        defaults.password_hash_memory_kib,
        defaults.password_hash_passes,
        defaults.password_hash_lanes,
    ) == (65536, 3, 4)
    monkeypatch.setenv("LZ_PASSWORD_HASH_MEMORY_KIB", "19456")
    monkeypatch.setenv("LZ_PASSWORD_HASH_PASSES", "2")
    monkeypatch.setenv("LZ_PASSWORD_HASH_LANES", "1")
    read = Settings()
    assert (read.password_hash_memory_kib, read.password_hash_passes) == (19456, 2)
    for name, value in (
        ("LZ_PASSWORD_HASH_MEMORY_KIB", "1024"),
        ("LZ_PASSWORD_HASH_MEMORY_KIB", str(8 * 1024 * 1024)),
        ("LZ_PASSWORD_HASH_PASSES", "0"),
        ("LZ_PASSWORD_HASH_LANES", "0"),
    ):
        with monkeypatch.context() as bad:
            bad.setenv(name, value)
            result = CliRunner().invoke(app, ["config"])
        assert result.exit_code == 2, (name, value, result.output)
        assert name in result.output and "Traceback" not in result.output


def test_mask_url_password() -> None:
    assert mask_url_password("redis://:pw@host:6379/0") == "redis://:********@host:6379/0"
    assert mask_url_password("sqlite:///x.db") == "sqlite:///x.db"
