"""Schemathesis against a real `landingzone serve`: the API does what /openapi.json says.

Every check schemathesis has (``--checks all``: no 5xx; documented status codes,
content types, headers and bodies; schema-valid requests accepted and invalid ones
refused; auth enforced; 405 with Allow; ...) over every operation of the document,
with a fixed seed and a bounded number of examples (fewer on the admin API), so a
run is repeatable and its time bounded (``TIME_LIMIT``). Run it alone with
``pytest tests/e2e/test_schemathesis.py``; a failure prints schemathesis's report
with a curl command per finding.

Before the run the test makes real data (pushed files, Files API files, an Upload
API submission) and hands schemathesis their identifiers, cursors and the demo
client's API key, so generated requests get past the 404s and 401s to the code
behind them. Opaque server-issued values (page cursors) come only from there:
a generated cursor is rightly a 400.

The admin API (``/admin/v1/...``) is fuzzed with an operator client's token (made with
``landingzone admin client create --operator``, as an operator would), on names of a
customer, client, user and file made for the run: generated requests may disable, rotate
or reset them, so they are never the demo tenant whose token the other routes use.

The signed-URL object endpoint (``PUT /o/{key}``) is in the run too, but its URLs
carry an HMAC signature that generated data never matches: there it exercises
what comes before the signature check (methods, query string, headers) and the
S3 XML error answers. Its upload path has its own tests (tests/test_objects.py,
tests/e2e/test_s3_server.py).
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.e2e.server import ServerProcess

SCHEMATHESIS = str(Path(sys.executable).with_name("schemathesis"))
LANDINGZONE = str(Path(sys.executable).with_name("landingzone"))
# Fixed for CI; set them to explore: SCHEMATHESIS_SEED=7 SCHEMATHESIS_EXAMPLES=200 pytest ...
SEED = int(os.environ.get("SCHEMATHESIS_SEED", "20261129"))
MAX_EXAMPLES = int(os.environ.get("SCHEMATHESIS_EXAMPLES", "100"))
# The admin API is an operator's: fewer examples, so the admin run adds a fraction of
# the first one's time (SCHEMATHESIS_ADMIN_EXAMPLES=100 to explore).
ADMIN_MAX_EXAMPLES = int(os.environ.get("SCHEMATHESIS_ADMIN_EXAMPLES", "25"))
# Seconds each run may take; each takes about a minute on two idle cores.
TIME_LIMIT = 180
ADMIN_TIME_LIMIT = 180
ADMIN_PATHS = "^/admin/"
# The admin listings (under /admin/v1) with a page cursor.
ADMIN_LISTINGS = (
    "/objects",
    "/files",
    "/submissions",
    "/customers",
    "/customers/{name}/apps",
    "/customers/{name}/clients",
    "/clients",
    "/users",
    "/datasets",
    "/audit",
)
APP = "myAppId"
FUZZ_CUSTOMER = "fuzz-co"
FUZZ_USER = "fuzz@example.com"
UPLOAD_DATA = (
    "Reference,StartDate,StartTime,EndDate,EndTime\r\nR1,01/02/2025,09:00,01/02/2025,10:30\r\n"
)

# schemathesis's own acceptance statuses, and the 422 of a reused Idempotency-Key.
ACCEPTED_OR_KEY_REUSED = ["2xx", "3xx", "401", "403", "404", "409", "422", "429", "5xx"]

pytestmark = [pytest.mark.slow, pytest.mark.timeout(TIME_LIMIT + ADMIN_TIME_LIMIT + 60)]


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
        for name in ("schemathesis", "second"):  # two: the admin listing has two pages
            submitted = api.post(
                "/UploadData", json={"Name": name, "Data": UPLOAD_DATA, "Key": api_key}
            )
            assert submitted.status_code == 200, submitted.text
    return {
        "push-cursor": pushed.json()["nextCursor"],
        "files-cursor": files.json()["nextCursor"],
        "file-ids": file_ids,
        "apps": [APP],
        "tokens": [submitted.json()],
    }


def operator_token(server: ServerProcess) -> str:
    """A token with scope ``admin`` of a new operator client, made with the CLI."""
    created = subprocess.run(
        [LANDINGZONE, "admin", "client", "create", "--operator", "--label", "fuzz", "--json"],
        env={**os.environ, "LZ_DATA_DIR": str(server.data_dir)},
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    client = json.loads(created.stdout)
    response = httpx.post(
        f"{server.url}/oauth2/token",
        data={"grant_type": "client_credentials", "scope": "admin"},
        auth=(client["client_id"], client["client_secret"]),
    )
    assert response.status_code == 200, response.text
    token: str = response.json()["access_token"]
    return token


def admin_values(server: ServerProcess, token: str) -> dict[str, Any]:
    """A customer, clients and a user of the run's own for the admin operations to
    change, and a real cursor of each admin listing (every listing has two pages)."""
    admin = httpx.Client(
        base_url=f"{server.url}/admin/v1", headers={"Authorization": f"Bearer {token}"}
    )
    with admin:
        made = [
            admin.post("/customers", json={"name": FUZZ_CUSTOMER}),
            admin.post(f"/customers/{FUZZ_CUSTOMER}/apps", json={"appId": APP}),
            admin.post(f"/customers/{FUZZ_CUSTOMER}/apps", json={"appId": "otherApp"}),
            client := admin.post(f"/customers/{FUZZ_CUSTOMER}/clients", json={}),
            admin.post(f"/customers/{FUZZ_CUSTOMER}/clients", json={}),
            admin.post("/clients", json={}),
            admin.post(
                "/users", json={"email": FUZZ_USER, "role": "member", "customer": FUZZ_CUSTOMER}
            ),
        ]
        for answer in made:
            assert answer.status_code == 201, answer.text
        cursors = {}
        for path in ADMIN_LISTINGS:
            page = admin.get(path.replace("{name}", FUZZ_CUSTOMER), params={"limit": 1})
            assert page.status_code == 200 and page.json()["nextCursor"], (path, page.text)
            cursors[f"/admin/v1{path}"] = page.json()["nextCursor"]
    return {
        "customers": [FUZZ_CUSTOMER],
        "clients": [client.json()["client_id"]],
        "users": [FUZZ_USER],
        "datasets": ["transactions"],
        "cursors": cursors,
    }


def dictionaries(values: dict[str, Any]) -> str:
    return "\n".join(
        f"[dictionaries.{name}]\nvalues = {json.dumps(items)}\n" for name, items in values.items()
    )


def customer_config(demo: dict[str, Any], token: str, values: dict[str, Any]) -> str:
    """schemathesis.toml of the customers' routes: the demo client's credentials, fixed
    parameters and dictionaries of real values."""
    q = json.dumps  # a JSON string is a valid TOML basic string
    values = dict(values)
    # A page cursor is opaque: fixed to a real one (a made-up cursor is rightly a 400).
    push_cursor, files_cursor = values.pop("push-cursor"), values.pop("files-cursor")
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

{dictionaries(values)}
"""


def admin_config(token: str, values: dict[str, Any]) -> str:
    """schemathesis.toml of the admin API: the operator's token; the run's own customer,
    client and user, real file ids and page cursors."""
    values = dict(values)
    # A page cursor is opaque: fixed to a real one (a made-up cursor is rightly a 400).
    cursors = "\n".join(
        f'[[operations]]\ninclude-path = "{path}"\n'
        f"parameters = {{ {json.dumps('query.cursor')} = {json.dumps(cursor)} }}\n"
        for path, cursor in values.pop("cursors").items()
    )
    return f"""
[auth.openapi.bearerAuth]
bearer = {json.dumps(token)}

[parameters]
"path.id" = {{ dictionary = "file-ids", probability = 0.8 }}
"path.email" = {{ dictionary = "users", probability = 0.8 }}
# Always the run's own client: one found in a listing may be the operator's own, whose
# token this run needs (disabled or rotated, every later request would be a 401).
"path.clientId" = {json.dumps(values["clients"][0])}

# A body may break a rule of more than one field, or name a row that does not exist (a
# dataset type with a field name twice, a member of an unknown customer, a time zone
# not in the zone database): JSON Schema cannot say so, and the 422 that names the
# field is right. (Set for the whole run: schemathesis 4.32 applies an operation's
# check settings to others.)
[checks.positive_data_acceptance]
expected-statuses = ["2xx", "3xx", "401", "403", "404", "409", "422", "429"]

{cursors}

[[operations]]
include-path = [
  "/admin/v1/customers/{{name}}",
  "/admin/v1/customers/{{name}}/apps",
  "/admin/v1/customers/{{name}}/clients",
]
parameters = {{ "path.name" = {{ dictionary = "customers", probability = 0.8 }} }}

[[operations]]
include-path = "/admin/v1/datasets/{{name}}"
parameters = {{ "path.name" = {{ dictionary = "datasets", probability = 0.8 }} }}

{dictionaries(values)}
"""


def run_schemathesis(
    server: ServerProcess, config: Path, selection: list[str], examples: int, timeout: float
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [
            SCHEMATHESIS,
            "--config-file",
            str(config),
            "--no-color",
            "run",
            f"{server.url}/openapi.json",
            *selection,
            "--checks",
            "all",
            "--seed",
            str(SEED),
            "--max-examples",
            str(examples),
            "--generation-database",
            "none",
            "--workers",
            "1",
            "--request-timeout",
            "30",
        ],
        capture_output=True,
        text=True,
        timeout=timeout,
        cwd=config.parent,
        check=False,
    )


def operations_tested(report: str) -> int:
    found = re.search(r"Tested: (\d+)", report)
    assert found, f"no summary in schemathesis's report:\n{report}"
    return int(found.group(1))


def test_the_api_conforms_to_its_openapi_document(tmp_path: Path) -> None:
    server = ServerProcess(
        tmp_path / "data",
        # Thousands of requests a minute: the rate limit would answer most of them.
        env_overrides={"LZ_RATE_LIMIT": "100000", "LZ_RATE_LIMIT_BURST": "100000"},
    )
    server.start()
    reports = []
    try:
        assert server.demo is not None
        token = server.demo_token()
        values = known_values(server, token, server.demo["api_key"])
        admin_token = operator_token(server)
        admin = admin_values(server, admin_token) | {"file-ids": values["file-ids"]}
        document = httpx.get(f"{server.url}/openapi.json").json()
        operations = sum(len(item) for item in document["paths"].values())
        # Two runs, as two callers: one token per run (schemathesis takes one per scheme).
        runs = [
            (
                "customer.toml",
                customer_config(server.demo, token, values),
                "--exclude-path-regex",
                MAX_EXAMPLES,
                TIME_LIMIT,
            ),
            (
                "admin.toml",
                admin_config(admin_token, admin),
                "--include-path-regex",
                ADMIN_MAX_EXAMPLES,
                ADMIN_TIME_LIMIT,
            ),
        ]
        for name, text, selection, examples, limit in runs:
            config = tmp_path / name
            config.write_text(text, encoding="utf-8")
            result = run_schemathesis(server, config, [selection, ADMIN_PATHS], examples, limit)
            reports.append((result.returncode, result.stdout + result.stderr))
    finally:
        server.stop()
    for returncode, report in reports:
        assert returncode == 0, (
            f"schemathesis found failures:\n{report}\nserver log (end):\n{server.logs()[-4000:]}"
        )
    assert sum(operations_tested(report) for _, report in reports) == operations, (
        f"schemathesis skipped operations:\n{reports}"
    )
