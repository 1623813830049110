"""`landingzone admin user ...` against real databases, as an operator runs it."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from typer.testing import CliRunner, Result

from landingzone.bootstrap import Services
from landingzone.cli.main import app
from landingzone.db.audit import AuditRepository
from landingzone.db.tables import users
from landingzone.domain.audit import AuditFilter
from landingzone.errors import SignInRefused
from landingzone.settings import Settings

GOOD = "correct horse battery"


@pytest.fixture
def services(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, database_url: str
) -> Iterator[Services]:
    """The installation the commands work on, set up as `migrate` leaves it."""
    monkeypatch.setenv("LZ_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("LZ_DATABASE_URL", database_url)
    assert CliRunner().invoke(app, ["migrate"]).exit_code == 0
    assert CliRunner().invoke(app, ["admin", "customer", "create", "acme"]).exit_code == 0
    built = Services.build(Settings())
    yield built
    built.engine.dispose()


def run(*args: str, stdin: str | None = None, code: int = 0) -> Result:
    result = CliRunner().invoke(app, list(args), input=stdin)
    assert result.exit_code == code, result.output
    return result


def as_json(result: Result) -> Any:
    return json.loads(result.stdout)


def test_create_prints_a_one_time_password_that_signs_in_once(services: Services) -> None:
    out = run("admin", "user", "create", "Ann@Example.com", "--customer", "acme").stdout
    assert "Created user ann@example.com (member of customer acme)." in out
    match = re.search(r"shown once.*\n  (\S+)\n", out)
    assert match, out
    one_time = match.group(1)
    user = services.users.verify_sign_in("ann@example.com", one_time)
    assert user.must_change_password and user.customer == "acme"

    document = as_json(run("admin", "user", "create", "ops@example.com", "--operator", "--json"))
    assert document["role"] == "operator" and document["customer"] is None
    assert document["mustChangePassword"] is True and len(document["oneTimePassword"]) >= 12
    assert not {"password", "passwordHash"} & set(document)
    assert services.users.verify_sign_in("ops@example.com", document["oneTimePassword"])


def test_password_stdin_sets_a_lasting_password(services: Services) -> None:
    document = as_json(
        run(
            "admin", "user", "create", "ann@example.com", "--customer", "acme",
            "--password-stdin", "--json", stdin=GOOD + "\n",
        )
    )  # fmt: skip
    assert document["oneTimePassword"] is None and document["mustChangePassword"] is False
    assert services.users.verify_sign_in("ann@example.com", GOOD)
    with services.engine.connect() as conn:
        stored = conn.execute(select(users.c.password_hash)).scalar_one()
    assert stored.startswith("$argon2id$") and GOOD not in stored

    refused = run(
        "admin", "user", "create", "bob@example.com", "--operator", "--password-stdin",
        stdin="too short\n", code=1,
    )  # fmt: skip
    assert "error: Invalid password: it has 9 characters: use 12 to 1024 characters." in (
        refused.output.replace("\n", " ")
    )
    assert "too short" not in refused.output
    assert "Traceback" not in refused.output


@pytest.mark.parametrize(
    "flags", [(), ("--operator", "--customer", "acme")], ids=["neither", "both"]
)
def test_create_needs_exactly_one_of_operator_or_customer(
    services: Services, flags: tuple[str, ...]
) -> None:
    result = run("admin", "user", "create", "ann@example.com", *flags, code=2)
    assert "exactly one of --operator or --customer" in result.output
    assert services.users.list_all() == []


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("create", "ann@example.com", "--customer", "ghost"), "Unknown customer 'ghost'"),
        (("create", "not-an-email", "--operator"), "Invalid email 'not-an-email'"),
        (("disable", "nobody@example.com"), "No user with email 'nobody@example.com'"),
        (("enable", "nobody@example.com"), "No user with email 'nobody@example.com'"),
        (("reset-password", "nobody@example.com"), "No user with email"),
        (("list", "--customer", "ghost"), "No customer named 'ghost'"),
    ],
)
def test_mistakes_are_one_clear_line(
    services: Services, args: tuple[str, ...], message: str
) -> None:
    result = run("admin", "user", *args, code=1)
    assert message in result.output.replace("\n", " ")
    assert result.output.startswith("error: ")
    assert "Traceback" not in result.output


def test_duplicate_emails_in_another_case_are_refused(services: Services) -> None:
    run("admin", "user", "create", "ann@example.com", "--operator")
    result = run("admin", "user", "create", "ANN@example.com", "--customer", "acme", code=1)
    assert "already exists" in result.output


def test_list_disable_enable_and_reset(services: Services) -> None:
    services.admin.create_customer("globex")
    run("admin", "user", "create", "ann@example.com", "--customer", "acme")
    run("admin", "user", "create", "bob@example.com", "--customer", "globex")
    run("admin", "user", "create", "ops@example.com", "--operator")

    listed = as_json(run("admin", "user", "list", "--json"))
    assert [u["email"] for u in listed] == ["ann@example.com", "bob@example.com", "ops@example.com"]
    assert all("oneTimePassword" not in u and "passwordHash" not in u for u in listed)
    acme = as_json(run("admin", "user", "list", "--customer", "acme", "--json"))
    assert [u["email"] for u in acme] == ["ann@example.com"]
    table = run("admin", "user", "list").stdout
    assert "bob@example.com" in table and "globex" in table and "one-time" in table

    out = run("admin", "user", "disable", "ANN@example.com").stdout
    assert "Disabled user ann@example.com" in out
    assert as_json(run("admin", "user", "disable", "ann@example.com", "--json"))["enabled"] is False
    assert "disabled" in run("admin", "user", "list").stdout
    assert as_json(run("admin", "user", "enable", "ann@example.com", "--json"))["enabled"] is True
    assert (
        "Enabled user ann@example.com." in run("admin", "user", "enable", "ann@example.com").stdout
    )

    reset = as_json(run("admin", "user", "reset-password", "ann@example.com", "--json"))
    assert reset["mustChangePassword"] is True
    assert services.users.verify_sign_in("ann@example.com", reset["oneTimePassword"])
    chosen = run(
        "admin", "user", "reset-password", "ann@example.com", "--password-stdin", stdin=GOOD
    ).stdout
    assert "Reset the password of ann@example.com." in chosen and "One-time" not in chosen
    with pytest.raises(SignInRefused):
        services.users.verify_sign_in("ann@example.com", reset["oneTimePassword"])
    assert services.users.verify_sign_in("ann@example.com", GOOD)

    actions = [
        (e.actor, e.action, e.target)
        for e in AuditRepository(services.engine).entries(AuditFilter(actor="cli"), 100, None)
    ]
    assert ("cli", "user.disable", "ann@example.com") in actions
    assert ("cli", "user.enable", "ann@example.com") in actions
    assert actions.count(("cli", "user.reset_password", "ann@example.com")) == 2
