"""The user docs cover what the code offers (ARCHITECTURE habit 10).

Each test derives its list from the code itself (settings fields, CLI commands,
HTTP routes, the error tables), so adding one without documenting it fails here.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import pytest
import typer

from landingzone.api.errors import JSON_ANSWERS
from landingzone.api.objects import DATABASE_DOWN, INTERNAL_ERROR, S3_ANSWERS
from landingzone.auth.signing import OBJECT_ROUTE_PREFIX
from landingzone.bootstrap import Services
from landingzone.cli.main import app as cli_app
from landingzone.errors import Reason
from landingzone.settings import Settings

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"
DOC_FILES = ["quickstart.md", "configuration.md", "api.md", "errors.md", "operations.md", "cli.md"]


def doc(name: str) -> str:
    return (DOCS / name).read_text(encoding="utf-8")


def test_every_doc_exists_and_links_resolve() -> None:
    for name in DOC_FILES:
        text = doc(name)
        assert text.startswith("# "), f"docs/{name} should start with a title"
        for target in re.findall(r"\]\(([A-Za-z0-9_-]+\.md)(?:#[^)]*)?\)", text):
            assert (DOCS / target).is_file(), f"docs/{name} links to missing docs/{target}"


# 1. settings


def test_every_setting_is_documented() -> None:
    text = doc("configuration.md")
    missing = [
        f"LZ_{name.upper()}"
        for name in Settings.model_fields
        if not re.search(rf"\bLZ_{name.upper()}(?![A-Z0-9_])", text)
    ]
    assert Settings.model_fields, "Settings has no fields?"
    assert not missing, f"docs/configuration.md does not mention {missing}"


# 2. CLI commands and their options


def command_paths(group: Any, prefix: str = "") -> Iterator[tuple[str, Any]]:
    """Every command path ("admin client create") of a click/Typer group, depth first."""
    for name, command in getattr(group, "commands", {}).items():
        path = f"{prefix} {name}".strip()
        yield path, command
        yield from command_paths(command, path)


def test_every_cli_command_is_documented() -> None:
    text = doc("cli.md")
    paths = [path for path, _ in command_paths(typer.main.get_command(cli_app))]
    assert "admin client create" in paths, "command walk found no nested commands"
    missing = [path for path in paths if f"landingzone {path}" not in text]
    assert not missing, f"docs/cli.md does not document {missing}"


def test_every_cli_option_is_documented() -> None:
    text = doc("cli.md")
    # Typer may bundle its own click, so options are recognised by duck typing.
    options = [
        (path, opt)
        for path, command in command_paths(typer.main.get_command(cli_app))
        for param in command.params
        if getattr(param, "param_type_name", None) == "option"
        for opt in param.opts
        if opt.startswith("--")
    ]
    assert ("admin client create", "--scope") in options, f"option walk found only {options}"
    missing = [f"{path} {opt}" for path, opt in options if opt not in text]
    assert not missing, f"docs/cli.md does not mention the options {missing}"


# 3. HTTP routes


def route_paths(routes: Iterable[Any], prefix: str = "") -> Iterator[str]:
    """Full paths of every route, also inside included routers of newer FastAPI."""
    for route in routes:
        original = getattr(route, "original_router", None)
        if original is not None:
            include_prefix = getattr(getattr(route, "include_context", None), "prefix", "") or ""
            yield from route_paths(original.routes, prefix + include_prefix)
        elif isinstance(getattr(route, "path", None), str):
            yield prefix + route.path


@pytest.fixture
def api(tmp_path: Path) -> Iterator[Any]:
    from landingzone.api.app import create_api

    settings = Settings(
        data_dir=tmp_path,
        database_url=f"sqlite:///{tmp_path / 'docs.db'}",
        storage_url=tmp_path.as_uri(),
        secret_key="d" * 64,
    )
    services = Services.build(settings)
    services.migrate()
    try:
        yield create_api(services.api_context())
    finally:
        services.engine.dispose()


def test_every_route_is_documented(api: Any) -> None:
    text = doc("api.md")
    framework = {api.openapi_url, api.docs_url, api.redoc_url, api.swagger_ui_oauth2_redirect_url}
    paths = sorted(set(route_paths(api.routes)) - framework)
    assert "/oauth2/token" in paths, f"route walk found only {paths}"
    missing = [path for path in paths if path not in text]
    assert not missing, f"docs/api.md does not document the routes {missing}"
    assert f"{OBJECT_ROUTE_PREFIX}{{key}}" in text, "docs/api.md does not document /o/{key}"


# 4. Error codes: the object endpoint's S3 table and the JSON table


# How docs/errors.md writes the placeholders of a message template.
DOC_PLACEHOLDERS = {"limit": "N", "status": "STATUS"}


def test_every_s3_error_is_documented() -> None:
    text = doc("errors.md")
    answers = [*S3_ANSWERS.values(), DATABASE_DOWN, INTERNAL_ERROR]
    assert set(S3_ANSWERS) == set(Reason), "a refusal reason has no S3 answer"
    rows = [
        f"| {answer.status} | `{answer.code}` | `{answer.message.format_map(DOC_PLACEHOLDERS)}`"
        for answer in answers
    ]
    missing = [row for row in rows if row not in text]
    assert not missing, f"docs/errors.md does not document the S3 errors {missing}"


def test_every_json_error_status_is_documented() -> None:
    text = doc("errors.md")
    statuses = {answer.status for answer in JSON_ANSWERS.values()}
    missing = sorted(status for status in statuses if f"\n| {status} |" not in text)
    assert not missing, f"docs/errors.md does not document the JSON statuses {missing}"
