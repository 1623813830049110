"""Replace and retract (SPEC §4): a corrected file never counts twice, a retracted one never."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest
from sqlalchemy import select, update

from landingzone.db.tables import audit_log, files, objects
from tests.conftest import Harness

UPLOAD = "/analytics/files/upload"
SUMMARY = "/analytics/datasets/transactions/summary"
HEADER = (
    "transaction_id,created_at,amount,currency,status,payment_method,"
    "merchant_reference,customer_id,fee,country\r\n"
)


def rows(count: int, prefix: str = "tx") -> bytes:
    lines = [
        f"{prefix}_{n},2025-01-01T00:00:00Z,{n}.50,EUR,succeeded,card,,,,\r\n" for n in range(count)
    ]
    return (HEADER + "".join(lines)).encode()


def send(
    harness: Harness, headers: dict[str, str], content: bytes, replaces: str | None = None
) -> str:
    """Upload a transactions file (replacing ``replaces``) and validate it; its id."""
    body: dict[str, object] = {
        "datasetType": "transactions",
        "file": {"name": "tx.csv", "type": "csv"},
    }
    if replaces is not None:
        body["replaces"] = replaces
    created = harness.http.post(UPLOAD, json=body, headers=headers)
    assert created.status_code == 201, created.text
    assert harness.http.put(created.json()["uploadUrl"], content=content).status_code == 200
    runner = harness.services.pipeline()
    while runner.run_once():
        pass
    file_id: str = created.json()["id"]
    return file_id


def status_of(harness: Harness, headers: dict[str, str], file_id: str) -> dict[str, object]:
    response = harness.http.get(f"/analytics/files/{file_id}", headers=headers)
    assert response.status_code == 200, response.text
    document: dict[str, object] = response.json()
    return document


def parts(harness: Harness, file_id: str) -> list[Path]:
    root = harness.services.settings.data_dir / "analytics"
    return sorted(root.glob(f"transactions/customer=*/file={file_id}/*.parquet"))


def actions(harness: Harness, target: str) -> list[tuple[str, str]]:
    with harness.services.engine.connect() as conn:
        found = conn.execute(
            select(audit_log.c.actor, audit_log.c.action)
            .where(audit_log.c.target == target)
            .order_by(audit_log.c.id)
        ).all()
    return [(row.actor, row.action) for row in found]


def test_a_completed_replacement_supersedes_the_old_file(harness: Harness) -> None:
    harness.services.datasets.install_shipped()
    headers = harness.auth(harness.tenant("acme"))
    old = send(harness, headers, rows(5))
    assert harness.http.get(SUMMARY, headers=headers).json()["totalRows"] == 5
    new = send(harness, headers, rows(3, "fixed"), replaces=old)

    summary = harness.http.get(SUMMARY, headers=headers).json()
    assert summary["totalRows"] == 3
    assert [f["id"] for f in summary["files"]] == [new]
    old_doc = status_of(harness, headers, old)
    assert old_doc["status"] == "Superseded"
    assert old_doc["supersededBy"] == new
    assert old_doc["retiredAt"] is not None
    assert status_of(harness, headers, new)["replaces"] == old
    assert parts(harness, old) == []
    assert len(parts(harness, new)) == 1
    # A superseded file's bytes stay readable: only its rows left analytics.
    content = harness.http.get(f"/analytics/files/{old}/content", headers=headers)
    assert content.status_code == 200
    assert content.content == rows(5)
    assert ("pipeline", "file.supersede") in actions(harness, old)
    assert ("pipeline", "file.complete") in actions(harness, new)
    listed = harness.http.get("/analytics/files?status=Superseded", headers=headers).json()
    assert [f["id"] for f in listed["files"]] == [old]

    body = {"datasetType": "transactions", "file": {"name": "a.csv", "type": "csv"}}
    again = harness.http.post(UPLOAD, json={**body, "replaces": old}, headers=headers)
    assert again.status_code == 409
    assert again.json()["message"] == (
        f"File '{old}' was already replaced by '{new}': replace that file instead."
    )
    assert harness.http.delete(f"/analytics/files/{new}", headers=headers).status_code == 200
    # The correction is gone; the old file stays superseded (its rows are not restored).
    assert harness.http.get(SUMMARY, headers=headers).json()["totalRows"] == 0
    after = harness.http.post(UPLOAD, json={**body, "replaces": old}, headers=headers)
    assert after.status_code == 409
    assert after.json()["message"] == (
        f"File '{old}' was replaced by '{new}', which was retracted since: upload the file "
        "without replaces."
    )


def test_a_failed_replacement_leaves_the_old_file_counting(harness: Harness) -> None:
    harness.services.datasets.install_shipped()
    headers = harness.auth(harness.tenant("acme"))
    old = send(harness, headers, rows(4))
    new = send(harness, headers, b"not,the,header\r\n1,2,3\r\n", replaces=old)
    assert status_of(harness, headers, new)["status"] == "Failed"
    assert status_of(harness, headers, old)["status"] == "Completed"
    assert harness.http.get(SUMMARY, headers=headers).json()["totalRows"] == 4
    # The failed one no longer blocks another try.
    again = send(harness, headers, rows(2, "again"), replaces=old)
    assert status_of(harness, headers, again)["status"] == "Completed"
    assert harness.http.get(SUMMARY, headers=headers).json()["totalRows"] == 2


def test_bad_replaces_are_refused_saying_why(harness: Harness) -> None:
    harness.services.datasets.install_shipped()
    acme = harness.auth(harness.tenant("acme"))
    other = harness.auth(harness.tenant("other"))
    theirs = send(harness, other, rows(1))
    body = {"datasetType": "transactions", "file": {"name": "a.csv", "type": "csv"}}

    for unknown in (theirs, "no-such-file"):
        refused = harness.http.post(UPLOAD, json={**body, "replaces": unknown}, headers=acme)
        assert refused.status_code == 422, refused.text
        assert refused.json()["message"] == f"Invalid replaces: no file with id '{unknown}'."

    mine = send(harness, acme, rows(1))
    users = {"datasetType": "users", "file": {"name": "u.csv", "type": "csv"}, "replaces": mine}
    wrong_type = harness.http.post(UPLOAD, json=users, headers=acme)
    assert wrong_type.status_code == 422
    assert "a 'users' file cannot replace it" in wrong_type.json()["message"]

    pending = harness.http.post(UPLOAD, json={**body, "replaces": mine}, headers=acme)
    assert pending.status_code == 201
    second = harness.http.post(UPLOAD, json={**body, "replaces": mine}, headers=acme)
    assert second.status_code == 409
    assert f"File '{pending.json()['id']}' already replaces '{mine}'" in second.json()["message"]
    # Nothing of the refused requests was stored.
    with harness.services.engine.connect() as conn:
        assert len(conn.execute(select(files.c.id)).all()) == 3


def test_retract_removes_rows_and_bytes_and_keeps_the_row(harness: Harness) -> None:
    harness.services.datasets.install_shipped()
    headers = harness.auth(harness.tenant("acme"))
    kept = send(harness, headers, rows(2, "kept"))
    gone = send(harness, headers, rows(3))
    assert harness.http.get(SUMMARY, headers=headers).json()["totalRows"] == 5
    with harness.services.engine.connect() as conn:
        storage_id = conn.execute(
            select(objects.c.storage_id)
            .join(files, files.c.object_pk == objects.c.id)
            .where(files.c.id == gone)
        ).scalar_one()
    assert harness.services.store.local_path(storage_id) is not None

    retracted = harness.http.delete(f"/analytics/files/{gone}", headers=headers)
    assert retracted.status_code == 200, retracted.text
    assert retracted.json()["status"] == "Deleted"
    assert harness.http.get(SUMMARY, headers=headers).json()["totalRows"] == 2
    assert status_of(harness, headers, gone)["status"] == "Deleted"
    assert parts(harness, gone) == []
    assert not (harness.services.local_store.path_for(storage_id)).exists()
    content = harness.http.get(f"/analytics/files/{gone}/content", headers=headers)
    assert content.status_code == 409
    assert "retracted" in content.json()["message"]
    with harness.services.engine.connect() as conn:
        purge = conn.execute(select(files.c.purge_pending).where(files.c.id == gone)).scalar()
        deleted_at = conn.execute(
            select(objects.c.deleted_at).where(objects.c.storage_id == storage_id)
        ).scalar()
    assert purge is False
    assert deleted_at is not None
    audit = actions(harness, gone)
    assert audit[-1][1] == "file.retract"
    assert audit[-1][0] != "pipeline"

    # Idempotent: the same answer, no second audit row.
    again = harness.http.delete(f"/analytics/files/{gone}", headers=headers)
    assert again.status_code == 200
    assert again.json()["status"] == "Deleted"
    assert actions(harness, gone) == audit
    # The retracted file can no longer be replaced.
    body = {"datasetType": "transactions", "file": {"name": "a.csv", "type": "csv"}}
    refused = harness.http.post(UPLOAD, json={**body, "replaces": gone}, headers=headers)
    assert refused.status_code == 409
    assert "retracted" in refused.json()["message"]
    assert status_of(harness, headers, kept)["status"] == "Completed"


def test_retract_is_tenant_scoped_and_needs_files_write(harness: Harness) -> None:
    harness.services.datasets.install_shipped()
    acme = harness.tenant("acme")
    headers = harness.auth(acme)
    file_id = send(harness, headers, rows(1))
    other = harness.auth(harness.tenant("other"))
    foreign = harness.http.delete(f"/analytics/files/{file_id}", headers=other)
    assert foreign.status_code == 404
    reader = harness.auth(harness.new_client("acme", ["files.read"]))
    refused = harness.http.delete(f"/analytics/files/{file_id}", headers=reader)
    assert refused.status_code == 403
    assert status_of(harness, headers, file_id)["status"] == "Completed"


def test_retracting_a_file_in_flight_refuses_the_workers_commit(harness: Harness) -> None:
    harness.services.datasets.install_shipped()
    headers = harness.auth(harness.tenant("acme"))
    created = harness.http.post(
        UPLOAD,
        json={"datasetType": "transactions", "file": {"name": "a.csv", "type": "csv"}},
        headers=headers,
    ).json()
    assert harness.http.put(created["uploadUrl"], content=rows(2)).status_code == 200
    files_repo = harness.services.files
    claimed = files_repo.claim("test-worker", 60)
    assert claimed is not None and claimed.id == created["id"]
    assert harness.http.delete(f"/analytics/files/{claimed.id}", headers=headers).status_code == 200
    pipeline = harness.services.pipeline()
    assert pipeline._job.run(claimed) is False  # its commit is refused
    assert status_of(harness, headers, claimed.id)["status"] == "Deleted"
    assert parts(harness, claimed.id) == []


def test_the_sweep_finishes_a_purge_a_crash_interrupted(harness: Harness) -> None:
    harness.services.datasets.install_shipped()
    headers = harness.auth(harness.tenant("acme"))
    old = send(harness, headers, rows(2))
    assert parts(harness, old)
    # As if the process died between the retiring commit and the removal.
    with harness.services.engine.begin() as conn:
        conn.execute(
            update(files)
            .where(files.c.id == old)
            .values(status="Deleted", purge_pending=True, retired_at=files.c.created_at)
        )
    assert harness.services.retirement.sweep() == 1
    assert parts(harness, old) == []
    assert harness.services.retirement.sweep() == 0


def test_summary_readers_see_the_old_file_or_the_new_never_both_or_neither(
    harness: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    harness.services.datasets.install_shipped()
    headers = harness.auth(harness.tenant("acme"))
    old = send(harness, headers, rows(7))
    # Widen each reader's gap between its catalog read and its part reads, so that
    # readers straddle the replacement's commit and the removal of the old part.
    analytics = harness.services.backend.analytics
    count_rows = analytics.row_counts

    def slow_row_counts(dataset: str, customer: str, parts: dict[str, int]) -> dict[str, int]:
        time.sleep(0.05)
        return count_rows(dataset, customer, parts)

    monkeypatch.setattr(analytics, "row_counts", slow_row_counts)
    seen: list[tuple[int, tuple[str, ...]]] = []
    failures: list[str] = []
    done = threading.Event()

    def read() -> None:
        while not done.is_set():
            try:
                response = harness.http.get(SUMMARY, headers=headers)
            except Exception as exc:  # the test client re-raises the server's errors
                failures.append(repr(exc))
                return
            if response.status_code != 200:
                failures.append(response.text)
                return
            summary = response.json()
            seen.append((summary["totalRows"], tuple(f["id"] for f in summary["files"])))

    readers = [threading.Thread(target=read) for _ in range(3)]
    for reader in readers:
        reader.start()
    try:
        new = send(harness, headers, rows(4, "fixed"), replaces=old)
        # Keep reading a little past the commit.
        for _ in range(20):
            harness.http.get(SUMMARY, headers=headers)
    finally:
        done.set()
        for reader in readers:
            reader.join()
    assert not failures
    assert seen
    assert set(seen) <= {(7, (old,)), (4, (new,))}, set(seen)
    assert (4, (new,)) in seen
