"""What `landingzone serve` does before it listens: migrate, clean up, seed the demo tenant once."""

from __future__ import annotations

from pathlib import Path

from landingzone.cli.server.serve import demo_banner, prepare
from tests.conftest import make_settings


def test_demo_tenant_is_created_once_and_its_secrets_printed_once(tmp_path: Path) -> None:
    settings = make_settings(tmp_path / "d", f"sqlite:///{tmp_path / 'm.db'}")
    issued = prepare(settings)
    assert issued is not None
    assert issued.customer_name == "demo"
    assert set(issued.client.scopes) == {
        "connector.write",
        "files.write",
        "files.read",
        "platform_upload_api",
    }
    banner = demo_banner(settings, issued)
    for value in (issued.client.client_id, issued.client_secret, issued.api_key):
        assert value in banner
    assert "curl" in banner and "/services/push/v1/customer/apps/myAppId/upload" in banner
    assert prepare(settings) is None  # not on a database that has customers


def test_demo_can_be_switched_off(tmp_path: Path) -> None:
    settings = make_settings(tmp_path / "d", f"sqlite:///{tmp_path / 'm.db'}", demo=False)
    assert prepare(settings) is None


def test_prepare_removes_abandoned_temp_files(tmp_path: Path) -> None:
    settings = make_settings(tmp_path / "d", f"sqlite:///{tmp_path / 'm.db'}")
    staging = tmp_path / "d" / "staging"
    staging.mkdir(parents=True)
    (staging / "dead.part").write_bytes(b"x")
    prepare(settings)
    assert list(staging.iterdir()) == []


def test_cleanup_removes_old_orphans_only(tmp_path: Path) -> None:
    import io
    import os
    import time

    from landingzone.bootstrap import Services
    from landingzone.domain.models import NewObject

    services = Services.build(make_settings(tmp_path / "d", f"sqlite:///{tmp_path / 'm.db'}"))
    services.migrate()
    customer = services.admin.create_customer("acme")
    old_orphan = services.store.put(io.BytesIO(b"crash between rename and commit"))
    young_orphan = services.store.put(io.BytesIO(b"maybe a live request"))
    recorded = services.store.put(io.BytesIO(b"catalogued"))
    services.objects.record(
        NewObject(recorded, "u1", customer.id, None, "k", "k", None, 10, "0" * 64, "0" * 32)
    )
    hours_ago = time.time() - 7200
    for sid in (old_orphan, recorded):
        os.utime(services.local_store.path_for(sid), (hours_ago, hours_ago))
    assert services.housekeeping.cleanup() == (0, 1)
    assert sorted(services.store.storage_ids()) == sorted([young_orphan, recorded])
    services.engine.dispose()
