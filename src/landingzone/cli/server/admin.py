"""`landingzone admin ...`: customers, apps and clients, straight against the database.

Works while the server runs (SQLite WAL or PostgreSQL); reads the same LZ_* settings.
The use-cases are the admin API's (``domain/admin.py``); each change is written to the
audit log with the actor `cli`.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Annotated, Any

import typer

from landingzone.cli.output import JsonFlag, emit_json, err_console, fail, table
from landingzone.cli.server.audit import audit
from landingzone.cli.server.datasets import dataset_app
from landingzone.cli.server.files import file_app
from landingzone.cli.server.operator import operator
from landingzone.cli.server.users import user_app
from landingzone.domain.admin import IssuedClient, UnknownClient, UnknownCustomer
from landingzone.domain.integrity import Damaged
from landingzone.domain.models import App, Client, Customer
from landingzone.errors import NotFound
from landingzone.timeutil import iso_z

admin_app = typer.Typer(no_args_is_help=True, help="Manage customers, apps and clients.")
customer_app = typer.Typer(no_args_is_help=True, help="Customers (tenants).")
app_app = typer.Typer(no_args_is_help=True, help="Apps (data sources) of a customer.")
client_app = typer.Typer(no_args_is_help=True, help="OAuth clients: customers' and operators'.")
admin_app.add_typer(customer_app, name="customer")
admin_app.add_typer(app_app, name="app")
admin_app.add_typer(client_app, name="client")
admin_app.add_typer(dataset_app, name="dataset")
admin_app.add_typer(user_app, name="user")
admin_app.add_typer(file_app, name="file")
admin_app.command("audit")(audit)

Label = Annotated[
    str | None, typer.Option("--label", help="What the client is for (shown in listings).")
]


@contextmanager
def hints() -> Iterator[None]:
    """The domain says what is missing; the CLI adds the command that lists what exists."""
    try:
        yield
    except UnknownCustomer as exc:
        raise NotFound(f"{exc.message} See 'landingzone admin customer list'.") from None
    except UnknownClient as exc:
        raise NotFound(f"{exc.message} See 'landingzone admin client list'.") from None


def customer_json(customer: Customer) -> dict[str, Any]:
    return {
        "name": customer.name,
        "timezone": customer.timezone,
        "disabled": customer.disabled,
        "createdAt": iso_z(customer.created_at),
    }


def app_json(app: App, customer: Customer) -> dict[str, Any]:
    return {"customer": customer.name, "appId": app.app_id, "createdAt": iso_z(app.created_at)}


def client_json(client: Client, customer: Customer | None) -> dict[str, Any]:
    return {
        "client_id": client.client_id,
        "customer": customer.name if customer else None,
        "label": client.label,
        "scopes": list(client.scopes),
        "enabled": client.enabled,
        "createdAt": iso_z(client.created_at),
        "lastUsedAt": iso_z(client.last_used_at) if client.last_used_at else None,
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
        rows = [
            (c.name, c.timezone, "disabled" if c.disabled else "yes", iso_z(c.created_at))
            for c in customers
        ]
        table("Customers", ["name", "timezone", "enabled", "created"], rows)


@customer_app.command("update")
def customer_update(
    name: str,
    timezone: Annotated[
        str | None, typer.Option("--timezone", help="A new IANA time zone.")
    ] = None,
    disable: Annotated[
        bool | None,
        typer.Option(
            "--disable/--enable",
            help="Disable the customer (its clients' tokens are refused at once) or enable it.",
            show_default=False,
        ),
    ] = None,
    json: JsonFlag = False,
) -> None:
    """Change a customer's time zone, or disable or enable it."""
    with operator() as op, hints():
        customer = op.update_customer(name, timezone, disable)
    if json:
        emit_json(customer_json(customer))
    else:
        state = "disabled" if customer.disabled else "enabled"
        typer.echo(f"Customer {customer.name}: time zone {customer.timezone}, {state}.")


@app_app.command("create")
def app_create(customer: str, app_id: str, json: JsonFlag = False) -> None:
    """Create an app for CUSTOMER."""
    with operator() as op, hints():
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
    with operator() as op, hints():
        apps = op.list_apps(customer)
    if json:
        emit_json([app_json(a, c) for a, c in apps])
    else:
        table(
            "Apps",
            ["customer", "appId", "created"],
            [(c.name, a.app_id, iso_z(a.created_at)) for a, c in apps],
        )


def show_credentials(issued: IssuedClient, json: bool, what: str) -> None:
    """The credentials document: printed once, never stored in clear."""
    document = issued.document()
    if json:
        emit_json(document)
        return
    typer.echo(f"{what}. Shown once; store it now:")
    for name in ("client_id", "client_secret", "api_key"):
        typer.echo(f"  {name + ':':15}{document[name]}")
    typer.echo(f"  {'scopes:':15}{' '.join(issued.client.scopes)}")
    if issued.client.label:
        typer.echo(f"  {'label:':15}{issued.client.label}")


@client_app.command("create")
def client_create(
    customer: Annotated[
        str | None, typer.Argument(help="The customer; omit it with --operator.")
    ] = None,
    operator_client: Annotated[
        bool,
        typer.Option(
            "--operator", help="An operator client: no customer, scope admin (the admin API)."
        ),
    ] = False,
    scope: Annotated[
        list[str] | None,
        typer.Option("--scope", help="A scope to grant; repeat. Default: all but admin."),
    ] = None,
    label: Label = None,
    json: JsonFlag = False,
) -> None:
    """Create a client; its secret and API key are shown once."""
    if operator_client == (customer is not None):
        fail("give a CUSTOMER, or --operator for an operator client (not both).")
    if operator_client and scope:
        fail("an operator client holds scope admin and only that: drop --scope.")
    with operator() as op, hints():
        if customer is None:
            issued = op.create_operator_client(label)
        else:
            issued = op.create_client(customer, scope, label)
    owner = issued.customer_name
    show_credentials(
        issued,
        json,
        f"Created client for customer {owner}" if owner else "Created operator client",
    )


@client_app.command("list")
def client_list(
    customer: Annotated[str | None, typer.Argument()] = None, json: JsonFlag = False
) -> None:
    """List clients (never their secrets); operator clients show no customer."""
    with operator() as op, hints():
        clients = op.list_clients(customer)
    if json:
        emit_json([client_json(cl, cu) for cl, cu in clients])
    else:
        rows = [
            (
                cl.client_id,
                cu.name if cu else "(operator)",
                cl.label,
                " ".join(cl.scopes),
                "yes" if cl.enabled else "disabled",
                iso_z(cl.last_used_at) if cl.last_used_at else "",
            )
            for cl, cu in clients
        ]
        table(
            "Clients", ["client_id", "customer", "label", "scopes", "enabled", "last token"], rows
        )


@client_app.command("disable")
def client_disable(client_id: str, json: JsonFlag = False) -> None:
    """Disable a client; its tokens stop working at once."""
    with operator() as op, hints():
        client, owner = op.disable_client(client_id)
    if json:
        emit_json(client_json(client, owner))
    else:
        typer.echo(f"Disabled client {client.client_id}; its tokens are refused from now on.")


@client_app.command("enable")
def client_enable(client_id: str, json: JsonFlag = False) -> None:
    """Enable a disabled client; it can get tokens again."""
    with operator() as op, hints():
        client, owner = op.enable_client(client_id)
    if json:
        emit_json(client_json(client, owner))
    else:
        typer.echo(f"Enabled client {client.client_id}.")


@client_app.command("rotate")
def client_rotate(client_id: str, json: JsonFlag = False) -> None:
    """New secret and API key, shown once; the old ones and their tokens stop at once."""
    with operator() as op, hints():
        issued = op.rotate_client(client_id)
    show_credentials(issued, json, f"New credentials for client {issued.client.client_id}")


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
