"""`landingzone files upload | status | errors | list | retract`: the Files API, on the SDK."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from landingzone.cli.output import JsonFlag, emit_json, fail
from landingzone.cli.uploader.connection import (
    FAILED,
    INTERRUPTED,
    OK,
    USAGE,
    Connection,
    Explain,
    connection_flags,
)
from landingzone.cli.uploader.progress import UploadWatcher
from landingzone.client import FileStatus, LandingzoneClientError, NotFound

files_app = typer.Typer(no_args_is_help=True, help="Dataset files: upload, status, errors, list.")
FileIdArgument = Annotated[str, typer.Argument(help="The file id the upload answered.")]
# Reading a file needs either scope (an uploader polls what it sent).
READ_SCOPE = "files.read (or files.write)"
STATUSES = ("Pending", "Processing", "Completed", "Failed", "Superseded", "Deleted")
MAX_PAGE = 1000


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
    if status.document.get("supersededBy"):
        typer.echo(f"superseded by {status.document['supersededBy']}: its rows no longer count")
    for error in status.errors[:10]:
        typer.echo(describe(error))
    if status.error_count > 10:
        typer.echo(f"... {status.error_count} errors in all: landingzone files errors {status.id}")


def describe(error: dict[str, Any]) -> str:
    where = f"row {error.get('row')}"
    if error.get("column"):
        where += f", column {error['column']} ({error.get('field') or '-'})"
    return f"{where}: {error.get('code')}: {error.get('message')}"


def verdict(status: FileStatus) -> int:
    """The exit code for a file's status: 1 when it Failed."""
    return FAILED if status.status == "Failed" else OK


def explain_upload(path: Path, dataset: str) -> Explain:
    def explain(exc: LandingzoneClientError) -> str | None:
        # 422 from POST /analytics/files/upload: the message names datasetType or file.name.
        if exc.status == 422 and "datasetType" in exc.message:
            known = exc.message.partition("use one of ")[2].rstrip(".")
            return f"unknown --dataset '{dataset}': use one of {known or 'the dataset types'}."
        if exc.status == 422 and "file.name" in exc.message:
            problem = exc.message.partition(": it ")[2].rstrip(".")
            return f"the file name {path.name!r} cannot be uploaded: it {problem}; rename it."
        if exc.code == "AccessDenied" and "expired" in exc.message:
            return "the upload URL expired before the upload started: run the command again."
        if exc.status == 422 and exc.message.startswith("Invalid replaces: "):
            return f"--replaces: {exc.message.removeprefix('Invalid replaces: ')}"
        return None

    return explain


def explain_file(file_id: str) -> Explain:
    def explain(exc: LandingzoneClientError) -> str | None:
        if isinstance(exc, NotFound):
            return (
                f"no file with id '{file_id}' for this client's customer: give an id that "
                "'landingzone files upload' or 'landingzone files list' printed."
            )
        return None

    return explain


@files_app.command("upload")
@connection_flags()
def upload(
    path: Annotated[Path, typer.Argument(help="The CSV file.")],
    dataset: Annotated[str, typer.Option("--dataset", help="The dataset type name.")],
    wait: Annotated[
        bool, typer.Option("--wait/--no-wait", help="Wait for Completed or Failed.")
    ] = True,
    timeout: Annotated[
        float | None, typer.Option("--timeout", help="Stop waiting after this many seconds.")
    ] = None,
    replaces: Annotated[
        str | None,
        typer.Option(
            "--replaces",
            metavar="FILE_ID",
            help="The id of an earlier file this one corrects: once this one is Completed, "
            "that one is Superseded and its rows stop counting.",
        ),
    ] = None,
    *,
    connection: Connection,
    json: JsonFlag = False,
) -> None:
    """Upload one file of a dataset type and (by default) wait for its verdict.

    The file id is printed on standard error as soon as the server gives it. On a
    terminal, a progress bar shows the upload, then a spinner the status. Exit
    code 0 when the file is Completed (or still in progress with --no-wait or
    after --timeout), 1 when it Failed, 130 on Ctrl-C.
    """
    if not path.is_file():
        fail(f"no such file: {path}", USAGE)
    watcher = UploadWatcher(path, quiet=json)
    explain = explain_upload(path, dataset)
    try:
        with connection.client(scope="files.write", explain=explain) as client:
            target = client.files.create_upload(dataset, path.name, replaces=replaces)
            watcher.created(target.id)
            with watcher.sending() as progress:
                status = client.files.send(target, path, progress=progress)
            if wait and not status.done:
                with watcher.waiting(status) as on_status:
                    status = client.files.wait(status.id, timeout, on_status=on_status)
    except KeyboardInterrupt:
        watcher.interrupted()
        raise typer.Exit(INTERRUPTED) from None
    show(status, json)
    raise typer.Exit(verdict(status))


@files_app.command("status")
@connection_flags()
def status(
    file_id: FileIdArgument,
    *,
    connection: Connection,
    json: JsonFlag = False,
) -> None:
    """A file's status, statistics and first errors. Exit code 1 when it Failed."""
    with connection.client(scope=READ_SCOPE, explain=explain_file(file_id)) as client:
        found = client.files.status(file_id)
    show(found, json)
    raise typer.Exit(verdict(found))


@files_app.command("retract")
@connection_flags()
def retract(
    file_id: FileIdArgument,
    *,
    connection: Connection,
    json: JsonFlag = False,
) -> None:
    """Retract a file: its rows leave analytics and its bytes are deleted; it stays listed
    as Deleted. Retracting it again changes nothing."""
    with connection.client(scope="files.write", explain=explain_file(file_id)) as client:
        found = client.files.retract(file_id)
    show(found, json)


@files_app.command("errors")
@connection_flags()
def errors(
    file_id: FileIdArgument,
    csv: Annotated[bool, typer.Option("--csv", help="The report as CSV.")] = False,
    *,
    connection: Connection,
    json: JsonFlag = False,
) -> None:
    """Every stored error of a file (JSON with --json, CSV with --csv)."""
    with connection.client(scope=READ_SCOPE, explain=explain_file(file_id)) as client:
        if csv:
            typer.echo(client.files.errors_csv(file_id), nl=False)
            return
        found = client.files.errors(file_id)
    if json:
        emit_json(found)
    else:
        for error in found:
            typer.echo(describe(error))


def parse_status(value: str | None) -> str | None:
    """--status in any letter case, as the server spells it."""
    if value is None:
        return None
    for known in STATUSES:
        if value.strip().lower() == known.lower():
            return known
    raise typer.BadParameter(f"'{value}' is not a status: use one of {', '.join(STATUSES)}.")


def explain_list(exc: LandingzoneClientError) -> str | None:
    if exc.status == 400 and "cursor" in exc.message:
        return "invalid --cursor: give the cursor a previous 'landingzone files list' printed."
    return None


@files_app.command("list")
@connection_flags()
def list_files(
    status_filter: Annotated[
        str | None,
        typer.Option(
            "--status",
            help="Only files with this status: Pending, Processing, Completed or Failed.",
            callback=parse_status,
        ),
    ] = None,
    dataset: Annotated[
        str | None, typer.Option("--dataset", help="Only files of this dataset type.")
    ] = None,
    limit: Annotated[
        int, typer.Option("--limit", min=1, max=MAX_PAGE, help="Files per page (1-1000).")
    ] = 50,
    cursor: Annotated[
        str | None, typer.Option("--cursor", help="The next-page cursor a previous page printed.")
    ] = None,
    all_pages: Annotated[
        bool, typer.Option("--all", help="Every page, not just the first.")
    ] = False,
    *,
    connection: Connection,
    json: JsonFlag = False,
) -> None:
    """The customer's files, newest first, a page at a time (--limit, --cursor, --all)."""
    found: list[FileStatus] = []
    with connection.client(scope=READ_SCOPE, explain=explain_list) as client:
        while True:
            page = client.files.list_files(
                status=status_filter, dataset_type=dataset, limit=limit, cursor=cursor
            )
            found.extend(page.files)
            cursor = page.next_cursor
            if not (all_pages and cursor):
                break
    if json:
        emit_json({"files": [f.document for f in found], "nextCursor": cursor})
        return
    for f in found:
        typer.echo(listing_line(f))
    if cursor:
        more = _filters(status_filter, dataset, limit)
        typer.echo(f"more: landingzone files list --cursor {cursor}{more}")
    elif not found:
        typer.echo("no files")


def listing_line(f: FileStatus) -> str:
    """One file per line, the id first (so `cut -d' ' -f1` gives the ids)."""
    stats = f.statistics
    counts = ""
    if f.done:
        counts = f"  imported {stats.get('rowsImported')}, rejected {stats.get('rowsRejected')}"
    name = (f.document.get("file") or {}).get("name")
    when = f.document.get("uploadedAt") or f.document.get("createdAt")
    return f"{f.id}  {f.status:10}  {f.document.get('datasetType')}  {name}  {when}{counts}"


def _filters(status_filter: str | None, dataset: str | None, limit: int) -> str:
    extra = ""
    if status_filter:
        extra += f" --status {status_filter}"
    if dataset:
        extra += f" --dataset {dataset}"
    if limit != 50:
        extra += f" --limit {limit}"
    return extra
