"""Portal users' use-cases on SQLite and PostgreSQL: Argon2id hashes, the password and
email rules, the sign-in check, disable/enable, resets, and the audit rows they write."""

from __future__ import annotations

import logging
from typing import Any

import pytest
from argon2 import Parameters, PasswordHasher, Type
from sqlalchemy import select

from landingzone.auth.passwords import PasswordHashing, new_one_time_password, password_problem
from landingzone.bootstrap import Services
from landingzone.db.audit import AuditRepository
from landingzone.db.tables import audit_log, users
from landingzone.db.users import UserRepository
from landingzone.domain.audit import Actor, AuditFilter, AuditRecord
from landingzone.domain.models import UserRole
from landingzone.domain.users import UserService
from landingzone.errors import (
    AlreadyExists,
    InvalidCursor,
    InvalidDocument,
    InvalidInput,
    NotFound,
    SignInRefused,
)
from tests.conftest import Harness

GOOD = "correct horse battery"
OTHER = "another long password"
# Far cheaper than the default: a hash of an older installation, to be remade.
CHEAP = Parameters(
    type=Type.ID,
    version=19,
    salt_len=16,
    hash_len=32,
    time_cost=1,
    memory_cost=8,
    parallelism=1,
)


@pytest.fixture
def service(harness: Harness) -> UserService:
    harness.services.admin.create_customer("acme")
    harness.services.admin.create_customer("globex")
    return harness.services.users


def rows(harness: Harness, table: Any) -> list[Any]:
    with harness.services.engine.connect() as conn:
        return list(conn.execute(select(table).order_by(table.c.id)))


def audit(harness: Harness) -> list[tuple[str, str, str, str, str | None]]:
    """(actor, action, target, outcome, customer name) of every audit row, oldest first."""
    return [
        (e.actor, e.action, e.target, e.outcome, e.customer) for e in reversed(entries(harness))
    ]


def entries(harness: Harness) -> list[AuditRecord]:
    """The users' rows of the audit log, newest first (the fixtures' customers have rows too)."""
    found = AuditRepository(harness.services.engine).entries(AuditFilter(), 1000, None)
    return [e for e in found if e.action.startswith("user.")]


def stored_hash(harness: Harness, email: str) -> str:
    with harness.services.engine.connect() as conn:
        found: str = conn.execute(
            select(users.c.password_hash).where(users.c.email == email)
        ).scalar_one()
    return found


def test_a_user_is_stored_with_an_argon2id_hash_and_a_normalised_email(
    harness: Harness, service: UserService
) -> None:
    issued = service.create("  Ann@Example.COM ", "member", "acme", GOOD)
    assert issued.one_time_password is None
    user = issued.user
    assert (user.email, user.role, user.customer, user.enabled) == (
        "ann@example.com",
        UserRole.MEMBER,
        "acme",
        True,
    )
    assert user.must_change_password is False and user.last_sign_in_at is None
    hashed = stored_hash(harness, "ann@example.com")
    assert hashed.startswith("$argon2id$") and GOOD not in hashed
    assert PasswordHasher().verify(hashed, GOOD)
    assert service.get("ANN@example.com") == user

    operator = service.create("ops@example.com", "operator").user
    assert (operator.role, operator.customer_id, operator.customer) == (
        UserRole.OPERATOR,
        None,
        None,
    )
    assert audit(harness) == [
        ("cli", "user.create", "ann@example.com", "ok", "acme"),
        ("cli", "user.create", "ops@example.com", "ok", None),
    ]


def test_without_a_password_a_one_time_one_is_made_and_must_be_changed(
    harness: Harness, service: UserService
) -> None:
    issued = service.create("ann@example.com", "member", "acme")
    one_time = issued.one_time_password
    assert one_time is not None and len(one_time) >= 12
    assert issued.user.must_change_password is True
    assert one_time not in stored_hash(harness, "ann@example.com")
    signed_in = service.verify_sign_in("ann@example.com", one_time)
    assert signed_in.must_change_password is True  # the portal asks for a new one
    changed = service.change_password("ann@example.com", one_time, GOOD)
    assert changed.must_change_password is False
    assert changed.password_changed_at > issued.user.password_changed_at
    with pytest.raises(SignInRefused):
        service.verify_sign_in("ann@example.com", one_time)
    assert service.verify_sign_in("ann@example.com", GOOD).email == "ann@example.com"


@pytest.mark.parametrize(
    ("email", "role", "customer", "password", "words"),
    [
        ("ann@example.com", "member", "acme", "short", "use 12 to 1024 characters"),
        ("ann@example.com", "member", "acme", "x" * 1025, "it has 1025 characters"),
        ("not an email", "member", "acme", GOOD, "Invalid email"),
        ("a/b@example.com", "member", "acme", GOOD, "Invalid email"),
        ("ann@example.com", "admin", "acme", GOOD, "Invalid role 'admin'"),
        ("ann@example.com", "operator", "acme", GOOD, "leave out the customer"),
        ("ann@example.com", "member", None, GOOD, "A member belongs to one customer"),
        ("ann@example.com", "member", "ghost", GOOD, "Unknown customer 'ghost'"),
    ],
)
def test_bad_users_are_refused_and_nothing_is_stored(
    harness: Harness,
    service: UserService,
    email: str,
    role: str,
    customer: str | None,
    password: str,
    words: str,
) -> None:
    with pytest.raises(InvalidDocument) as refused:
        service.create(email, role, customer, password)
    message = refused.value.message
    assert words in message
    assert password not in message
    assert rows(harness, users) == [] and entries(harness) == []


def test_the_password_rule_is_said_in_the_error(service: UserService) -> None:
    with pytest.raises(InvalidDocument) as refused:
        service.create("ann@example.com", "member", "acme", "eleven char")
    assert refused.value.message == (
        "Invalid password: it has 11 characters: use 12 to 1024 characters."
    )


def test_emails_are_unique_in_any_case(harness: Harness, service: UserService) -> None:
    service.create("ann@example.com", "member", "acme", GOOD)
    with pytest.raises(AlreadyExists, match=r"ann@example\.com"):
        service.create("ANN@Example.com", "operator")
    assert len(rows(harness, users)) == 1
    assert [a[1] for a in audit(harness)] == ["user.create"]  # the refused one left no row


def test_sign_in_refusals_look_alike_and_are_audited(
    harness: Harness, service: UserService
) -> None:
    service.create("ann@example.com", "member", "acme", GOOD)
    refusals = {}
    for email, password in (
        ("ann@example.com", "wrong password!"),
        ("nobody@example.com", GOOD),
        (GOOD, GOOD),  # a password typed into the email field
    ):
        with pytest.raises(SignInRefused) as refused:
            service.verify_sign_in(email, password, request_id="req-1")
        refusals[email] = refused.value.message
    assert set(refusals.values()) == {"Wrong email or password."}
    user = service.get("ann@example.com")
    assert user.last_sign_in_at is None

    ok = service.verify_sign_in("ANN@example.com ", GOOD, request_id="req-2")
    assert ok.last_sign_in_at is not None
    assert audit(harness)[1:] == [
        ("user:ann@example.com", "user.signin", "ann@example.com", "refused", "acme"),
        ("user:nobody@example.com", "user.signin", "nobody@example.com", "refused", None),
        ("user:?", "user.signin", "?", "refused", None),
        ("user:ann@example.com", "user.signin", "ann@example.com", "ok", "acme"),
    ]
    assert entries(harness)[0].request_id == "req-2"
    for row in rows(harness, audit_log):  # never a password, even one in the wrong field
        assert GOOD not in " ".join(str(v) for v in row)


def test_an_unknown_email_costs_a_hash_check_too(
    service: UserService, monkeypatch: pytest.MonkeyPatch
) -> None:
    checked: list[str] = []
    real = PasswordHashing.matches

    def spy(self: PasswordHashing, stored: str, password: str) -> bool:
        checked.append(password)
        return real(self, stored, password)

    monkeypatch.setattr(PasswordHashing, "matches", spy)
    with pytest.raises(SignInRefused):
        service.verify_sign_in("nobody@example.com", "some password")
    assert checked == ["some password"]


def test_a_disabled_user_is_refused_until_enabled(harness: Harness, service: UserService) -> None:
    service.create("ann@example.com", "member", "acme", GOOD)
    disabled = service.disable("Ann@example.com")
    assert disabled.enabled is False and disabled.disabled_at is not None
    assert service.disable("ann@example.com").disabled_at == disabled.disabled_at  # no change
    with pytest.raises(SignInRefused, match="disabled"):
        service.verify_sign_in("ann@example.com", GOOD)
    with pytest.raises(SignInRefused) as wrong:  # a guesser is not told it is disabled
        service.verify_sign_in("ann@example.com", "wrong password!")
    assert wrong.value.message == "Wrong email or password."
    assert service.enable("ann@example.com").enabled is True
    service.enable("ann@example.com")
    assert service.verify_sign_in("ann@example.com", GOOD).enabled
    assert [(a[1], a[3]) for a in audit(harness)] == [
        ("user.create", "ok"),
        ("user.disable", "ok"),  # once: the second disable changed nothing
        ("user.signin", "refused"),
        ("user.signin", "refused"),
        ("user.enable", "ok"),
        ("user.signin", "ok"),
    ]


def test_reset_password_replaces_the_old_one_at_once(
    harness: Harness, service: UserService
) -> None:
    service.create("ann@example.com", "member", "acme", GOOD)
    issued = service.reset_password("ann@example.com", actor=Actor("c-1", "req-9"))
    assert issued.one_time_password is not None and issued.user.must_change_password
    with pytest.raises(SignInRefused):
        service.verify_sign_in("ann@example.com", GOOD)
    assert service.verify_sign_in("ann@example.com", issued.one_time_password)

    chosen = service.reset_password("ann@example.com", OTHER)
    assert chosen.one_time_password is None and not chosen.user.must_change_password
    assert service.verify_sign_in("ann@example.com", OTHER)
    with pytest.raises(InvalidDocument, match="use 12 to 1024 characters"):
        service.reset_password("ann@example.com", "short")
    with pytest.raises(NotFound, match=r"nobody@example\.com"):
        service.reset_password("nobody@example.com")
    resets = [a for a in audit(harness) if a[1] == "user.reset_password"]
    assert resets == [
        ("c-1", "user.reset_password", "ann@example.com", "ok", "acme"),
        ("cli", "user.reset_password", "ann@example.com", "ok", "acme"),
    ]


def test_change_password_checks_the_current_one_and_the_rules(
    harness: Harness, service: UserService
) -> None:
    service.create("ann@example.com", "member", "acme", GOOD)
    with pytest.raises(SignInRefused, match="current password"):
        service.change_password("ann@example.com", "wrong password!", OTHER)
    with pytest.raises(InvalidDocument, match="Invalid new password: it has 5 characters"):
        service.change_password("ann@example.com", GOOD, "short")
    with pytest.raises(InvalidDocument, match="differ"):
        service.change_password("ann@example.com", GOOD, GOOD)
    service.change_password("ann@example.com", GOOD, OTHER, request_id="req-3")
    assert service.verify_sign_in("ann@example.com", OTHER)
    changes = [a for a in audit(harness) if a[1] == "user.change_password"]
    assert changes == [
        ("user:ann@example.com", "user.change_password", "ann@example.com", "refused", "acme"),
        ("user:ann@example.com", "user.change_password", "ann@example.com", "ok", "acme"),
    ]


def test_a_hash_with_old_parameters_is_remade_at_sign_in(
    harness: Harness, service: UserService
) -> None:
    engine = harness.services.engine
    older = UserService(
        UserRepository(engine),
        harness.services.tenants,
        AuditRepository(engine),
        PasswordHashing(CHEAP),
    )
    older.create("ann@example.com", "member", "acme", GOOD)
    before = stored_hash(harness, "ann@example.com")
    assert "m=8,t=1,p=1" in before
    service.verify_sign_in("ann@example.com", GOOD)
    after = stored_hash(harness, "ann@example.com")
    # Remade at the installation's costs (the tests' settings: 8 MiB, 1 pass, 1 lane).
    assert after != before and "m=8192,t=1,p=1" in after
    assert not PasswordHashing.argon2id(8192, 1, 1).needs_rehash(after)
    assert PasswordHashing().needs_rehash(after)
    assert service.verify_sign_in("ann@example.com", GOOD)  # the new hash verifies
    assert stored_hash(harness, "ann@example.com") == after  # and is kept


def test_new_hash_settings_keep_old_passwords_and_remake_their_hashes_at_sign_in(
    harness: Harness, service: UserService
) -> None:
    service.create("ann@example.com", "member", "acme", GOOD)
    service.create("bob@example.com", "member", "acme", OTHER)
    # The operator raises the costs: the same database and key, other settings.
    settings = harness.services.settings.model_copy(
        update={"password_hash_memory_kib": 16384, "password_hash_passes": 2}
    )
    raised = Services.build(settings)
    try:
        assert raised.users.verify_sign_in("ann@example.com", GOOD).email == "ann@example.com"
        assert "m=16384,t=2,p=1" in stored_hash(harness, "ann@example.com")
        # Not signed in: still the old hash, which still verifies.
        assert "m=8192,t=1,p=1" in stored_hash(harness, "bob@example.com")
        assert raised.users.verify_sign_in("bob@example.com", OTHER).email == "bob@example.com"
        with pytest.raises(SignInRefused):
            raised.users.verify_sign_in("ann@example.com", OTHER)
    finally:
        raised.engine.dispose()


def test_users_are_listed_in_pages_and_by_customer(service: UserService) -> None:
    for email, customer in (
        ("a@example.com", "acme"),
        ("b@example.com", "globex"),
        ("c@example.com", "acme"),
    ):
        service.create(email, "member", customer, GOOD)
    service.create("ops@example.com", "operator", password=GOOD)
    first = service.list_users(limit=2)
    assert [u.email for u in first.items] == ["a@example.com", "b@example.com"]
    assert first.next_cursor is not None
    rest = service.list_users(limit=2, cursor=first.next_cursor)
    assert [u.email for u in rest.items] == ["c@example.com", "ops@example.com"]
    assert rest.next_cursor is None
    acme = service.list_users("acme")
    assert [u.email for u in acme.items] == ["a@example.com", "c@example.com"]
    assert [u.email for u in service.list_all("globex")] == ["b@example.com"]
    assert len(service.list_all()) == 4
    with pytest.raises(NotFound, match="ghost"):
        service.list_users("ghost")
    with pytest.raises(InvalidCursor):
        service.list_users(cursor="bm9wZTox")
    with pytest.raises(InvalidInput, match="Invalid limit"):
        service.list_users(limit=0)


def test_no_password_reaches_a_log(service: UserService, caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.DEBUG):
        one_time = service.create("ann@example.com", "member", "acme").one_time_password
        assert one_time is not None
        service.verify_sign_in("ann@example.com", one_time)
        service.change_password("ann@example.com", one_time, GOOD)
        with pytest.raises(SignInRefused):
            service.verify_sign_in("ann@example.com", OTHER)
    text = caplog.text
    for secret in (one_time, GOOD, OTHER, "$argon2"):
        assert secret not in text


def test_one_time_passwords_are_long_random_and_easy_to_type() -> None:
    made = {new_one_time_password() for _ in range(200)}
    assert len(made) == 200
    for password in made:
        assert len(password) == 20 and password_problem(password) is None
        assert not set(password) & set("0Oo1lI-_")
