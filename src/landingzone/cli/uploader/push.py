"""`landingzone push`: the uploader's command for the Push API, on top of the SDK.

Exit codes: see ``connection.py``; 1 here means some file failed or was cancelled.
"""

from __future__ import annotations

import glob
import re
import sys
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import (
    BarColumn,
    DownloadColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeRemainingColumn,
    TransferSpeedColumn,
)

from landingzone.cli.output import JsonFlag, emit_json, fail
from landingzone.cli.uploader.connection import (
    FAILED,
    OK,
    USAGE,
    Connection,
    Explain,
    connection_flags,
)
from landingzone.client import (
    Client,
    LandingzoneClientError,
    NotFound,
    PushResult,
)

GLOB_CHARS = frozenset("*?[")


def expand(arguments: list[str]) -> list[Path]:
    """Files, directories (recursively, in name order) and glob patterns, each once."""
    found: list[Path] = []
    for argument in arguments:
        path = Path(argument)
        if path.is_file():
            found.append(path)
        elif path.is_dir():
            found.extend(sorted(p for p in path.rglob("*") if p.is_file()))
        elif GLOB_CHARS & set(argument):
            matches = sorted(Path(m) for m in glob.glob(argument, recursive=True))
            files = [m for m in matches if m.is_file()]
            if not files:
                fail(f"no file matches {argument}", USAGE)
            found.extend(files)
        else:
            fail(f"no such file or directory: {argument}", USAGE)
    unique = list(dict.fromkeys(p.resolve() for p in found))
    names: dict[str, Path] = {}
    for path in unique:
        if path.name in names:
            fail(
                f"two files are both named {path.name} ({names[path.name]} and {path}): "
                "an app keeps one object per name; push them separately",
                USAGE,
            )
        names[path.name] = path
    return unique


@contextmanager
def progress_reporter(
    paths: list[Path], quiet: bool
) -> Iterator[Callable[[str, int, int], None] | None]:
    """Rich bars on a terminal; nothing otherwise (the summary lines follow)."""
    console = Console(stderr=True)
    if quiet or not console.is_terminal:
        yield None
        return
    sizes = {p.name: p.stat().st_size for p in paths}
    columns = (
        TextColumn("{task.description}"), BarColumn(), DownloadColumn(),
        TransferSpeedColumn(), TimeRemainingColumn(),
    )  # fmt: skip
    with Progress(*columns, console=console, transient=False) as bars:
        total = bars.add_task("total", total=sum(sizes.values()))
        tasks: dict[str, TaskID] = {}
        sent_so_far: dict[str, int] = {}
        lock = threading.Lock()

        def update(name: str, sent: int, size: int) -> None:
            with lock:
                if name not in tasks:
                    tasks[name] = bars.add_task(name, total=size)
                delta = sent - sent_so_far.get(name, 0)
                sent_so_far[name] = sent
                bars.update(tasks[name], completed=sent)
                bars.advance(total, delta)
                if sent >= size:
                    bars.remove_task(tasks[name])

        yield update


def run_push(client: Client, app: str, paths: list[Path], type_: str | None,
             concurrency: int, quiet: bool) -> tuple[list[PushResult], bool]:  # fmt: skip
    """Push in a helper thread, so Ctrl-C reaches this one: (results, interrupted)."""
    cancel, finished = threading.Event(), threading.Event()
    outcome: dict[str, object] = {}

    def work() -> None:
        try:
            outcome["results"] = client.push(
                app, paths, type_, concurrency=concurrency, progress=progress, cancel=cancel
            )
        except BaseException as exc:  # re-raised in the main thread
            outcome["error"] = exc
        finally:
            finished.set()

    interrupted = False
    with progress_reporter(paths, quiet) as progress:
        threading.Thread(target=work, name="lz-push-main", daemon=True).start()
        # An Event, not Thread.join: before Python 3.13 a KeyboardInterrupt inside
        # join() can leave the thread reported as finished while it still runs.
        while not finished.is_set():
            try:
                finished.wait(0.2)
            except KeyboardInterrupt:
                interrupted = True
                cancel.set()
                typer.echo("interrupted: stopping the uploads in flight...", err=True)
    error = outcome.get("error")
    if isinstance(error, BaseException):
        raise error
    results = outcome["results"]
    assert isinstance(results, list)
    return results, interrupted


def explain_push(app: str, type_: str | None) -> Explain:
    def explain(exc: LandingzoneClientError) -> str | None:
        if isinstance(exc, NotFound):
            return (
                f"--app '{app}' is not an app of this client's customer: check the app id, or "
                "ask your operator to create it (landingzone admin app create)."
            )
        if exc.status == 400 and exc.message.lower().startswith("unknown type"):
            return f"unknown --type '{type_}'" + exc.message[exc.message.find(":") :]
        return None

    return explain


@connection_flags()
def push(
    paths: Annotated[list[str], typer.Argument(help="Files, directories or glob patterns.")],
    app: Annotated[str, typer.Option("--app", help="The app (appId) to push to.")],
    type_: Annotated[
        str | None, typer.Option("--type", help="File type; a dataset type name validates it.")
    ] = None,
    concurrency: Annotated[int, typer.Option(min=1, max=64, help="Uploads at once.")] = 4,
    *,
    connection: Connection,
    json: JsonFlag = False,
) -> None:
    """Upload files to an app with the Push API: batches, parallel streams, retries."""
    files = expand(paths)
    with connection.client(scope="connector.write", explain=explain_push(app, type_)) as client:
        results, interrupted = run_push(client, app, files, type_, concurrency, json)
    report(results, json, interrupted)
    done = all(r.outcome == "uploaded" for r in results)
    raise typer.Exit(OK if done and not interrupted else FAILED)


# The store's answers that mean the file itself changed while it was read and sent.
CHANGED_WHILE_SENT = re.compile(r"^400 (BadDigest|IncompleteBody): ")


def file_problem(error: str) -> str:
    """A failed file's reason in the uploader's terms (the JSON output keeps the store's)."""
    if CHANGED_WHILE_SENT.match(error):
        return (
            "the file changed while it was being sent (its bytes no longer match what was "
            f"read first): push it again once it is complete ({error})"
        )
    return error


def report(results: list[PushResult], as_json: bool, interrupted: bool) -> None:
    counts = {k: sum(r.outcome == k for r in results) for k in ("uploaded", "failed", "cancelled")}
    if as_json:
        emit_json(
            {
                **counts,
                "interrupted": interrupted,
                "files": [
                    {"name": r.name, "path": str(r.path), "size": r.size, "sha256": r.sha256,
                     "etag": r.etag, "outcome": r.outcome, "error": r.error}
                    for r in results
                ],
            }
        )  # fmt: skip
        return
    for r in results:
        detail = f"{r.size} bytes, sha256 {r.sha256}" if r.outcome == "uploaded" else r.error or ""
        if r.outcome == "failed" and r.error:
            detail = file_problem(r.error)
        typer.echo(f"{r.outcome:9} {r.name}  {detail}".rstrip())
    summary = ", ".join(f"{n} {k}" for k, n in counts.items() if n)
    typer.echo(f"{summary or 'nothing to push'}", err=False, file=sys.stdout)
