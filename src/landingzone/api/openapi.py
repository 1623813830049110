"""The OpenAPI document: FastAPI's generated one, completed with what it cannot see.

Most routes read their query string or body from the ``Request`` by hand (strict
parameter checks, auth before the body, body limits), so FastAPI does not know
their parameters, bodies, security or error answers. This module adds them, and
replaces FastAPI's ``HTTPValidationError`` answers with the common error body of
SPEC §7 that ``api/errors.py`` really sends. The descriptions themselves are in
``openapi_operations.py`` (per operation) and ``openapi_schemas.py`` (the bodies);
``tests/test_openapi.py`` checks the result against the routes and
``tests/e2e/test_schemathesis.py`` against a running server.
"""

from __future__ import annotations

import copy
import json

from fastapi import FastAPI, Request
from fastapi.openapi.utils import get_openapi
from fastapi.responses import JSONResponse

from landingzone.api.context import ApiContext
from landingzone.api.docs import OPENAPI_URL, install_docs
from landingzone.api.openapi_operations import LINKS, OBJECT_PATH, OPERATIONS, error_response
from landingzone.api.openapi_schemas import (
    S3_ERROR,
    SCHEMAS,
    SECURITY_SCHEMES,
    Json,
    time_zones,
)
from landingzone.auth.signing import OBJECT_ROUTE_PREFIX
from landingzone.domain.keys import PUSH_TYPES


def complete(document: Json) -> Json:
    """Add parameters, bodies, security and error answers to FastAPI's ``document``."""
    components = document.setdefault("components", {})
    schemas = components.setdefault("schemas", {})
    schemas.update(copy.deepcopy(SCHEMAS))
    schemas["UploadData"]["properties"]["TimeZone"]["enum"] = [*time_zones(), None]
    schemas["S3Error"] = copy.deepcopy(S3_ERROR)
    components["securitySchemes"] = copy.deepcopy(SECURITY_SCHEMES)
    for path, item in document.get("paths", {}).items():
        for method, operation in item.items():
            # A route added without an entry here still gets the common answers;
            # tests/test_openapi.py fails until it is described.
            extra = OPERATIONS.get((method, path), UNDESCRIBED)
            complete_operation(operation, copy.deepcopy(extra))
    document["paths"][f"{OBJECT_ROUTE_PREFIX}{{key}}"] = copy.deepcopy(OBJECT_PATH)
    add_links(document)
    prune_unreferenced(schemas, document)
    return document


def prune_unreferenced(schemas: Json, document: Json) -> None:
    """Drop FastAPI's schemas that no answer uses any more (HTTPValidationError, route models)."""
    while True:
        text = json.dumps(document)
        unused = [name for name in schemas if f'"#/components/schemas/{name}"' not in text]
        if not unused:
            return
        for name in unused:
            del schemas[name]


def add_links(document: Json) -> None:
    paths = document["paths"]
    for (method, path, status), links in LINKS.items():
        response = paths[path][method]["responses"][status]
        response["links"] = {
            name: {"operationId": paths[target][verb]["operationId"], "parameters": parameters}
            for name, (verb, target, parameters) in links.items()
        }


UNDESCRIBED: Json = {"scopes": (), "errors": ["400", "404", "422"]}


def complete_operation(operation: Json, extra: Json) -> None:
    scopes: tuple[str, ...] | None = extra.pop("scopes", None)
    errors: list[str] = extra.pop("errors", [])
    responses: Json = operation.setdefault("responses", {})
    # FastAPI's 422 is in its own error body, never sent: api/errors.py answers ours.
    responses.pop("422", None)
    if any(status.startswith("2") for status in extra.get("responses", {})):
        # FastAPI's success answer has no schema: ours replaces it.
        for status in [s for s in responses if s.startswith("2")]:
            del responses[status]
    responses.update(extra.pop("responses", {}))
    if scopes is not None:
        # OpenAPI 3.1 lets a bearer requirement name the roles (scopes) it needs;
        # several requirements are alternatives: any one of the scopes will do.
        operation["security"] = [{"bearerAuth": [scope]} for scope in scopes] or [
            {"bearerAuth": []}
        ]
        wanted = " or ".join(scopes) or "see docs/api.md"
        extra["description"] = f"{extra.get('description', '')} Scope: {wanted}.".strip()
        errors = [*errors, "401", "403", "429", "503"]
    if "requestBody" in operation or "requestBody" in extra:
        errors = [*errors, "408"]  # api/edges.py: a body that stalls past the idle timeout
    for status in errors:
        responses.setdefault(status, error_response(status))
    parameters = operation.setdefault("parameters", [])
    parameters.extend(extra.pop("parameters", []))
    if not parameters:
        del operation["parameters"]
    operation.update(extra)


PUSH_UPLOAD = "/services/push/v1/customer/apps/{appId}/upload"


def with_dataset_types(document: Json, names: list[str]) -> Json:
    """``document`` with the deployment's dataset types as the choices where they apply."""
    document = copy.deepcopy(document)
    push_upload = document["paths"].get(PUSH_UPLOAD, {}).get("get", {})
    for parameter in push_upload.get("parameters", []):
        if parameter["name"] == "type":
            parameter["schema"]["enum"] = [*PUSH_TYPES, *(n for n in names if n not in PUSH_TYPES)]
    if names:  # an empty enum would say no request is valid
        request = document["components"]["schemas"]["FileUploadRequest"]
        request["properties"]["datasetType"]["enum"] = names
    return document


def context_of(api: FastAPI) -> ApiContext:
    ctx: ApiContext = api.state.context
    return ctx


def describe_api(api: FastAPI) -> None:
    """The completed document at /openapi.json, and the /docs and /redoc pages."""
    install_docs(api)

    def build() -> Json:
        if api.openapi_schema is None:
            document = get_openapi(
                title=api.title,
                version=api.version,
                description=api.description,
                routes=api.routes,
            )
            api.openapi_schema = complete(document)
        # Built per request: `landingzone admin dataset add` may add a type at any time.
        names = sorted(context_of(api).summary.datasets.names())
        return with_dataset_types(api.openapi_schema, names)

    api.openapi = build  # type: ignore[method-assign]

    def openapi_json(request: Request) -> JSONResponse:
        """FastAPI's own /openapi.json route, but sync: ``build`` reads the database."""
        document = api.openapi()
        root_path = request.scope.get("root_path", "").rstrip("/")
        servers = document.get("servers", [])
        if (
            root_path
            and api.root_path_in_servers
            and root_path not in {server.get("url") for server in servers}
        ):
            document = {**document, "servers": [{"url": root_path}, *servers]}
        return JSONResponse(document)

    api.add_route(OPENAPI_URL, openapi_json, include_in_schema=False)
