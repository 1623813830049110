"""The SDK's Files API: upload, wait for the verdict, read the errors (in process)."""

from __future__ import annotations

from pathlib import Path

from landingzone.client import Client, FileStatus
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
