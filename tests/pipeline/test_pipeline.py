"""Files through the pipeline: claim, validate, Parquet, fenced commit, retries."""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys
from datetime import timedelta
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from sqlalchemy import update

from landingzone.db.tables import files
from landingzone.timeutil import utcnow
from tests.conftest import Harness

HEADER = (
    "transaction_id,created_at,amount,currency,status,payment_method,"
    "merchant_reference,customer_id,fee,country\r\n"
)


def tx(i: int, amount: str = "10.50", status: str = "succeeded", ref: str = "r") -> str:
    return f"tx{i},2025-01-0{1 + i % 9}T10:00:00Z,{amount},EUR,{status},card,{ref},c{i},0.10,FR\r\n"


def upload(
    harness: Harness, headers: dict[str, str], body: str, dataset: str = "transactions"
) -> str:
    created = harness.http.post(
        "/analytics/files/upload",
        json={"datasetType": dataset, "file": {"name": "x.csv", "type": "csv"}},
        headers=headers,
    ).json()
    assert harness.http.put(created["uploadUrl"], content=body.encode()).status_code == 200
    file_id: str = created["id"]
    return file_id


def setup(harness: Harness) -> dict[str, str]:
    harness.services.datasets.install_shipped()
    return harness.auth(harness.tenant("acme"))


def parts(harness: Harness, file_id: str) -> list[Path]:
    root = harness.services.settings.data_dir / "analytics"
    return sorted(root.glob(f"*/customer=*/file={file_id}/*.parquet"))


def test_a_valid_file_completes_with_statistics_and_parquet(harness: Harness) -> None:
    headers = setup(harness)
    file_id = upload(harness, headers, HEADER + "".join(tx(i) for i in range(5)))
    assert harness.services.pipeline().run_once() is True
    status = harness.http.get(f"/analytics/files/{file_id}", headers=headers).json()
    assert status["status"] == "Completed"
    assert status["statistics"]["rowsTotal"] == 5
    assert status["statistics"]["rowsImported"] == 5
    assert status["statistics"]["rowsRejected"] == 0
    assert status["statistics"]["durationMs"] >= 0
    assert status["startedAt"] and status["finishedAt"]
    assert status["errors"] == [] and status["errorCount"] == 0
    [part] = parts(harness, file_id)
    assert part.parent.parent.name == "customer=acme"
    assert part.parent.parent.parent.name == "transactions"
    rows = duckdb.execute(
        f"SELECT transaction_id, amount, _row FROM '{part}' ORDER BY _row"
    ).fetchall()
    assert rows[0] == ("tx0", 10.5, 2) and len(rows) == 5
    assert harness.services.pipeline().run_once() is False  # nothing left


def test_a_bad_file_fails_with_row_errors_and_no_parquet(harness: Harness) -> None:
    headers = setup(harness)
    body = HEADER + tx(1) + tx(2, amount="ten") + tx(3, status="lost", ref="=HYPERLINK(1)") + tx(4)
    file_id = upload(harness, headers, body)
    harness.services.pipeline().run_once()
    status = harness.http.get(f"/analytics/files/{file_id}", headers=headers).json()
    assert status["status"] == "Failed"
    assert "too many bad rows" in status["failureReason"]
    assert status["statistics"]["rowsImported"] == 0
    assert status["statistics"]["rowsRejected"] == 2
    assert [(e["row"], e["field"], e["code"]) for e in status["errors"]] == [
        (3, "amount", "type-error"),
        (4, "status", "constraint-error"),
    ]
    assert parts(harness, file_id) == []
    exported = harness.http.get(f"/analytics/files/{file_id}/errors", headers=headers)
    assert exported.status_code == 200
    assert [e["row"] for e in json.loads(exported.content)] == [3, 4]
    as_csv = harness.http.get(f"/analytics/files/{file_id}/errors?format=csv", headers=headers)
    assert as_csv.headers["content-type"].startswith("text/csv")
    table = list(csv.reader(io.StringIO(as_csv.text)))
    assert table[0] == ["row", "column", "field", "value", "code", "message"]
    assert table[1][:5] == ["3", "3", "amount", "ten", "type-error"]
    bad = harness.http.get(f"/analytics/files/{file_id}/errors?format=xml", headers=headers)
    assert bad.status_code == 400


def test_formula_like_cells_are_escaped_in_the_csv_export(harness: Harness) -> None:
    headers = setup(harness)
    body = HEADER + "=1+1,2025-01-01T10:00:00Z,-5,EUR,succeeded,card,r,c,@x,FR\r\n"
    file_id = upload(harness, headers, body)
    harness.services.pipeline().run_once()
    as_csv = harness.http.get(f"/analytics/files/{file_id}/errors?format=csv", headers=headers)
    values = [row[3] for row in csv.reader(io.StringIO(as_csv.text))][1:]
    assert values == ["'=1+1", "'@x"]


def test_partial_import_within_max_bad_records(harness: Harness, tmp_path: Path) -> None:
    headers = setup(harness)
    definition = {
        "name": "ledger",
        "schema": {"fields": [{"name": "id", "constraints": {"unique": True}},
                              {"name": "n", "type": "integer"}]},
        "maxBadRecords": 5,
    }  # fmt: skip
    harness.services.datasets.add(json.dumps(definition))
    body = "id,n\r\na,1\r\nb,x\r\nc,3\r\na,4\r\nd,5\r\n"
    file_id = upload(harness, headers, body, dataset="ledger")
    harness.services.pipeline().run_once()
    status = harness.http.get(f"/analytics/files/{file_id}", headers=headers).json()
    assert status["status"] == "Completed"
    assert status["statistics"]["rowsImported"] == 3
    assert status["statistics"]["rowsRejected"] == 2
    [part] = parts(harness, file_id)
    kept = duckdb.execute(f"SELECT id, n FROM '{part}' ORDER BY _row").fetchall()
    assert kept == [("a", 1), ("c", 3), ("d", 5)]  # the repeat of 'a' was dropped


def test_a_worker_that_lost_its_claim_cannot_commit(harness: Harness) -> None:
    headers = setup(harness)
    file_id = upload(harness, headers, HEADER + tx(1))
    runner = harness.services.pipeline()
    first = harness.services.files.claim("slow-worker", 60)
    assert first is not None and first.attempt == 1
    with harness.services.engine.begin() as conn:  # the slow worker's lease runs out
        conn.execute(update(files).values(lease_expires_at=utcnow() - timedelta(seconds=1)))
    runner.reconcile()
    second = harness.services.files.claim("fast-worker", 60)
    assert second is not None and second.attempt == 2
    job = runner._job
    assert job.run(second) is True
    assert job.run(first) is False  # fenced: attempt 1 is no longer the file's
    [part] = parts(harness, file_id)
    assert part.name == "part-2.parquet"
    status = harness.http.get(f"/analytics/files/{file_id}", headers=headers).json()
    assert status["status"] == "Completed" and status["statistics"]["rowsImported"] == 1


def test_a_file_whose_workers_keep_dying_fails_after_max_attempts(harness: Harness) -> None:
    headers = setup(harness)
    file_id = upload(harness, headers, HEADER + tx(1))
    runner = harness.services.pipeline()
    for _ in range(runner.settings.max_attempts):
        assert harness.services.files.claim("doomed", 60) is not None
        with harness.services.engine.begin() as conn:
            conn.execute(update(files).values(lease_expires_at=utcnow() - timedelta(seconds=1)))
        runner.reconcile()
    status = harness.http.get(f"/analytics/files/{file_id}", headers=headers).json()
    assert status["status"] == "Failed"
    assert "did not finish in 3 attempts" in status["failureReason"]
    assert parts(harness, file_id) == []


def test_errors_of_another_customers_file_are_404(harness: Harness) -> None:
    headers = setup(harness)
    file_id = upload(harness, headers, HEADER + tx(1, amount="x"))
    harness.services.pipeline().run_once()
    other = harness.auth(harness.tenant("globex"))
    assert harness.http.get(f"/analytics/files/{file_id}/errors", headers=other).status_code == 404


def test_pushes_typed_with_a_dataset_type_are_validated_like_files(harness: Harness) -> None:
    headers = setup(harness)
    base = "/services/push/v1/customer/apps/myAppId"
    users = "user_id,email,name,department,status,created_date,last_login\r\n"
    good = users + "u1,a@example.com,Ann,Ops,active,2024-01-02,2025-01-01T10:00:00Z\r\n"
    bad = users + "u1,not-an-email,Ann,Ops,gone,2024-01-02,\r\n"
    for name, body, kind in [("good.csv", good, "users"), ("bad.csv", bad, "users"),
                             ("notes.txt", "anything", "other")]:  # fmt: skip
        urls = harness.http.get(f"{base}/upload?filenames={name}&type={kind}", headers=headers)
        assert harness.http.put(urls.json()[name], content=body.encode()).status_code == 200
    listed = {
        f["name"]: f["status"]
        for f in harness.http.get(f"{base}/files", headers=headers).json()["files"]
    }
    assert listed == {"good.csv": "Pending", "bad.csv": "Pending", "notes.txt": "Stored"}
    runner = harness.services.pipeline()
    while runner.run_once():
        pass
    listed = {
        f["name"]: f["status"]
        for f in harness.http.get(f"{base}/files", headers=headers).json()["files"]
    }
    assert listed == {"good.csv": "Completed", "bad.csv": "Failed", "notes.txt": "Stored"}
    files_api = harness.http.get("/analytics/files?datasetType=users", headers=headers).json()
    assert sorted(f["file"]["name"] for f in files_api["files"]) == ["bad.csv", "good.csv"]


def test_summary_counts_rows_per_file_and_day_with_duckdb(harness: Harness) -> None:
    headers = setup(harness)
    first = upload(harness, headers, HEADER + "".join(tx(i) for i in range(3)))
    second = upload(harness, headers, HEADER + "".join(tx(i) for i in range(10, 17)))
    failed = upload(harness, headers, HEADER + tx(1, amount="x"))
    runner = harness.services.pipeline()
    while runner.run_once():
        pass
    other = harness.auth(harness.tenant("globex"))
    upload(harness, other, HEADER + tx(1))
    while runner.run_once():
        pass
    summary = harness.http.get("/analytics/datasets/transactions/summary", headers=headers).json()
    assert summary["totalRows"] == 10
    assert {f["id"]: f["rows"] for f in summary["files"]} == {first: 3, second: 7}
    assert failed not in {f["id"] for f in summary["files"]}
    [day] = summary["days"]
    assert day["files"] == 2 and day["rows"] == 10
    empty = harness.http.get("/analytics/datasets/users/summary", headers=headers).json()
    assert empty == {"datasetType": "users", "totalRows": 0, "files": [], "days": []}
    unknown = harness.http.get("/analytics/datasets/nope/summary", headers=headers)
    assert unknown.status_code == 404


def test_an_idle_worker_and_the_api_do_not_load_the_data_libraries(tmp_path: Path) -> None:
    """pyarrow, DuckDB and numpy (~70 MB) load when work arrives, not at start (bench (b))."""
    code = (
        "import sys\n"
        "from landingzone.bootstrap import Services\n"
        "from landingzone.settings import Settings\n"
        f"s = Services.build(Settings(data_dir={str(tmp_path / 'd')!r}, secret_key='k' * 64))\n"
        "s.migrate()\n"
        "s.api_context()\n"
        "runner = s.pipeline()\n"
        "runner.run_once()\n"
        "print(sorted(m for m in ('pyarrow', 'duckdb', 'numpy') if m in sys.modules))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_parquet_dictionary_encodes_only_the_enum_columns(harness: Harness) -> None:
    headers = setup(harness)
    file_id = upload(harness, headers, HEADER + "".join(tx(i) for i in range(50)))
    harness.services.pipeline().run_once()
    [part] = parts(harness, file_id)
    metadata = pq.ParquetFile(part).metadata
    group = metadata.row_group(0)
    encoded = {
        group.column(i).path_in_schema
        for i in range(group.num_columns)
        if "RLE_DICTIONARY" in group.column(i).encodings
    }
    assert encoded == {"status", "payment_method"}


def test_a_stale_attempts_part_published_during_a_retry_is_removed(
    harness: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    headers = setup(harness)
    file_id = upload(harness, headers, HEADER + tx(1))
    runner = harness.services.pipeline()
    first = harness.services.files.claim("slow-worker", 60)
    assert first is not None
    with harness.services.engine.begin() as conn:
        conn.execute(update(files).values(lease_expires_at=utcnow() - timedelta(seconds=1)))
    runner.reconcile()
    second = harness.services.files.claim("fast-worker", 60)
    assert second is not None and second.attempt == 2
    job = runner._job
    real_complete = job.files.complete

    def stale_worker_publishes_first(*args: Any) -> bool:
        # The slow worker publishes its part after the retry began, then dies
        # before its (refused) commit could remove it.
        stray = job.analytics.writer("transactions", "acme", file_id, first.attempt)
        stray.write(pa.table({"transaction_id": ["tx1"], "__row": [2]}))
        stray.commit([])
        assert len(parts(harness, file_id)) == 2
        return real_complete(*args)

    monkeypatch.setattr(job.files, "complete", stale_worker_publishes_first)
    assert job.run(second) is True
    assert [p.name for p in parts(harness, file_id)] == ["part-2.parquet"]
