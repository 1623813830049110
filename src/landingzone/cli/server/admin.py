"""`landingzone admin ...`: customers, apps and clients, straight against the database.

Works while the server runs (SQLite WAL or PostgreSQL); reads the same LZ_* settings.
"""

from __future__ import annotations

from typing import Annotated, Any

import typer

from landingzone.cli.output import JsonFlag, emit_json, err_console, fail, table
from landingzone.cli.server.datasets import dataset_app
from landingzone.cli.server.files import file_app
from landingzone.cli.server.operator import operator
from landingzone.cli.server.users import user_app
from landingzone.domain.integrity import Damaged
from landingzone.domain.models import App, Client, Customer
from landingzone.timeutil import iso_z

admin_app = typer.Typer(no_args_is_help=True, help="Manage customers, apps and clients.")
customer_app = typer.Typer(no_args_is_help=True, help="Customers (tenants).")
app_app = typer.Typer(no_args_is_help=True, help="Apps (data sources) of a customer.")
client_app = typer.Typer(no_args_is_help=True, help="OAuth clients of a customer.")
admin_app.add_typer(customer_app, name="customer")
admin_app.add_typer(app_app, name="app")
admin_app.add_typer(client_app, name="client")
admin_app.add_typer(dataset_app, name="dataset")
admin_app.add_typer(user_app, name="user")
admin_app.add_typer(file_app, name="file")


def customer_json(customer: Customer) -> dict[str, Any]:
    return {
        "name": customer.name,
        "timezone": customer.timezone,
        "createdAt": iso_z(customer.created_at),
    }


def app_json(app: App, customer: Customer) -> dict[str, Any]:
    return {"customer": customer.name, "appId": app.app_id, "createdAt": iso_z(app.created_at)}


def client_json(client: Client, customer: Customer) -> dict[str, Any]:
    return {
        "client_id": client.client_id,
        "customer": customer.name,
        "scopes": list(client.scopes),
        "enabled": client.enabled,
        "createdAt": iso_z(client.created_at),
        "disabledAt": iso_z(client.disabled_at) if client.disabled_at else None,
    }


@customer_app.command("create")
def customer_create(
    name: str,
    timezone: Annotated[str, typer.Option(help="IANA time zone of the customer.")] = "UTC",
    json: JsonFlag = False,
) -> None:
    """Create a customer."""
    with operator() as op:
        customer = op.create_customer(name, timezone)
    if json:
        emit_json(customer_json(customer))
    else:
        typer.echo(f"Created customer {customer.name} (time zone {customer.timezone}).")


@customer_app.command("list")
def customer_list(json: JsonFlag = False) -> None:
    """List customers."""
    with operator() as op:
        customers = op.list_customers()
    if json:
        emit_json([customer_json(c) for c in customers])
    else:
        rows = [(c.name, c.timezone, iso_z(c.created_at)) for c in customers]
        table("Customers", ["name", "timezone", "created"], rows)


@app_app.command("create")
def app_create(customer: str, app_id: str, json: JsonFlag = False) -> None:
    """Create an app for CUSTOMER."""
    with operator() as op:
        app, owner = op.create_app(customer, app_id)
    if json:
        emit_json(app_json(app, owner))
    else:
        typer.echo(f"Created app {app.app_id} for customer {owner.name}.")


@app_app.command("list")
def app_list(
    customer: Annotated[str | None, typer.Argument()] = None, json: JsonFlag = False
) -> None:
    """List apps, of one customer or all."""
    with operator() as op:
        apps = op.list_apps(customer)
    if json:
        emit_json([app_json(a, c) for a, c in apps])
    else:
        table(
            "Apps",
            ["customer", "appId", "created"],
            [(c.name, a.app_id, iso_z(a.created_at)) for a, c in apps],
        )


@client_app.command("create")
def client_create(
    customer: str,
    scope: Annotated[
        list[str] | None, typer.Option("--scope", help="A scope to grant; repeat. Default: all.")
    ] = None,
    json: JsonFlag = False,
) -> None:
    """Create a client; its secret and API key are shown once."""
    with operator() as op:
        issued = op.create_client(customer, scope)
    document = {
        "client_id": issued.client.client_id,
        "client_secret": issued.client_secret,
        "api_key": issued.api_key,
        "customer": issued.customer.name,
        "scopes": list(issued.client.scopes),
    }
    if json:
        emit_json(document)
        return
    typer.echo(f"Created client for customer {issued.customer.name}. Shown once; store it now:")
    for name in ("client_id", "client_secret", "api_key"):
        typer.echo(f"  {name + ':':15}{document[name]}")
    typer.echo(f"  {'scopes:':15}{' '.join(issued.client.scopes)}")


@client_app.command("list")
def client_list(
    customer: Annotated[str | None, typer.Argument()] = None, json: JsonFlag = False
) -> None:
    """List clients (never their secrets)."""
    with operator() as op:
        clients = op.list_clients(customer)
    if json:
        emit_json([client_json(cl, cu) for cl, cu in clients])
    else:
        rows = [
            (cl.client_id, cu.name, " ".join(cl.scopes), "yes" if cl.enabled else "disabled")
            for cl, cu in clients
        ]
        table("Clients", ["client_id", "customer", "scopes", "enabled"], rows)


@client_app.command("disable")
def client_disable(client_id: str, json: JsonFlag = False) -> None:
    """Disable a client; its tokens stop working at once."""
    with operator() as op:
        client, owner = op.disable_client(client_id)
    if json:
        emit_json(client_json(client, owner))
    else:
        typer.echo(f"Disabled client {client.client_id}; its tokens are refused from now on.")


def damaged_json(found: Damaged) -> dict[str, Any]:
    stored = found.stored
    return {
        "id": stored.id,
        "customer": found.customer,
        "key": stored.object_key,
        "version": stored.version,
        "storageId": stored.storage_id,
        "problem": found.problem,
        "expectedSha256": stored.sha256,
        "actualSha256": found.actual_sha256,
        "expectedSize": stored.size,
        "actualSize": found.actual_size,
        "uploadedAt": iso_z(stored.uploaded_at),
    }


@admin_app.command("verify")
def verify(
    customer: Annotated[
        str | None, typer.Option("--customer", help="Only this customer's objects.")
    ] = None,
    json: JsonFlag = False,
) -> None:
    """Re-hash stored objects (local disk or S3) and report any whose bytes changed."""
    with operator() as op, err_console.status("verifying stored objects...") as status:
        report = op.verify(
            customer,
            progress=lambda stored: status.update(
                f"verifying {stored.object_key} (version {stored.version})"
            ),
        )
    if json:
        emit_json(
            {
                "checked": report.checked,
                "bytes": report.bytes_read,
                "ok": report.checked - len(report.problems),
                "damaged": [damaged_json(d) for d in report.problems],
            }
        )
    else:
        if report.problems:
            table(
                "Damaged objects",
                ["customer", "key", "version", "problem", "sha256 recorded", "sha256 now"],
                [
                    (
                        d.customer,
                        d.stored.object_key,
                        d.stored.version,
                        d.problem,
                        d.stored.sha256[:12],  # the full hashes are in --json
                        (d.actual_sha256 or "")[:12],
                    )
                    for d in report.problems
                ],
            )
        typer.echo(
            f"Verified {report.checked} stored objects ({report.bytes_read} bytes): "
            f"{report.checked - len(report.problems)} intact, {len(report.problems)} damaged."
        )
    if report.problems:
        if not json:
            fail("stored objects do not match their recorded SHA-256; see docs/operations.md.")
        raise typer.Exit(1)
