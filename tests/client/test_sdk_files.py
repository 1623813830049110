"""The SDK's Files API: upload, wait for the verdict, read the errors (in process)."""

from __future__ import annotations

from pathlib import Path

import pytest

from landingzone.client import Client, FileStatus, PermissionDenied
from tests.client.test_sdk_push import FAST, InProcess
from tests.conftest import Harness

HEADER = (
    "transaction_id,created_at,amount,currency,status,payment_method,"
    "merchant_reference,customer_id,fee,country\r\n"
)


def tx(i: int, amount: str = "10.50") -> str:
    return f"tx{i},2025-01-01T10:00:00Z,{amount},EUR,succeeded,card,ref,cus,0.10,FR\r\n"


def uploader(harness: Harness) -> tuple[Client, list[float]]:
    harness.services.datasets.install_shipped()
    creds = harness.tenant("acme")
    lz = Client("http://testserver", creds.client_id, creds.client_secret,
                transport=InProcess(harness), retry=FAST)  # fmt: skip
    runner = harness.services.pipeline()
    waits: list[float] = []

    def sleep(seconds: float) -> None:  # instead of waiting, let the worker run
        waits.append(seconds)
        runner.run_once()

    lz.files._sleep = sleep
    return lz, waits


def test_upload_and_wait_for_completed(harness: Harness, tmp_path: Path) -> None:
    lz, waits = uploader(harness)
    path = tmp_path / "tx.csv"
    path.write_text(HEADER + tx(1) + tx(2))
    with lz:
        verdict = lz.files.upload("transactions", path)
        assert isinstance(verdict, FileStatus)
        assert verdict.status == "Completed" and verdict.done
        assert verdict.statistics["rowsImported"] == 2
        assert lz.files.status(verdict.id).status == "Completed"
    assert waits == [0.25]  # one poll interval, then the verdict


def test_a_failed_file_with_its_errors(harness: Harness, tmp_path: Path) -> None:
    lz, _ = uploader(harness)
    path = tmp_path / "bad.csv"
    path.write_text(HEADER + tx(1, amount="=1+2") + tx(2, amount="x"))
    with lz:
        pending = lz.files.upload("transactions", path, wait=False)
        assert pending.status == "Pending" and not pending.done
        verdict = lz.files.wait(pending.id)
        assert verdict.status == "Failed" and verdict.error_count == 2
        errors = lz.files.errors(verdict.id)
        assert [(e["row"], e["field"], e["code"]) for e in errors] == [
            (2, "amount", "type-error"), (3, "amount", "type-error"),
        ]  # fmt: skip
        assert "'=1+2" in lz.files.errors_csv(verdict.id)  # formula escaped


def test_waiting_gives_up_after_the_timeout(harness: Harness, tmp_path: Path) -> None:
    lz, waits = uploader(harness)
    lz.files._sleep = waits.append  # no worker runs
    path = tmp_path / "tx.csv"
    path.write_text(HEADER + tx(1))
    with lz:
        status = lz.files.upload("transactions", path, timeout=0)
    assert status.status == "Pending"


def test_the_steps_one_by_one_report_the_id_first_and_each_status(
    harness: Harness, tmp_path: Path
) -> None:
    lz, _ = uploader(harness)
    path = tmp_path / "tx.csv"
    path.write_text(HEADER + tx(1))
    sent: list[int] = []
    seen: list[str] = []
    with lz:
        target = lz.files.create_upload("transactions", path.name)
        assert lz.files.status(target.id).status == "Pending"  # known before any byte is sent
        uploaded = lz.files.send(target, path, progress=lambda n, done, size: sent.append(done))
        assert uploaded.id == target.id and uploaded.document["uploadedAt"] is not None
        verdict = lz.files.wait(target.id, on_status=lambda s: seen.append(s.status))
    assert sent == [path.stat().st_size]
    assert seen[-1] == "Completed" == verdict.status


def test_listing_pages_and_filters(harness: Harness, tmp_path: Path) -> None:
    lz, _ = uploader(harness)
    with lz:
        ids = []
        for i, amount in enumerate(["1", "x", "3"]):
            path = tmp_path / f"f{i}.csv"
            path.write_text(HEADER + tx(i, amount))
            ids.append(lz.files.upload("transactions", path).id)
        first = lz.files.list_files(limit=2)
        assert [f.id for f in first.files] == ids[:0:-1] and first.next_cursor
        second = lz.files.list_files(limit=2, cursor=first.next_cursor)
        assert [f.id for f in second.files] == ids[:1] and second.next_cursor is None
        assert [f.id for f in lz.files.iter_files(page_size=1)] == ids[::-1]
        failed = lz.files.list_files(status="Failed", dataset_type="transactions")
        assert [f.id for f in failed.files] == [ids[1]]
        assert lz.files.list_files(dataset_type="users").files == []


def test_a_missing_scope_is_named_in_the_error(harness: Harness, tmp_path: Path) -> None:
    harness.services.datasets.install_shipped()
    harness.tenant("acme")
    creds = harness.new_client("acme", ["connector.write"])
    lz = Client("http://testserver", creds.client_id, creds.client_secret,
                transport=InProcess(harness), retry=FAST)  # fmt: skip
    with lz, pytest.raises(PermissionDenied) as refused:
        lz.files.create_upload("transactions", "tx.csv")
    assert (refused.value.code, refused.value.scope) == ("insufficient_scope", "files.write")
