"""Schemathesis against a real `landingzone serve`: the API does what /openapi.json says.

Every check schemathesis has (``--checks all``: no 5xx; documented status codes,
content types, headers and bodies; schema-valid requests accepted and invalid ones
refused; auth enforced; 405 with Allow; ...) over every operation of the document,
with a fixed seed and a bounded number of examples, so a run is repeatable and
takes well under two minutes on CI's two cores. Run it alone with
``pytest tests/e2e/test_schemathesis.py``; a failure prints schemathesis's report
with a curl command per finding.

Before the run the test makes real data (pushed files, Files API files, an Upload
API submission) and hands schemathesis their identifiers, cursors and the demo
client's API key, so generated requests get past the 404s and 401s to the code
behind them. Opaque server-issued values (page cursors) come only from there:
a generated cursor is rightly a 400.

The signed-URL object endpoint (``PUT /o/{key}``) is in the run too, but its URLs
carry an HMAC signature that generated data never matches: there it exercises
what comes before the signature check (methods, query string, headers) and the
S3 XML error answers. Its upload path has its own tests (tests/test_objects.py,
tests/e2e/test_s3_server.py).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.e2e.server import ServerProcess

SCHEMATHESIS = str(Path(sys.executable).with_name("schemathesis"))
# Fixed for CI; set them to explore: SCHEMATHESIS_SEED=7 SCHEMATHESIS_EXAMPLES=200 pytest ...
SEED = int(os.environ.get("SCHEMATHESIS_SEED", "20261129"))
MAX_EXAMPLES = int(os.environ.get("SCHEMATHESIS_EXAMPLES", "100"))
TIME_LIMIT = 180  # seconds; a run takes under a minute here
APP = "myAppId"
UPLOAD_DATA = (
    "Reference,StartDate,StartTime,EndDate,EndTime\r\nR1,01/02/2025,09:00,01/02/2025,10:30\r\n"
)

# schemathesis's own acceptance statuses, and the 422 of a reused Idempotency-Key.
ACCEPTED_OR_KEY_REUSED = ["2xx", "3xx", "401", "403", "404", "409", "422", "429", "5xx"]

pytestmark = [pytest.mark.slow, pytest.mark.timeout(TIME_LIMIT + 60)]


def known_values(server: ServerProcess, token: str, api_key: str) -> dict[str, Any]:
    """Real identifiers and cursors of this server, made through the API."""
    api = httpx.Client(base_url=server.url, headers={"Authorization": f"Bearer {token}"})
    with api:
        urls = server.upload_urls(token, "a.csv", "b.json", app_id=APP)
        for name, url in urls.items():
            assert httpx.put(url, content=f"data of {name}").status_code == 200
        pushed = api.get(f"/services/push/v1/customer/apps/{APP}/files", params={"limit": 1})
        file_ids = []
        for name in ("one.csv", "two.csv"):
            issued = api.post(
                "/analytics/files/upload",
                json={"datasetType": "transactions", "file": {"name": name, "type": "csv"}},
            )
            assert issued.status_code == 201, issued.text
            file_ids.append(issued.json()["id"])
        files = api.get("/analytics/files", params={"limit": 1})
        submitted = api.post(
            "/UploadData", json={"Name": "schemathesis", "Data": UPLOAD_DATA, "Key": api_key}
        )
        assert submitted.status_code == 200, submitted.text
    return {
        "push-cursor": pushed.json()["nextCursor"],
        "files-cursor": files.json()["nextCursor"],
        "file-ids": file_ids,
        "apps": [APP],
        "tokens": [submitted.json()],
    }


def config_toml(demo: dict[str, Any], token: str, values: dict[str, Any]) -> str:
    """schemathesis.toml: credentials, fixed parameters and dictionaries of real values."""
    q = json.dumps  # a JSON string is a valid TOML basic string
    values = dict(values)
    # A page cursor is opaque: fixed to a real one (a made-up cursor is rightly a 400).
    push_cursor, files_cursor = values.pop("push-cursor"), values.pop("files-cursor")
    dictionaries = "\n".join(
        f"[dictionaries.{name}]\nvalues = {q(items)}\n" for name, items in values.items()
    )
    return f"""
[auth.openapi.bearerAuth]
bearer = {q(token)}

[auth.openapi.basicAuth]
username = {q(demo["client_id"])}
password = {q(demo["client_secret"])}

[parameters]
"query.key" = {q(demo["api_key"])}
"body.Key" = {q(demo["api_key"])}
"body.Username" = {q(demo["client_id"])}
"path.appId" = {{ dictionary = "apps", probability = 0.8 }}
"path.id" = {{ dictionary = "file-ids", probability = 0.8 }}
"query.token" = {{ dictionary = "tokens", probability = 0.8 }}

[[operations]]
include-path = "/services/push/v1/customer/apps/{{appId}}/files"
parameters = {{ "query.cursor" = {q(push_cursor)} }}

[[operations]]
include-path = "/analytics/files"
parameters = {{ "query.cursor" = {q(files_cursor)} }}

# A scope the document lists but this client was not granted ("admin") is RFC 6749's
# 400 invalid_scope: a schema-valid request rightly refused for who asks.
[[operations]]
include-path = "/oauth2/token"
checks.positive_data_acceptance.expected-statuses = ["200", "400", "401", "429"]

# Generated Idempotency-Keys repeat ("0") with other bodies: the same key with another
# request is rightly 422 (the IETF draft's answer), however schema-valid the request.
[[operations]]
include-path = "/analytics/files/upload"
checks.positive_data_acceptance.expected-statuses = {q(ACCEPTED_OR_KEY_REUSED)}

[[operations]]
include-path = "/UploadData"
checks.positive_data_acceptance.expected-statuses = {q(ACCEPTED_OR_KEY_REUSED)}

{dictionaries}
"""


def test_the_api_conforms_to_its_openapi_document(tmp_path: Path) -> None:
    server = ServerProcess(
        tmp_path / "data",
        # Thousands of requests a minute: the rate limit would answer most of them.
        env_overrides={"LZ_RATE_LIMIT": "100000", "LZ_RATE_LIMIT_BURST": "100000"},
    )
    server.start()
    try:
        assert server.demo is not None
        token = server.demo_token()
        values = known_values(server, token, server.demo["api_key"])
        document = httpx.get(f"{server.url}/openapi.json").json()
        operations = sum(len(item) for item in document["paths"].values())
        config = tmp_path / "schemathesis.toml"
        config.write_text(config_toml(server.demo, token, values), encoding="utf-8")
        result = subprocess.run(
            [
                SCHEMATHESIS,
                "--config-file",
                str(config),
                "--no-color",
                "run",
                f"{server.url}/openapi.json",
                "--checks",
                "all",
                "--seed",
                str(SEED),
                "--max-examples",
                str(MAX_EXAMPLES),
                "--generation-database",
                "none",
                "--workers",
                "1",
                "--request-timeout",
                "30",
            ],
            capture_output=True,
            text=True,
            timeout=TIME_LIMIT,
            cwd=tmp_path,
            check=False,
        )
    finally:
        server.stop()
    report = result.stdout + result.stderr
    assert result.returncode == 0, (
        f"schemathesis found failures:\n{report}\nserver log (end):\n{server.logs()[-4000:]}"
    )
    assert f"Tested: {operations}" in report, f"schemathesis skipped operations:\n{report}"
