"""`landingzone files download ID` and `landingzone download --app APP NAME`: stored bytes
back to disk, on the SDK.

The path written is printed on standard output (so a script can use it), the
progress on standard error: a bar on a terminal, plain lines elsewhere, as
`files upload` does. An existing file is never replaced without --force.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import (
    BarColumn,
    DownloadColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeRemainingColumn,
    TransferSpeedColumn,
)

from landingzone.cli.output import fail
from landingzone.cli.uploader.connection import USAGE, Connection, Explain, connection_flags
from landingzone.cli.uploader.files import READ_SCOPE, FileIdArgument, explain_file
from landingzone.client import LandingzoneClientError, NotFound
from landingzone.client.push import Progress as ProgressCallback

# Pushed files are read back with the connector's scope or files.read.
OBJECT_SCOPE = "connector.write (or files.read)"

OutputOption = Annotated[
    Path | None,
    typer.Option(
        "--output",
        "-o",
        help="The file to write, or a directory to write into (default: the current "
        "directory, under the stored file's name).",
    ),
]
ForceOption = Annotated[bool, typer.Option("--force", help="Replace the output file if it exists.")]


class DownloadWatcher:
    """A download's progress on standard error."""

    def __init__(self) -> None:
        self.console = Console(stderr=True, highlight=False, soft_wrap=True)
        self.live = self.console.is_terminal

    @contextmanager
    def receiving(self) -> Iterator[ProgressCallback]:
        if not self.live:
            started: set[str] = set()

            def announce(name: str, received: int, size: int) -> None:
                if name not in started:
                    started.add(name)
                    self.console.print(escape(f"downloading {name} ({size:,} bytes)"))

            yield announce
            return
        columns = (
            TextColumn("{task.description}"), BarColumn(), DownloadColumn(),
            TransferSpeedColumn(), TimeRemainingColumn(),
        )  # fmt: skip
        with Progress(*columns, console=self.console, transient=True) as bar:
            tasks: dict[str, TaskID] = {}

            def update(name: str, received: int, size: int) -> None:
                if name not in tasks:
                    tasks[name] = bar.add_task(escape(name), total=size or None)
                bar.update(tasks[name], completed=received)

            yield update

    def saved(self, path: Path) -> None:
        self.console.print(escape(f"saved {path} ({path.stat().st_size:,} bytes)"))


def output_path(output: Path | None, force: bool) -> Path:
    """Where to write; an existing file is refused here already unless --force."""
    target = output if output is not None else Path.cwd()
    if target.exists() and not target.is_dir() and not force:
        fail(f"{target} exists: give --force to replace it, or another -o.", USAGE)
    if not target.is_dir() and not target.parent.is_dir():
        fail(f"no such directory: {target.parent}", USAGE)
    return target


@contextmanager
def refusing_to_overwrite() -> Iterator[None]:
    """The SDK's FileExistsError (the file appeared during the download) as a usage error."""
    try:
        yield
    except FileExistsError as exc:
        fail(f"{exc.filename} exists: give --force to replace it, or another -o.", USAGE)


def download_file(
    file_id: FileIdArgument,
    output: OutputOption = None,
    force: ForceOption = False,
    *,
    connection: Connection,
) -> None:
    """Save the bytes uploaded for a Files API file (its stored name unless -o says)."""
    target = output_path(output, force)
    watcher = DownloadWatcher()
    with (
        refusing_to_overwrite(),
        connection.client(scope=READ_SCOPE, explain=explain_file(file_id)) as client,
        watcher.receiving() as progress,
    ):
        saved = client.download_file(file_id, target, overwrite=force, progress=progress)
    watcher.saved(saved)
    typer.echo(saved)


def explain_object(app_id: str, name: str, version: int | None) -> Explain:
    def explain(exc: LandingzoneClientError) -> str | None:
        if isinstance(exc, NotFound) and exc.message.startswith("No file"):
            which = f" version {version}" if version is not None else ""
            return (
                f"app '{app_id}' has no pushed file {name!r}{which}: check the name, "
                f"--version and --type (GET /services/push/v1/customer/apps/{app_id}/files "
                "lists what was pushed)."
            )
        return None

    return explain


def download(
    name: Annotated[str, typer.Argument(help="The pushed file's name.")],
    app_id: Annotated[str, typer.Option("--app", help="The app the file was pushed to.")],
    version: Annotated[
        int | None,
        typer.Option("--version", min=1, help="An older version (default: the newest upload)."),
    ] = None,
    file_type: Annotated[
        str | None, typer.Option("--type", help="Only uploads pushed with this --type.")
    ] = None,
    output: OutputOption = None,
    force: ForceOption = False,
    *,
    connection: Connection,
) -> None:
    """Save the stored bytes of a file pushed to an app (the newest upload, or --version)."""
    target = output_path(output, force)
    watcher = DownloadWatcher()
    with (
        refusing_to_overwrite(),
        connection.client(
            scope=OBJECT_SCOPE, explain=explain_object(app_id, name, version)
        ) as client,
        watcher.receiving() as progress,
    ):
        saved = client.download_object(
            app_id, name, target, version, type=file_type, overwrite=force, progress=progress
        )
    watcher.saved(saved)
    typer.echo(saved)


download_file_command = connection_flags()(download_file)
download_command = connection_flags()(download)
