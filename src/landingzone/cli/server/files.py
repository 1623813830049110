"""`landingzone admin file ...`: every customer's files, one file, its retry and retraction.

The same use-cases as `/admin/v1/files` (domain/catalog.py); `--json` prints the
documents the admin API answers.
"""

from __future__ import annotations

from typing import Annotated, Any

import typer
from rich.table import Table

from landingzone.cli.output import JsonFlag, console, emit_json, table
from landingzone.cli.server.operator import operator
from landingzone.domain.listings import CustomerFile
from landingzone.domain.paging import DEFAULT_PAGE
from landingzone.timeutil import iso_z

file_app = typer.Typer(
    no_args_is_help=True, help="Files of every customer: list, show, retry, retract."
)


def _document(found: CustomerFile, errors: list[Any] | None = None) -> dict[str, Any]:
    # The admin API's shape; imported here, as the server stack is only for server commands.
    from landingzone.api.admin_files import customer_file_json

    return customer_file_json(found, errors)


@file_app.command("list")
def file_list(
    customer: Annotated[
        str | None, typer.Option("--customer", help="Only this customer's.")
    ] = None,
    status: Annotated[
        str | None, typer.Option("--status", help="Only this status: Pending, Failed, ...")
    ] = None,
    dataset: Annotated[
        str | None, typer.Option("--dataset", help="Only files of this dataset type.")
    ] = None,
    since: Annotated[
        str | None, typer.Option("--since", help="Only files created at or after (ISO 8601).")
    ] = None,
    limit: Annotated[int, typer.Option("--limit", help="Files per page.")] = DEFAULT_PAGE,
    cursor: Annotated[
        str | None, typer.Option("--cursor", help="The next page: the cursor the last one printed.")
    ] = None,
    json: JsonFlag = False,
) -> None:
    """List files of every customer, newest first."""
    with operator() as op:
        page = op.catalog.list_files(limit, customer, status, dataset, since, cursor)
    if json:
        emit_json({"items": [_document(f) for f in page.items], "nextCursor": page.next_cursor})
        return
    grid = Table(title="Files")
    # The id is what `show` and `retry` take: never cut; the other columns wrap instead.
    grid.add_column("id", no_wrap=True, min_width=36)
    for column in ("customer", "datasetType", "name", "status", "created", "imported", "rejected"):
        grid.add_column(column, overflow="fold")
    for f in page.items:
        record = f.file
        grid.add_row(
            record.id,
            f.customer,
            record.dataset_name,
            record.name,
            record.status.value,
            iso_z(record.created_at.replace(microsecond=0)),
            "" if record.rows_imported is None else str(record.rows_imported),
            "" if record.rows_rejected is None else str(record.rows_rejected),
        )
    console.print(grid)
    if page.next_cursor:
        typer.echo(f"More: --cursor {page.next_cursor}")


@file_app.command("show")
def file_show(
    file_id: Annotated[str, typer.Argument(metavar="ID")], json: JsonFlag = False
) -> None:
    """Show one file: status, statistics and its first errors."""
    with operator() as op:
        found = op.catalog.file(file_id)
        errors = op.catalog.first_errors(file_id)
    if json:
        emit_json(_document(found, errors))
        return
    record = found.file
    typer.echo(f"{record.id}: {record.name} ({record.dataset_name}) of customer {found.customer}")
    typer.echo(
        f"status {record.status.value}"
        + (f": {record.failure_reason}" if record.failure_reason else "")
    )
    typer.echo(
        f"created {iso_z(record.created_at)}, uploaded "
        f"{iso_z(record.uploaded_at) if record.uploaded_at else 'not yet'}; "
        f"rows {record.rows_total}, imported {record.rows_imported}, "
        f"rejected {record.rows_rejected}"
    )
    if errors:
        rows = [(e.row, e.field, e.value, e.code, e.message) for e in errors]
        table(
            f"First errors ({record.error_count} in all)",
            ["row", "field", "value", "code", "message"],
            rows,
        )


@file_app.command("retry")
def file_retry(
    file_id: Annotated[str, typer.Argument(metavar="ID")], json: JsonFlag = False
) -> None:
    """Validate a Failed file again: back to Pending for the validation workers."""
    with operator() as op:
        retried = op.catalog.retry_file(file_id)
    if json:
        emit_json(_document(retried))
    else:
        typer.echo(
            f"File {retried.file.id} is {retried.file.status.value} again; it will be validated."
        )


@file_app.command("retract")
def file_retract(
    file_id: Annotated[str, typer.Argument(metavar="ID")], json: JsonFlag = False
) -> None:
    """Retract a file of any customer: its rows leave analytics and its bytes are deleted;
    it stays listed as Deleted. Retracting it again changes nothing."""
    with operator() as op:
        retracted = op.catalog.retract_file(file_id)
    if json:
        emit_json(_document(retracted))
    else:
        typer.echo(
            f"File {retracted.file.id} of {retracted.customer} is Deleted: its rows and "
            "stored bytes are gone."
        )
