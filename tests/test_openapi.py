"""The OpenAPI document is complete and valid; /docs and /redoc need nothing from the Internet.

tests/e2e/test_schemathesis.py checks the document against a running server;
these are the fast checks of the document itself and of the docs pages.
"""

from __future__ import annotations

import json
import re
from html.parser import HTMLParser
from typing import Any
from urllib.parse import urlsplit

import pytest
from openapi_spec_validator import validate

from landingzone.api.openapi_operations import OPERATIONS
from landingzone.auth.scopes import ALL_SCOPES
from tests.conftest import Credentials, Harness

Json = dict[str, Any]
PUSH_UPLOAD = "/services/push/v1/customer/apps/{appId}/upload"
PUSH_FILES = "/services/push/v1/customer/apps/{appId}/files"
METHODS = {"get", "put", "post", "delete", "patch", "head", "options"}


@pytest.fixture
def document(sqlite_harness: Harness) -> Json:
    response = sqlite_harness.http.get("/openapi.json")
    assert response.status_code == 200
    body: Json = response.json()
    return body


def operations(document: Json) -> list[tuple[str, str, Json]]:
    return [
        (method, path, operation)
        for path, item in document["paths"].items()
        for method, operation in item.items()
        if method in METHODS
    ]


def resolve(document: Json, node: Json) -> Json:
    while "$ref" in node:
        name = node["$ref"].removeprefix("#/components/schemas/")
        node = document["components"]["schemas"][name]
    return node


def parameter_names(operation: Json, where: str) -> set[str]:
    return {p["name"] for p in operation.get("parameters", []) if p["in"] == where}


def test_the_document_is_valid_openapi(document: Json) -> None:
    validate(document)
    assert document["openapi"].startswith("3.1")


def test_every_route_is_described_and_no_description_is_stale(document: Json) -> None:
    served = {(method, path) for method, path, _ in operations(document)} - {("put", "/o/{key}")}
    assert len(served) >= 12, served
    assert served <= set(OPERATIONS), f"api/openapi.py does not describe {served - set(OPERATIONS)}"
    assert set(OPERATIONS) <= served, f"api/openapi.py describes {set(OPERATIONS) - served}"


@pytest.mark.parametrize(
    ("method", "path", "expected"),
    [
        ("get", PUSH_UPLOAD, {"filenames", "type"}),
        ("get", PUSH_FILES, {"limit", "cursor"}),
        ("get", "/analytics/files", {"status", "datasetType", "limit", "cursor"}),
        ("get", "/analytics/files/{id}/errors", {"format"}),
        ("get", "/GetResults", {"token", "dataKey", "key"}),
    ],
)
def test_hand_read_query_parameters_are_documented(
    document: Json, method: str, path: str, expected: set[str]
) -> None:
    assert parameter_names(document["paths"][path][method], "query") == expected


def test_filenames_is_a_repeated_required_parameter(document: Json) -> None:
    (filenames,) = [
        p for p in document["paths"][PUSH_UPLOAD]["get"]["parameters"] if p["name"] == "filenames"
    ]
    assert filenames["required"] is True
    assert (filenames["style"], filenames["explode"]) == ("form", True)
    assert filenames["schema"]["type"] == "array"
    assert filenames["schema"]["maxItems"] == 100
    assert filenames["schema"]["uniqueItems"] is True


def test_bodies_are_documented(document: Json) -> None:
    token = document["paths"]["/oauth2/token"]["post"]["requestBody"]["content"]
    form = resolve(document, token["application/x-www-form-urlencoded"]["schema"])
    assert form["required"] == ["grant_type"]
    assert form["properties"]["grant_type"]["enum"] == ["client_credentials"]
    assert "client_secret" in form["description"]

    files = document["paths"]["/analytics/files/upload"]["post"]["requestBody"]["content"]
    request = resolve(document, files["application/json"]["schema"])
    assert set(request["required"]) == {"datasetType", "file"}
    assert resolve(document, request["properties"]["file"])["required"] == ["name", "type"]
    # Only the schemas that are used: FastAPI's own models of the routes are replaced.
    assert "UploadRequest" not in document["components"]["schemas"]

    upload = document["paths"]["/UploadData"]["post"]["requestBody"]["content"]
    data = resolve(document, upload["application/json"]["schema"])
    assert set(data["required"]) == {"Name", "Data", "Key"}
    assert {"EventData", "Username", "Overwrite", "TimeZone"} <= set(data["properties"])
    assert "Europe/Paris" in data["properties"]["TimeZone"]["enum"]


def test_security_schemes_and_requirements(document: Json) -> None:
    schemes = document["components"]["securitySchemes"]
    assert schemes["bearerAuth"] == {**schemes["bearerAuth"], "type": "http", "scheme": "bearer"}
    assert schemes["basicAuth"] == {**schemes["basicAuth"], "type": "http", "scheme": "basic"}
    for method, path, operation in operations(document):
        if path in ("/healthz", "/readyz", "/o/{key}"):
            assert operation["security"] == [], path
        elif path == "/oauth2/token":
            assert {"basicAuth": []} in operation["security"]
        else:
            assert operation["security"], (method, path)
            assert all(list(r) == ["bearerAuth"] for r in operation["security"]), (method, path)
            assert "Scope: " in operation["description"], (method, path)
            assert {"401", "403", "429"} <= set(operation["responses"]), (method, path)


def test_every_operation_with_a_body_documents_the_stalled_body_answer(document: Json) -> None:
    with_body = [
        (method, path, op) for method, path, op in operations(document) if "requestBody" in op
    ]
    assert with_body
    for method, path, operation in with_body:
        if path != "/o/{key}":  # the object endpoint answers S3's RequestTimeout, documented there
            assert "408" in operation["responses"], (method, path)


def test_every_json_error_answer_has_the_common_error_body(document: Json) -> None:
    assert "HTTPValidationError" not in document["components"]["schemas"]
    for method, path, operation in operations(document):
        for status, response in operation["responses"].items():
            if status.startswith(("2", "3")) or path == "/o/{key}":
                continue
            schema = response["content"]["application/json"]["schema"]
            expected = (
                "OAuthError" if path == "/oauth2/token" and status in ("400", "401") else "Error"
            )
            assert schema == {"$ref": f"#/components/schemas/{expected}"}, (method, path, status)
    oauth = document["components"]["schemas"]["OAuthError"]
    assert {"$ref": "#/components/schemas/Error"} in oauth["allOf"]
    error = document["components"]["schemas"]["Error"]
    assert set(error["required"]) == {"code", "message", "success"}


def test_the_documented_error_body_is_what_the_server_sends(
    sqlite_harness: Harness, document: Json
) -> None:
    from jsonschema import Draft202012Validator

    schemas = {"$defs": document["components"]["schemas"]}
    as_defs = json.loads(json.dumps(schemas).replace("#/components/schemas/", "#/$defs/"))
    answer = sqlite_harness.http.get("/GetResults")
    assert answer.status_code == 401
    Draft202012Validator({**as_defs, "$ref": "#/$defs/Error"}).validate(answer.json())
    token = sqlite_harness.http.post("/oauth2/token", data={"grant_type": "password"})
    assert token.status_code in (400, 401)
    Draft202012Validator({**as_defs, "$ref": "#/$defs/OAuthError"}).validate(token.json())


def test_dataset_types_are_the_choices_as_the_deployment_has_them(
    sqlite_harness: Harness,
) -> None:
    def choices() -> tuple[list[str], list[str]]:
        document = sqlite_harness.http.get("/openapi.json").json()
        (kind,) = [
            p for p in document["paths"][PUSH_UPLOAD]["get"]["parameters"] if p["name"] == "type"
        ]
        request = document["components"]["schemas"]["FileUploadRequest"]
        return kind["schema"]["enum"], request["properties"]["datasetType"].get("enum", [])

    assert choices() == (["users", "contracts", "other"], [])
    sqlite_harness.services.datasets.install_shipped()
    push_types, dataset_types = choices()
    assert push_types[:3] == ["users", "contracts", "other"]
    assert "transactions" in push_types and "transactions" in dataset_types
    assert push_types.count("users") == 1


class AssetLinks(HTMLParser):
    """Every URL an HTML page makes the browser load: scripts, styles, icons."""

    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        for name, value in attrs:
            if name in ("src", "href") and value:
                self.urls.append(value)


EXPECTED_TYPES = {".js": "text/javascript", ".css": "text/css", ".png": "image/png"}


@pytest.mark.parametrize("page", ["/docs", "/redoc"])
def test_docs_pages_load_only_same_origin_assets_that_are_served(
    sqlite_harness: Harness, page: str
) -> None:
    response = sqlite_harness.http.get(page)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    parser = AssetLinks()
    parser.feed(response.text)
    assert any(url.endswith(".js") for url in parser.urls), parser.urls
    # No other origin anywhere in the page, not even in inline script.
    assert "http://" not in response.text and "https://" not in response.text
    for url in parser.urls:
        parts = urlsplit(url)
        assert not parts.scheme and not parts.netloc, f"{page} loads {url} from elsewhere"
        assert parts.path.startswith("/docs/assets/"), url
        asset = sqlite_harness.http.get(url)
        assert asset.status_code == 200, url
        suffix = parts.path[parts.path.rindex(".") :]
        assert asset.headers["content-type"].startswith(EXPECTED_TYPES[suffix]), url
        assert len(asset.content) > 1000, url
    assert "/openapi.json" in response.text


def test_redoc_bundle_is_served_without_its_cdn_logo(sqlite_harness: Harness) -> None:
    # ReDoc 2 renders a Redocly logo from cdn.redoc.ly on every page view.
    response = sqlite_harness.http.get("/docs/assets/redoc.standalone.js")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/javascript")
    assert "cdn.redoc.ly" not in response.text
    assert 'alt:"redocly logo",onError' in response.text, "the bundle changed: check the logo"
    cached = sqlite_harness.http.get(
        "/docs/assets/redoc.standalone.js",
        headers={"If-None-Match": response.headers["etag"]},
    )
    assert cached.status_code == 304
    assert cached.content == b""


def test_swagger_ui_calls_no_online_validator(sqlite_harness: Harness) -> None:
    # Swagger UI's default validatorUrl is a public service it would load a badge from.
    assert '"validatorUrl": null' in sqlite_harness.http.get("/docs").text


def test_swagger_ui_oauth2_redirect_page_is_served(sqlite_harness: Harness) -> None:
    response = sqlite_harness.http.get("/docs/oauth2-redirect")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")


def test_links_lead_from_created_resources_to_their_readers(document: Json) -> None:
    ids = {op["operationId"]: (m, p) for m, p, op in operations(document) if "operationId" in op}
    created = document["paths"]["/analytics/files/upload"]["post"]["responses"]["201"]["links"]
    assert ids[created["GetFile"]["operationId"]] == ("get", "/analytics/files/{id}")
    assert created["GetFile"]["parameters"] == {"id": "$response.body#/id"}
    submitted = document["paths"]["/UploadData"]["post"]["responses"]["200"]["links"]
    assert ids[submitted["GetResults"]["operationId"]] == ("get", "/GetResults")


def documented_scopes(operation: Json) -> set[str]:
    return {scope for requirement in operation["security"] for scope in requirement["bearerAuth"]}


def test_each_operation_needs_exactly_the_scopes_it_documents(
    sqlite_harness: Harness, document: Json
) -> None:
    sqlite_harness.services.datasets.install_shipped()
    sqlite_harness.tenant("acme")
    tokens = {
        scope: sqlite_harness.auth(sqlite_harness.new_client("acme", [scope]))
        for scope in ALL_SCOPES
        if scope != "admin"
    }
    # `admin` is an operator client's (no customer), never a customer client's.
    ops = sqlite_harness.services.admin.create_operator_client()
    tokens["admin"] = sqlite_harness.auth(
        Credentials(ops.client.client_id, ops.client_secret, ops.api_key, "")
    )
    filled = {"{appId}": "myAppId", "{id}": "no-such-file", "{datasetType}": "transactions"}
    bodies = {
        "/analytics/files/upload": {
            "datasetType": "transactions",
            "file": {"name": "a.csv", "type": "csv"},
        },
        "/UploadData": {"Name": "n", "Data": "", "Key": "k"},
    }
    checked = 0
    for method, path, operation in operations(document):
        if path in ("/oauth2/token", "/healthz", "/readyz", "/o/{key}"):
            continue
        url = path
        for placeholder, value in filled.items():
            url = url.replace(placeholder, value)
        allowed = documented_scopes(operation)
        assert allowed, (method, path)
        for scope, headers in tokens.items():
            answer = sqlite_harness.http.request(
                method, url, headers=headers, json=bodies.get(path)
            )
            refused = answer.status_code == 403
            assert refused == (scope not in allowed), (method, path, scope, answer.text)
        checked += 1
    assert checked >= 9


@pytest.mark.parametrize("value", ["a", " a ", "\x1c", "\x1f\x85", "\ufeff", "\u3000", "\t\n", "é"])
def test_not_blank_agrees_with_the_servers_strip(value: str) -> None:
    # The server refuses Name, token and key when str.strip() leaves nothing.
    from landingzone.api.openapi_schemas import NOT_BLANK

    assert bool(re.search(NOT_BLANK, value)) == bool(value.strip())
