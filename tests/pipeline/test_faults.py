"""The pipeline under faults (issue 12): failures that retrying cannot fix fail the file at
once, stored bytes are verified, lease renewals survive a database blip, and a killed
worker's scratch files are removed at the next start."""

from __future__ import annotations

import logging
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

import duckdb
import pytest
from sqlalchemy import select
from sqlalchemy.exc import OperationalError

from landingzone.db.tables import files
from landingzone.pipeline.runner import PipelineRunner
from landingzone.validation import FAST_PATH_MIN_BYTES
from landingzone.validation.scratch import SCRATCH_PREFIX
from tests.conftest import Harness
from tests.pipeline.test_pipeline import HEADER, parts, setup, tx, upload


def status_of(harness: Harness, headers: dict[str, str], file_id: str) -> dict[str, Any]:
    answer: dict[str, Any] = harness.http.get(f"/analytics/files/{file_id}", headers=headers).json()
    return answer


def stored_path(harness: Harness, file_id: str) -> Path:
    record = harness.services.files.get(file_id)
    assert record is not None and record.object_pk is not None
    stored = harness.services.objects.get(record.object_pk)
    assert stored is not None
    path = harness.services.store.local_path(stored.storage_id)
    assert path is not None
    return path


def flip_byte(path: Path, offset: int) -> None:
    data = bytearray(path.read_bytes())
    data[offset] ^= 0x01
    path.chmod(0o600)
    path.write_bytes(bytes(data))


# -- failures inside validation -------------------------------------------------------------


def test_a_deterministic_failure_fails_the_file_at_once_naming_the_cause(
    harness: Harness, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    headers = setup(harness)
    file_id = upload(harness, headers, HEADER + tx(1))

    def broken(*args: object, **kwargs: object) -> str:
        raise ValueError("the check query could not be built")

    # A bug inside the validator: the same input would fail the same way on every attempt.
    monkeypatch.setattr("landingzone.validation.block.block_query", broken)
    with caplog.at_level(logging.ERROR, logger="landingzone.pipeline.job"):
        assert harness.services.pipeline().run_once() is True
    status = status_of(harness, headers, file_id)
    assert status["status"] == "Failed"
    reason = status["failureReason"]
    assert reason.startswith("processing-error:")
    assert "ValueError: the check query could not be built" in reason
    assert status["errors"] == []
    record = harness.services.files.get(file_id)
    assert record is not None and record.attempt == 1
    assert any(r.levelno == logging.ERROR and file_id in r.getMessage() for r in caplog.records)
    assert parts(harness, file_id) == []


def test_an_infrastructure_failure_is_left_to_the_retry(
    harness: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    headers = setup(harness)
    file_id = upload(harness, headers, HEADER + tx(1))

    def disk_gone(*args: object, **kwargs: object) -> str:
        raise OSError(5, "Input/output error")

    monkeypatch.setattr("landingzone.validation.block.block_query", disk_gone)
    harness.services.pipeline().run_once()
    status = status_of(harness, headers, file_id)
    assert status["status"] == "Processing"  # its lease expires, the reconciler retries it


# -- stored bytes are verified --------------------------------------------------------------


@pytest.mark.parametrize("size", ["small", "fast-path"])
def test_a_flipped_stored_byte_fails_the_file_as_stored_object_corrupted(
    harness: Harness, caplog: pytest.LogCaptureFixture, size: str
) -> None:
    headers = setup(harness)
    rows = 1 if size == "small" else FAST_PATH_MIN_BYTES // 60
    body = HEADER + "".join(tx(i) for i in range(rows))
    assert (len(body) >= FAST_PATH_MIN_BYTES) == (size == "fast-path")
    file_id = upload(harness, headers, body)
    # A byte in a data row's reference column: still a valid file, with other data.
    flip_byte(stored_path(harness, file_id), len(HEADER) + body[len(HEADER) :].index(",r,") + 1)
    with caplog.at_level(logging.ERROR, logger="landingzone.pipeline.job"):
        harness.services.pipeline().run_once()
    status = status_of(harness, headers, file_id)
    assert status["status"] == "Failed"
    assert status["failureReason"].startswith("stored object corrupted")
    assert status["errors"] == [] and status["errorCount"] == 0
    assert status["statistics"]["rowsImported"] == 0
    assert status["file"]["sha256"] in status["failureReason"]
    assert parts(harness, file_id) == []
    assert any(
        r.levelno == logging.ERROR and "stored object corrupted" in r.getMessage()
        for r in caplog.records
    )


def test_corruption_is_not_reported_as_the_customers_header_error(harness: Harness) -> None:
    headers = setup(harness)
    file_id = upload(harness, headers, HEADER + tx(1))
    flip_byte(stored_path(harness, file_id), 0)  # the header no longer matches
    harness.services.pipeline().run_once()
    status = status_of(harness, headers, file_id)
    assert status["status"] == "Failed"
    assert status["failureReason"].startswith("stored object corrupted")
    assert status["errors"] == []


def test_intact_bytes_still_complete(harness: Harness) -> None:
    headers = setup(harness)
    file_id = upload(harness, headers, HEADER + tx(1))
    harness.services.pipeline().run_once()
    assert status_of(harness, headers, file_id)["status"] == "Completed"


# -- lease renewal ------------------------------------------------------------------------


class FlakyRenewals:
    """The file catalog, with its first lease renewals failing as during a database restart."""

    def __init__(self, real: Any, failures: int) -> None:
        self._real = real
        self.failures = failures
        self.calls = 0
        self.renewed = threading.Event()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._real, name)

    def renew(self, file_id: str, attempt: int, lease_seconds: float) -> bool:
        self.calls += 1
        if self.calls <= self.failures:
            raise OperationalError("UPDATE files", {}, Exception("server closed the connection"))
        result: bool = self._real.renew(file_id, attempt, lease_seconds)
        self.renewed.set()
        return result


def test_a_failed_lease_renewal_is_retried_until_it_succeeds(
    harness: Harness, caplog: pytest.LogCaptureFixture
) -> None:
    headers = setup(harness)
    file_id = upload(harness, headers, HEADER + tx(1))
    runner = harness.services.pipeline()
    runner.settings = type(runner.settings)(lease_seconds=6.0)  # renewals every 2 s
    flaky = FlakyRenewals(runner._files, failures=2)
    runner._files = flaky
    real_run = runner._job.run

    def slow_job(record: Any) -> bool:
        # The work outlives a renewal; it ends once a renewal got through.
        assert flaky.renewed.wait(30), "the heartbeat gave up after a failed renewal"
        return real_run(record)

    runner._job.run = slow_job  # type: ignore[method-assign]
    with caplog.at_level(logging.WARNING, logger="landingzone.pipeline.runner"):
        assert runner.run_once() is True
    assert flaky.calls == 3
    status = status_of(harness, headers, file_id)
    assert status["status"] == "Completed"
    with harness.services.engine.connect() as conn:
        attempt = conn.execute(select(files.c.attempt).where(files.c.id == file_id)).scalar()
    assert attempt == 1  # validated once
    messages = [r.getMessage() for r in caplog.records]
    assert any("renewing the lease failed" in m and "retrying" in m for m in messages)
    assert not any("claim lost" in m for m in messages)


def test_renewal_stops_when_the_lease_would_have_expired(caplog: pytest.LogCaptureFixture) -> None:
    runner = PipelineRunner.__new__(PipelineRunner)
    runner.settings = _settings(lease_seconds=0.3)
    calls = 0

    def always_down() -> bool:
        nonlocal calls
        calls += 1
        raise OperationalError("UPDATE files", {}, Exception("connection refused"))

    done = threading.Event()
    with caplog.at_level(logging.WARNING, logger="landingzone.pipeline.runner"):
        runner._heartbeat("file x", 1, always_down, done)  # returns once the lease is gone
    assert calls >= 1
    assert any("the claim is lost" in r.getMessage() for r in caplog.records)


def _settings(**values: Any) -> Any:
    from landingzone.pipeline.runner import RunnerSettings

    return RunnerSettings(**values)


# -- scratch files of a killed worker ---------------------------------------------------------


def dead_pid() -> int:
    process = subprocess.Popen([sys.executable, "-c", "pass"])
    process.wait()
    return process.pid


def test_a_killed_workers_scratch_is_removed_at_the_next_start(
    harness: Harness, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    killed = scratch / f"{SCRATCH_PREFIX}{dead_pid()}-abc123"
    (killed / "spill").mkdir(parents=True)
    (killed / "hashes-0.bin").write_bytes(b"x" * 100_000)
    mine = scratch / f"{SCRATCH_PREFIX}{__import__('os').getpid()}-def456"
    mine.mkdir()
    unrelated = scratch / "something-else"
    unrelated.mkdir()
    runner = harness.services.pipeline(workers=0)
    runner._job.temp_dir = scratch
    with caplog.at_level(logging.INFO, logger="landingzone.pipeline.scratch"):
        runner.start()
        runner.stop()
    assert not killed.exists()
    assert mine.exists() and unrelated.exists()
    [line] = [r.getMessage() for r in caplog.records if "startup cleanup" in r.getMessage()]
    assert "removed 1 validation scratch directories" in line and str(killed) in line
    assert "(0.1 MB)" in line


def test_validation_scratch_is_named_for_its_process(tmp_path: Path) -> None:
    """So that the cleanup above can find it: a unique field's hashes go there."""
    import io
    import os

    from landingzone.domain.datasets import shipped_datasets
    from landingzone.validation.validator import Validator

    seen: list[str] = []

    class Looking:
        def write(self, table: Any) -> None:
            seen.extend(p.name for p in tmp_path.iterdir())

        def restart(self) -> None:
            pass

    [transactions] = [d for d in shipped_datasets() if d.name == "transactions"]
    data = (HEADER + "".join(tx(i) for i in range(3))).encode()
    report = Validator(transactions, temp_dir=tmp_path).validate(io.BytesIO(data), Looking())
    assert report.fatal is None
    assert seen and all(name.startswith(f"{SCRATCH_PREFIX}{os.getpid()}-") for name in seen)
    assert list(tmp_path.iterdir()) == []  # removed when the file was done


def test_a_file_of_a_too_wide_stored_dataset_type_fails_at_once(harness: Harness) -> None:
    """A type added before the field limit existed: its files fail naming the limit."""
    import json

    from landingzone.validation.schema import MAX_FIELDS, load_stored_dataset_type

    headers = setup(harness)
    fields = [{"name": f"f{i}"} for i in range(1500)]
    wide = load_stored_dataset_type(json.dumps({"name": "wide", "schema": {"fields": fields}}))
    harness.services.dataset_repo.add(wide)
    body = ",".join(f"f{i}" for i in range(1500)) + "\r\n" + ",".join("x" * 1500) + "\r\n"
    file_id = upload(harness, headers, body, dataset="wide")
    harness.services.pipeline().run_once()
    status = status_of(harness, headers, file_id)
    assert status["status"] == "Failed"
    assert status["failureReason"].startswith("processing-error:")
    assert f"at most {MAX_FIELDS} fields" in status["failureReason"]
    record = harness.services.files.get(file_id)
    assert record is not None and record.attempt == 1


def test_a_cr_only_file_with_stray_quotes_completes_through_the_files_api(
    harness: Harness,
) -> None:
    """Excel 'CSV (Macintosh)': was a _csv.Error, three attempts and 'did not finish'."""
    headers = setup(harness)
    rows = [tx(1, ref='27" monitor'), tx(2, ref='"quoted\rref"'), tx(3)]
    body = (HEADER + "".join(rows)).replace("\r\n", "\r")
    file_id = upload(harness, headers, body)
    harness.services.pipeline().run_once()
    status = status_of(harness, headers, file_id)
    assert status["status"] == "Completed", status
    assert status["statistics"]["rowsImported"] == 3
    [part] = parts(harness, file_id)
    refs = duckdb.execute(f"SELECT merchant_reference FROM '{part}' ORDER BY _row").fetchall()
    assert refs == [('27" monitor',), ("quoted\rref",), ("r",)]
