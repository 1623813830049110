"""`landingzone uploaddata` and `landingzone results`: the Upload API for uploaders."""

from __future__ import annotations

import json as jsonlib
from pathlib import Path
from typing import Annotated

import typer

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
    AuthenticationError,
    LandingzoneClientError,
    NotFound,
    Submission,
)

DATA_KEYS = ("status", "feedback", "tableofresultids")
SCOPE = "platform_upload_api"
WRONG_API_KEY = (
    "the API key is not this client's: give the api_key printed with this client id "
    "(--api-key, LZ_API_KEY or api_key in the profile file)."
)


def read_csv(path: Path, flag: str) -> str:
    """The CSV text of ``--data``/``--events``; the Upload API carries it in JSON, so UTF-8."""
    if not path.is_file():
        fail(f"no such file for {flag}: {path}", USAGE)
    try:
        return path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        fail(
            f"{flag} {path} is not UTF-8 text (byte 0x{exc.object[exc.start]:02x} at offset "
            f"{exc.start}): save it as UTF-8 (in Excel: CSV UTF-8) and send it again.",
            USAGE,
        )
    except OSError as exc:
        fail(f"cannot read {flag} {path}: {exc.strerror}", USAGE)


def wrong_key(exc: LandingzoneClientError) -> bool:
    """A 401 that is not about the token or client secret: the Upload API's Key."""
    return isinstance(exc, AuthenticationError) and exc.code not in (
        "invalid_client",
        "invalid_token",
    )


def explain_uploaddata(name: str, timezone: str | None) -> Explain:
    def explain(exc: LandingzoneClientError) -> str | None:
        if wrong_key(exc):
            return WRONG_API_KEY
        if exc.status == 409:
            return (
                f"a submission named '{name}' already exists: add --overwrite to replace its "
                "results once this one succeeds, or choose another --name."
            )
        if exc.status == 422 and exc.message.startswith("TimeZone"):
            return (
                f"--timezone '{timezone}' is not an IANA time zone name: give a name such as "
                "Europe/Paris or America/New_York, or leave --timezone out to use your "
                "account's zone."
            )
        if exc.status == 422 and exc.message.startswith("Name "):
            return "--name " + exc.message.removeprefix("Name ")
        if exc.status == 413:
            return (
                "--data and --events together are larger than the server accepts "
                f"({exc.message.partition(':')[0].removeprefix('The body is ')}): split the "
                "data into several submissions, or send it with 'landingzone files upload'."
            )
        return None

    return explain


def explain_results(token: str) -> Explain:
    def explain(exc: LandingzoneClientError) -> str | None:
        if wrong_key(exc):
            return WRONG_API_KEY
        if isinstance(exc, NotFound) and "replaced" in exc.message:
            newer = exc.message.partition("(token ")[2].partition(")")[0]
            return (
                f"this submission's results were replaced by a later one sent with "
                f"--overwrite: read them with 'landingzone results {newer or 'TOKEN'} "
                "--key ...'."
            )
        if isinstance(exc, NotFound):
            return f"unknown token {token}: give the token 'landingzone uploaddata' printed."
        if exc.status == 409 and "failed" in exc.message:
            return (
                "the submission failed, so it has no results: read why with 'landingzone "
                f"results {token} --key feedback', fix the data, and send it again with "
                "'landingzone uploaddata --name NAME --overwrite ...'."
            )
        if exc.status == 409:
            return (
                f"the submission is not finished yet: ask 'landingzone results {token} --key "
                "status' until it is completedsuccessfully or failed, then ask again."
            )
        return None

    return explain


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


@connection_flags(api_key=True)
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
    *,
    connection: Connection,
    json: JsonFlag = False,
) -> None:
    """Submit Data (and EventData) to the Upload API; prints the token and the verdict.

    Exit code 0 completedsuccessfully (or submitted, with --no-wait), 1 failed.
    """
    data_text = read_csv(data, "--data")
    events_text = read_csv(events, "--events") if events is not None else None
    explain = explain_uploaddata(name, timezone)
    with connection.client(scope=SCOPE, needs_api_key=True, explain=explain) as client:
        submission = client.upload_data(
            name, data_text, events_text, overwrite=overwrite, time_zone=timezone, wait=wait
        )
    show(submission, json)
    raise typer.Exit(FAILED if submission.status == "failed" else OK)


@connection_flags(api_key=True)
def results(
    token: Annotated[str, typer.Argument(help="The processing token UploadData answered.")],
    key: Annotated[str, typer.Option("--key", help="status, feedback or tableofresultids.")],
    *,
    connection: Connection,
) -> None:
    """A submission's status, feedback or tableofresultids, as JSON."""
    if key.lower() not in DATA_KEYS:
        fail(f"--key must be one of {', '.join(DATA_KEYS)}, not {key}", USAGE)
    explain = explain_results(token)
    with connection.client(scope=SCOPE, needs_api_key=True, explain=explain) as client:
        answer = client.results(token, key.lower())
    typer.echo(jsonlib.dumps(answer, indent=2))
