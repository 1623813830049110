"""`landingzone files upload | status | errors`: the Files API for uploaders, on the SDK."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from landingzone.cli.connect import (
    FAILED,
    OK,
    USAGE,
    ClientIdOption,
    ProfileOption,
    SecretOption,
    UrlOption,
    connected,
    fail,
)
from landingzone.cli.options import JsonFlag
from landingzone.cli.output import emit_json
from landingzone.client import FileStatus

files_app = typer.Typer(no_args_is_help=True, help="Dataset files: upload, status, errors.")
FileIdArgument = Annotated[str, typer.Argument(help="The file id the upload answered.")]


def show(status: FileStatus, as_json: bool) -> None:
    if as_json:
        emit_json(status.document)
        return
    stats = status.statistics
    line = f"{status.id}  {status.status}"
    if status.done:
        line += (
            f"  rows {stats.get('rowsTotal')}, imported {stats.get('rowsImported')}, "
            f"rejected {stats.get('rowsRejected')}"
        )
    typer.echo(line)
    if status.failure_reason:
        typer.echo(f"reason: {status.failure_reason}")
    for error in status.errors[:10]:
        typer.echo(describe(error))
    if status.error_count > 10:
        typer.echo(f"... {status.error_count} errors in all: landingzone files errors {status.id}")


def describe(error: dict[str, Any]) -> str:
    where = f"row {error.get('row')}"
    if error.get("column"):
        where += f", column {error['column']} ({error.get('field') or '-'})"
    return f"{where}: {error.get('code')}: {error.get('message')}"


@files_app.command("upload")
def upload(
    path: Annotated[Path, typer.Argument(help="The CSV file.")],
    dataset: Annotated[str, typer.Option("--dataset", help="The dataset type name.")],
    wait: Annotated[
        bool, typer.Option("--wait/--no-wait", help="Wait for Completed or Failed.")
    ] = True,
    timeout: Annotated[
        float | None, typer.Option("--timeout", help="Stop waiting after this many seconds.")
    ] = None,
    url: UrlOption = None,
    client_id: ClientIdOption = None,
    client_secret: SecretOption = None,
    profile: ProfileOption = "default",
    json: JsonFlag = False,
) -> None:
    """Upload one file of a dataset type and (by default) wait for its verdict.

    Exit code 0 when the file is Completed (or still in progress with --no-wait or
    after --timeout), 1 when it Failed.
    """
    if not path.is_file():
        raise fail(f"no such file: {path}", USAGE)
    with connected(url, client_id, client_secret, profile) as client:
        status = client.files.upload(dataset, path, wait=wait, timeout=timeout)
    show(status, json)
    raise typer.Exit(FAILED if status.status == "Failed" else OK)


@files_app.command("status")
def status(
    file_id: FileIdArgument,
    url: UrlOption = None,
    client_id: ClientIdOption = None,
    client_secret: SecretOption = None,
    profile: ProfileOption = "default",
    json: JsonFlag = False,
) -> None:
    """A file's status, statistics and first errors."""
    with connected(url, client_id, client_secret, profile) as client:
        show(client.files.status(file_id), json)


@files_app.command("errors")
def errors(
    file_id: FileIdArgument,
    csv: Annotated[bool, typer.Option("--csv", help="The report as CSV.")] = False,
    url: UrlOption = None,
    client_id: ClientIdOption = None,
    client_secret: SecretOption = None,
    profile: ProfileOption = "default",
    json: JsonFlag = False,
) -> None:
    """Every stored error of a file (JSON with --json, CSV with --csv)."""
    with connected(url, client_id, client_secret, profile) as client:
        if csv:
            typer.echo(client.files.errors_csv(file_id), nl=False)
            return
        found = client.files.errors(file_id)
    if json:
        emit_json(found)
    else:
        for error in found:
            typer.echo(describe(error))
