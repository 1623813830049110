"""`landingzone admin audit`: the audit log, newest first, as `GET /admin/v1/audit` reads it."""

from __future__ import annotations

from typing import Annotated

import typer

from landingzone.api.documents import audit_json
from landingzone.cli.output import JsonFlag, emit_json, table
from landingzone.cli.server.operator import operator
from landingzone.domain.admin import UnknownCustomer
from landingzone.domain.paging import DEFAULT_PAGE, MAX_PAGE
from landingzone.errors import NotFound
from landingzone.timeutil import iso_z


def audit(
    customer: Annotated[
        str | None, typer.Option("--customer", help="Only this customer's entries.")
    ] = None,
    actor: Annotated[
        str | None, typer.Option("--actor", help="Only this actor's: a client id, or cli.")
    ] = None,
    action: Annotated[
        str | None, typer.Option("--action", help="Only this action, e.g. client.rotate.")
    ] = None,
    since: Annotated[
        str | None,
        typer.Option("--since", help="Only from this ISO 8601 date or time on (UTC by default)."),
    ] = None,
    limit: Annotated[
        int, typer.Option("--limit", help=f"At most this many entries (1-{MAX_PAGE}).")
    ] = DEFAULT_PAGE,
    json: JsonFlag = False,
) -> None:
    """Show the audit log, newest first: who changed what, when."""
    with operator() as op:
        try:
            page = op.audit(customer, actor, action, since, limit)
        except UnknownCustomer as exc:
            raise NotFound(f"{exc.message} See 'landingzone admin customer list'.") from None
    if json:
        emit_json([audit_json(entry) for entry in page.items])
        return
    table(
        "Audit log",
        ["at", "actor", "customer", "action", "target", "outcome", "request"],
        [
            (
                iso_z(e.at),
                e.actor,
                e.customer,
                e.action,
                e.target,
                e.outcome,
                e.request_id,
            )
            for e in page.items
        ],
    )
    if page.next_cursor:
        typer.echo(f"(the newest {len(page.items)}; narrow with --since or raise --limit)")
