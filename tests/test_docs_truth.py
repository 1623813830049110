"""Statements in docs/ checked against the product, not just for presence.

Each test finds what the code does (the data directory a real upload leaves, the
scopes the routes ask for, the requests the rate limiter counts) and reads the
doc's statement about it, so a doc left behind by a change fails here.
"""

from __future__ import annotations

import importlib
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import Harness, build_harness, make_settings

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"
HEADER = (
    "transaction_id,created_at,amount,currency,status,payment_method,"
    "merchant_reference,customer_id,fee,country\r\n"
)
ROW = "tx{},2025-01-01T10:00:00Z,1.50,EUR,succeeded,card,ref,cus,0.10,FR\r\n"
# Parts of the data directory that hold nothing a restore needs: the SQLite
# write-ahead files belong to the database's own copy; the rest are temp files.
TRANSIENT = {"landingzone.db-wal", "landingzone.db-shm", "staging", "spool"}


def section(doc: str, title: str) -> str:
    text = (DOCS / doc).read_text(encoding="utf-8")
    start = text.index(f"\n## {title}\n")
    end = text.find("\n## ", start + 1)
    return " ".join(text[start : end if end > 0 else None].split())  # lines joined


@pytest.fixture
def used_data_dir(tmp_path: Path) -> Iterator[tuple[Harness, Path]]:
    """A data directory as a running installation leaves it: one Completed file."""
    data_dir = tmp_path / "lz-data"
    settings = make_settings(data_dir, f"sqlite:///{data_dir / 'landingzone.db'}")
    for harness in build_harness(settings):
        harness.services.datasets.install_shipped()
        headers = harness.auth(harness.tenant("acme"))
        created = harness.http.post(
            "/analytics/files/upload",
            json={"datasetType": "transactions", "file": {"name": "tx.csv", "type": "csv"}},
            headers=headers,
        ).json()
        put = harness.http.put(created["uploadUrl"], content=HEADER + ROW.format(1) + ROW.format(2))
        assert put.status_code == 200
        harness.services.pipeline().run_once()
        status = harness.http.get(f"/analytics/files/{created['id']}", headers=headers).json()
        assert status["status"] == "Completed", status
        yield harness, data_dir


def test_backups_cover_every_lasting_part_of_the_data_directory(
    used_data_dir: tuple[Harness, Path],
) -> None:
    _, data_dir = used_data_dir
    lasting = sorted(p.name for p in data_dir.iterdir() if p.name not in TRANSIENT)
    assert {"analytics", "objects", "landingzone.db"} <= set(lasting), lasting
    backups = section("operations.md", "Backups")
    missing = [name for name in lasting if name not in backups]
    assert not missing, f"operations.md#backups forgets {missing}"


def test_the_analytics_query_in_operations_runs_as_printed(
    used_data_dir: tuple[Harness, Path],
) -> None:
    _, data_dir = used_data_dir
    text = (DOCS / "operations.md").read_text(encoding="utf-8")
    [command] = [line for line in text.splitlines() if "read_parquet(" in line]
    command = command.strip().strip("`")
    (data_dir.parent / ".venv").symlink_to(Path(sys.prefix))  # the clone's .venv
    ran = subprocess.run(
        ["bash", "-c", command], cwd=data_dir.parent, capture_output=True, text=True, timeout=60
    )
    assert ran.returncode == 0, f"{command}\n{ran.stderr}"
    assert ran.stdout.strip() == "2"  # the Completed file's two rows


def required_scopes() -> set[str]:
    """Every scope some route asks for: the arguments of the route modules' authorize()."""
    found: set[str] = set()
    for source in (ROOT / "src" / "landingzone" / "api").glob("*.py"):
        names = re.findall(r"authorize\(request, ([A-Z_]+)\)", source.read_text(encoding="utf-8"))
        module = importlib.import_module(f"landingzone.api.{source.stem}")
        for name in names:
            value = getattr(module, name)
            found.update([value] if isinstance(value, str) else value)
    return found


def test_the_scopes_paragraph_agrees_with_the_routes() -> None:
    needed = required_scopes()
    assert {"connector.write", "files.write", "platform_upload_api"} <= needed, needed
    conventions = section("api.md", "Conventions")
    only = re.findall(r"only `([a-z_.]+)` is needed", conventions)
    assert not only, f"api.md says only {only} is needed; the routes need {sorted(needed)}"
    for scope in needed:
        assert f"`{scope}`" in conventions, scope


def test_the_rate_limit_counts_every_api_and_the_docs_say_so(tmp_path: Path) -> None:
    settings = make_settings(
        tmp_path / "data", f"sqlite:///{tmp_path / 'm.db'}", rate_limit=1, rate_limit_burst=2
    )
    for harness in build_harness(settings):
        harness.services.datasets.install_shipped()
        creds = harness.tenant("acme")
        headers = harness.auth(creds)
        calls = {
            "Files API": ("/analytics/files", {}),
            "Upload API": ("/GetResults", {"token": "x", "dataKey": "status", "key": "k"}),
        }
        for api, (path, params) in calls.items():
            answers = [
                harness.http.get(path, params=params, headers=headers).status_code for _ in range(3)
            ]
            assert answers[-1] == 429, (api, answers)
            headers = harness.auth(harness.new_client("acme"))  # a fresh client's allowance
    counted = section("operations.md", "Rate limits")
    sentence = counted[counted.index("Counted:") : counted.index("Not counted:")]
    for api in ("Push API", "Files API", "Upload API"):
        assert api in sentence, f"operations.md#rate-limits does not count the {api}"


def test_no_doc_calls_a_served_api_planned(tmp_path: Path) -> None:
    served = {"Upload API": "/UploadData", "Files API": "/analytics/files"}
    settings = make_settings(tmp_path / "data", f"sqlite:///{tmp_path / 'm.db'}")
    for harness in build_harness(settings):
        for path in served.values():  # served: asks for a token, not 404
            assert (
                harness.http.request("POST" if path == "/UploadData" else "GET", path).status_code
                == 401
            ), path
    pages = [ROOT / "README.md", *sorted(DOCS.glob("*.md"))]
    for page in pages:
        text = " ".join(page.read_text(encoding="utf-8").split())
        for sentence in re.split(r"(?<=[.;:])\s", text):
            for api in served:
                if api in sentence and re.search(r"\b(planned|not served|coming)\b", sentence):
                    raise AssertionError(f"{page.name} calls the {api} planned: {sentence}")
