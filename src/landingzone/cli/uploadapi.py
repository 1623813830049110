"""`landingzone uploaddata` and `landingzone results`: the Upload API for uploaders."""

from __future__ import annotations

import json as jsonlib
from pathlib import Path
from typing import Annotated

import typer

from landingzone.cli.connect import (
    FAILED,
    OK,
    USAGE,
    ApiKeyOption,
    ClientIdOption,
    ProfileOption,
    SecretOption,
    UrlOption,
    connected,
    fail,
)
from landingzone.cli.options import JsonFlag
from landingzone.cli.output import emit_json
from landingzone.client import Submission

DATA_KEYS = ("status", "feedback", "tableofresultids")


def _readable(path: Path | None) -> None:
    if path is not None and not path.is_file():
        raise fail(f"no such file: {path}", USAGE)


def show(submission: Submission, as_json: bool) -> None:
    if as_json:
        emit_json(
            {"token": submission.token, "status": submission.status,
             "feedback": submission.feedback}
        )  # fmt: skip
        return
    typer.echo(f"{submission.token}  {submission.status}")
    for entry in submission.feedback:
        where = f"{entry.get('dataset')} row {entry.get('row')}"
        if entry.get("column"):
            where += f" ({entry['column']})"
        typer.echo(f"{where}: {entry.get('code')}: {entry.get('message')}")


def uploaddata(
    name: Annotated[str, typer.Option("--name", help="The submission's Name.")],
    data: Annotated[Path, typer.Option("--data", help="The Data CSV file.")],
    events: Annotated[Path | None, typer.Option("--events", help="The EventData CSV file.")] = None,
    overwrite: Annotated[
        bool, typer.Option("--overwrite", help="Replace the Name's results once this succeeds.")
    ] = False,
    timezone: Annotated[
        str | None, typer.Option("--timezone", help="IANA zone for TimeReference 2.")
    ] = None,
    wait: Annotated[
        bool, typer.Option("--wait/--no-wait", help="Wait until it is done (default).")
    ] = True,
    url: UrlOption = None,
    client_id: ClientIdOption = None,
    client_secret: SecretOption = None,
    api_key: ApiKeyOption = None,
    profile: ProfileOption = "default",
    json: JsonFlag = False,
) -> None:
    """Submit Data (and EventData) to the Upload API; prints the token and the verdict.

    Exit code 0 completedsuccessfully (or submitted, with --no-wait), 1 failed.
    """
    _readable(data)
    _readable(events)
    with connected(url, client_id, client_secret, profile, api_key) as client:
        submission = client.upload_data(
            name, data, events, overwrite=overwrite, time_zone=timezone, wait=wait
        )
    show(submission, json)
    raise typer.Exit(FAILED if submission.status == "failed" else OK)


def results(
    token: Annotated[str, typer.Argument(help="The processing token UploadData answered.")],
    key: Annotated[str, typer.Option("--key", help="status, feedback or tableofresultids.")],
    url: UrlOption = None,
    client_id: ClientIdOption = None,
    client_secret: SecretOption = None,
    api_key: ApiKeyOption = None,
    profile: ProfileOption = "default",
) -> None:
    """A submission's status, feedback or tableofresultids, as JSON."""
    if key.lower() not in DATA_KEYS:
        raise fail(f"--key must be one of {', '.join(DATA_KEYS)}, not {key}", USAGE)
    with connected(url, client_id, client_secret, profile, api_key) as client:
        answer = client.results(token, key.lower())
    typer.echo(jsonlib.dumps(answer, indent=2))
