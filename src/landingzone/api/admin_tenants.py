"""The admin API's tenants (SPEC §9): customers, their apps and clients, operator clients.

Every route needs an operator's token (scope `admin`) and calls the same use-cases as
`landingzone admin ...` (``domain/admin.py``), naming the calling client and the request
as the actor of the audit log.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field, StrictBool

from landingzone.api.admin_common import (
    PREFIX,
    OperatorCaller,
    RawBody,
    admin_answers,
    page_json,
    page_params,
    parse_body,
)
from landingzone.api.context import context
from landingzone.api.deps import actor, authorize
from landingzone.api.query import only_params
from landingzone.auth.scopes import ADMIN
from landingzone.domain.models import App, Client, Customer
from landingzone.timeutil import iso_z

router = APIRouter(prefix=PREFIX, tags=["admin"])
Name = Annotated[str, Path(alias="name", description="The customer's name.")]
ClientId = Annotated[str, Path(alias="clientId", description="The client's client_id.")]
# Answers that carry a secret are never cached (as the token endpoint's, RFC 6749 §5.1).
NO_STORE = {"Cache-Control": "no-store"}


class NewCustomer(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: Annotated[str, Field(description="1-64 of A-Z a-z 0-9 . _ -, unique.")]
    timezone: Annotated[str, Field(description="An IANA time zone.")] = "UTC"


class CustomerChange(BaseModel):
    model_config = ConfigDict(extra="forbid")

    timezone: str | None = None
    disabled: StrictBool | None = None


class NewApp(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    app_id: Annotated[str, Field(alias="appId")]


class NewClient(BaseModel):
    model_config = ConfigDict(extra="forbid")

    scopes: list[str] | None = None
    label: str | None = None


class NewOperatorClient(BaseModel):
    model_config = ConfigDict(extra="forbid")

    label: str | None = None


def customer_json(customer: Customer) -> dict[str, Any]:
    return {
        "name": customer.name,
        "timezone": customer.timezone,
        "disabled": customer.disabled,
        "createdAt": iso_z(customer.created_at),
    }


def app_json(app: App, customer: str) -> dict[str, Any]:
    return {"appId": app.app_id, "customer": customer, "createdAt": iso_z(app.created_at)}


def client_json(client: Client, customer: str | None) -> dict[str, Any]:
    return {
        "clientId": client.client_id,
        "customer": customer,
        "label": client.label,
        "scopes": list(client.scopes),
        "enabled": client.enabled,
        "createdAt": iso_z(client.created_at),
        "lastUsedAt": iso_z(client.last_used_at) if client.last_used_at else None,
    }


# -- customers -----------------------------------------------------------------------------


@router.get("/customers", summary="Customers, oldest first")
def list_customers(request: Request) -> JSONResponse:
    authorize(request, ADMIN)
    limit, cursor = page_params(request)
    return page_json(context(request).admin.customers_page(limit, cursor), customer_json)


@router.post("/customers", status_code=201, summary="Create a customer")
def create_customer(principal: OperatorCaller, raw: RawBody, request: Request) -> JSONResponse:
    only_params(request, set())
    body = parse_body(NewCustomer, raw)
    with admin_answers():
        customer = context(request).admin.create_customer(
            body.name, body.timezone, actor(request, principal)
        )
    return JSONResponse(
        customer_json(customer),
        status_code=201,
        headers={"Location": f"/admin/v1/customers/{customer.name}"},
    )


@router.get("/customers/{name}", summary="A customer")
def get_customer(name: Name, request: Request) -> JSONResponse:
    authorize(request, ADMIN)
    only_params(request, set())
    with admin_answers():
        return JSONResponse(customer_json(context(request).admin.customer(name)))


@router.patch("/customers/{name}", summary="Change a customer's time zone, or disable it")
def update_customer(
    name: Name, principal: OperatorCaller, raw: RawBody, request: Request
) -> JSONResponse:
    only_params(request, set())
    body = parse_body(CustomerChange, raw)
    with admin_answers():
        customer = context(request).admin.update_customer(
            name, body.timezone, body.disabled, actor(request, principal)
        )
    return JSONResponse(customer_json(customer))


# -- apps ----------------------------------------------------------------------------------


@router.get("/customers/{name}/apps", summary="A customer's apps, oldest first")
def list_apps(name: Name, request: Request) -> JSONResponse:
    authorize(request, ADMIN)
    limit, cursor = page_params(request)
    with admin_answers():
        page = context(request).admin.apps_page(name, limit, cursor)
    return page_json(page, lambda app: app_json(app, name))


@router.post("/customers/{name}/apps", status_code=201, summary="Create an app")
def create_app(
    name: Name, principal: OperatorCaller, raw: RawBody, request: Request
) -> JSONResponse:
    only_params(request, set())
    body = parse_body(NewApp, raw)
    with admin_answers():
        app = context(request).admin.create_app(name, body.app_id, actor(request, principal))
    return JSONResponse(app_json(app, name), status_code=201)


# -- clients -------------------------------------------------------------------------------


@router.get("/customers/{name}/clients", summary="A customer's clients, oldest first")
def list_clients(name: Name, request: Request) -> JSONResponse:
    authorize(request, ADMIN)
    limit, cursor = page_params(request)
    with admin_answers():
        page = context(request).admin.clients_page(name, limit, cursor)
    return page_json(page, lambda client: client_json(client, name))


@router.post(
    "/customers/{name}/clients",
    status_code=201,
    summary="Create a client; its secret and API key are shown once",
)
def create_client(
    name: Name, principal: OperatorCaller, raw: RawBody, request: Request
) -> JSONResponse:
    only_params(request, set())
    body = parse_body(NewClient, raw)
    with admin_answers():
        issued = context(request).admin.create_client(
            name, body.scopes, label=body.label, actor=actor(request, principal)
        )
    return JSONResponse(issued.document(), status_code=201, headers=NO_STORE)


@router.get("/clients", summary="Operator clients (of no customer), oldest first")
def list_operator_clients(request: Request) -> JSONResponse:
    authorize(request, ADMIN)
    limit, cursor = page_params(request)
    page = context(request).admin.clients_page(None, limit, cursor)
    return page_json(page, lambda client: client_json(client, None))


@router.post(
    "/clients",
    status_code=201,
    summary="Create an operator client (scope admin); its secret and API key are shown once",
)
def create_operator_client(
    principal: OperatorCaller, raw: RawBody, request: Request
) -> JSONResponse:
    only_params(request, set())
    body = parse_body(NewOperatorClient, raw)
    with admin_answers():
        issued = context(request).admin.create_operator_client(
            body.label, actor(request, principal)
        )
    return JSONResponse(issued.document(), status_code=201, headers=NO_STORE)


def _client_answer(request: Request, client: Client) -> JSONResponse:
    owner = context(request).admin.owner(client)
    return JSONResponse(client_json(client, owner.name if owner else None))


@router.post("/clients/{clientId}/disable", summary="Disable a client: its tokens stop at once")
def disable_client(client_id: ClientId, request: Request) -> JSONResponse:
    principal = authorize(request, ADMIN)
    only_params(request, set())
    with admin_answers():
        client = context(request).admin.disable_client(client_id, actor(request, principal))
    return _client_answer(request, client)


@router.post("/clients/{clientId}/enable", summary="Enable a disabled client")
def enable_client(client_id: ClientId, request: Request) -> JSONResponse:
    principal = authorize(request, ADMIN)
    only_params(request, set())
    with admin_answers():
        client = context(request).admin.enable_client(client_id, actor(request, principal))
    return _client_answer(request, client)


@router.post(
    "/clients/{clientId}/rotate",
    summary="New secret and API key, shown once; the old ones and their tokens stop at once",
)
def rotate_client(client_id: ClientId, request: Request) -> JSONResponse:
    principal = authorize(request, ADMIN)
    only_params(request, set())
    with admin_answers():
        issued = context(request).admin.rotate_client(client_id, actor(request, principal))
    return JSONResponse(issued.document(), headers=NO_STORE)
