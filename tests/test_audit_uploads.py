"""The audit log records uploads (SPEC §9): URLs issued, bytes stored, validation outcomes."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import select, update

from landingzone.db.tables import audit_log, customers, files
from tests.conftest import Harness


def entries(harness: Harness) -> list[tuple[str, str, str, str | None]]:
    """(actor, action, target, customer) of every entry, oldest first."""
    with harness.services.engine.connect() as conn:
        rows = conn.execute(
            select(audit_log, customers.c.name.label("customer"))
            .select_from(audit_log.outerjoin(customers, audit_log.c.customer_id == customers.c.id))
            .order_by(audit_log.c.id)
        ).all()
    return [(r.actor, r.action, r.target, r.customer) for r in rows]


def test_a_batch_its_uploads_and_a_files_outcome_are_recorded(harness: Harness) -> None:
    harness.services.datasets.install_shipped()
    creds = harness.tenant("acme")
    headers = harness.auth(creds)
    before = len(entries(harness))

    batch = harness.http.get(
        "/services/push/v1/customer/apps/myAppId/upload",
        params=[("filenames", "a.csv"), ("filenames", "b.csv")],
        headers=headers,
    )
    assert batch.status_code == 200, batch.text
    assert batch.headers["X-Lz-Request-Id"]
    assert harness.http.put(batch.json()["a.csv"], content=b"x,y\n1,2\n").status_code == 200

    created = harness.http.post(
        "/analytics/files/upload",
        json={"datasetType": "transactions", "file": {"name": "t.csv", "type": "csv"}},
        headers=headers,
    ).json()
    assert harness.http.put(created["uploadUrl"], content=b"not,a,valid,file\n").status_code == 200
    runner = harness.services.pipeline()
    while runner.run_once():
        pass

    new = entries(harness)[before:]
    assert new == [
        (creds.client_id, "upload.issue", "myAppId: 2 upload URLs", "acme"),
        ("upload-url", "upload.store", "log-connector-data/acme/myAppId/a.csv (version 1)", "acme"),
        (creds.client_id, "upload.issue", created["id"], "acme"),
        (
            "upload-url",
            "upload.store",
            f"analytics-uploads/acme/{created['id']}/t.csv (version 1)",
            "acme",
        ),
        ("pipeline", "file.fail", created["id"], "acme"),
    ]
    # The batch's entry carries the request id of the answer, as the access log does.
    with harness.services.engine.connect() as conn:
        request_id = conn.execute(
            select(audit_log.c.request_id).where(audit_log.c.action == "upload.issue")
        ).first()
    assert request_id is not None and request_id[0] == batch.headers["X-Lz-Request-Id"]
    # No URL (a bearer secret) is ever in the log.
    assert all("X-Lz-Signature" not in target for _, _, target, _ in new)


def test_a_refused_batch_is_not_recorded(sqlite_harness: Harness) -> None:
    headers = sqlite_harness.auth(sqlite_harness.tenant("acme"))
    before = entries(sqlite_harness)
    refused = sqlite_harness.http.get(
        "/services/push/v1/customer/apps/myAppId/upload",
        params={"filenames": "../x.csv"},
        headers=headers,
    )
    assert refused.status_code == 400
    assert entries(sqlite_harness) == before


def test_an_upload_url_that_expired_unused_is_recorded(harness: Harness) -> None:
    harness.services.datasets.install_shipped()
    headers = harness.auth(harness.tenant("acme"))
    created = harness.http.post(
        "/analytics/files/upload",
        json={"datasetType": "transactions", "file": {"name": "t.csv", "type": "csv"}},
        headers=headers,
    ).json()
    with harness.services.engine.begin() as conn:
        conn.execute(
            update(files)
            .where(files.c.id == created["id"])
            .values(url_expires_at=datetime(2020, 1, 1, tzinfo=UTC))
        )
    found = harness.http.get(f"/analytics/files/{created['id']}", headers=headers).json()
    assert found["status"] == "Failed"
    assert entries(harness)[-1] == ("pipeline", "file.expire", created["id"], "acme")
    # Expired once: reading it again records nothing more.
    harness.http.get(f"/analytics/files/{created['id']}", headers=headers)
    assert [e[1] for e in entries(harness)].count("file.expire") == 1
