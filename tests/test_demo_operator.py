"""The first start prints a demo operator's portal sign-in beside the demo client."""

from __future__ import annotations

from pathlib import Path

from landingzone.bootstrap import Services
from landingzone.cli.server.serve import demo_banner, demo_document, prepare
from landingzone.domain.installation import DEMO_OPERATOR
from tests.conftest import make_settings


def test_the_first_start_creates_a_demo_operator_with_a_one_time_password(
    tmp_path: Path,
) -> None:
    settings = make_settings(tmp_path / "d", f"sqlite:///{tmp_path / 'm.db'}")
    demo = prepare(settings)
    assert demo is not None and demo.operator is not None
    one_time = demo.operator.one_time_password
    assert one_time is not None
    assert demo.operator.user.email == DEMO_OPERATOR == "operator@example.com"
    assert demo.operator.user.role == "operator" and demo.operator.user.must_change_password

    banner = demo_banner(settings, demo)
    assert f"email:    {DEMO_OPERATOR}" in banner and f"password: {one_time}" in banner
    assert banner.index(demo.client_secret) < banner.index(one_time)  # after the client
    document = demo_document(demo)
    assert document["operator"] == {"email": DEMO_OPERATOR, "one_time_password": one_time}
    assert document["client_id"] == demo.client.client_id

    services = Services.build(settings)
    try:
        signed_in = services.users.verify_sign_in(DEMO_OPERATOR, one_time)
        assert signed_in.must_change_password
        assert prepare(settings) is None  # only with the demo tenant, once
        assert [u.email for u in services.users.list_all()] == [DEMO_OPERATOR]
    finally:
        services.engine.dispose()


def test_an_existing_user_of_that_email_is_left_alone(tmp_path: Path) -> None:
    settings = make_settings(tmp_path / "d", f"sqlite:///{tmp_path / 'm.db'}")
    services = Services.build(settings)
    services.migrate()
    try:
        # An operator made before any customer existed: the demo is still seeded.
        services.users.create(DEMO_OPERATOR.upper(), "operator", password="their own password")
        demo = prepare(settings)
        assert demo is not None and demo.customer_name == "demo"
        assert demo.operator is None
        assert "password:" not in demo_banner(settings, demo)
        assert "operator" not in demo_document(demo)
        assert services.users.verify_sign_in(DEMO_OPERATOR, "their own password")
    finally:
        services.engine.dispose()


def test_no_demo_no_operator(tmp_path: Path) -> None:
    settings = make_settings(tmp_path / "d", f"sqlite:///{tmp_path / 'm.db'}", demo=False)
    assert prepare(settings) is None
    services = Services.build(settings)
    try:
        assert services.users.list_all() == []
    finally:
        services.engine.dispose()
