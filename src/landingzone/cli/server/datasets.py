"""`landingzone admin dataset ...`: dataset types (schemas) for validated uploads."""

from __future__ import annotations

import json as jsonlib
from pathlib import Path
from typing import Annotated

import typer

from landingzone.api.documents import version_json
from landingzone.cli.output import JsonFlag, emit_json, fail, table
from landingzone.cli.server.operator import operator
from landingzone.timeutil import iso_z

dataset_app = typer.Typer(no_args_is_help=True, help="Dataset types: schemas for validated files.")


@dataset_app.command("add")
def dataset_add(
    file: Annotated[Path, typer.Argument(help="The dataset type JSON (Table Schema + policy).")],
    json: JsonFlag = False,
) -> None:
    """Add a dataset type, or a new version of an existing one (refused when unchanged)."""
    try:
        document = file.read_bytes()
    except OSError as exc:
        fail(f"cannot read {file}: {exc.strerror}")
    with operator() as op:
        added = op.add_dataset(document)
    if json:
        emit_json(version_json(added))
    else:
        typer.echo(f"Added dataset type {added.dataset.name} version {added.version}.")


@dataset_app.command("list")
def dataset_list(json: JsonFlag = False) -> None:
    """List dataset types (newest version of each)."""
    with operator() as op:
        found = op.list_datasets()
    if json:
        emit_json([version_json(v) for v in found])
    else:
        rows = [
            (
                v.dataset.name,
                v.version,
                len(v.dataset.table_schema.fields),
                v.dataset.header_policy.value,
                v.dataset.max_bad_records,
                v.dataset.title,
            )
            for v in found
        ]
        table("Dataset types", ["name", "version", "fields", "header", "maxBad", "title"], rows)


@dataset_app.command("show")
def dataset_show(name: str, json: JsonFlag = False) -> None:
    """Show the newest version of a dataset type in full, and its earlier versions."""
    with operator() as op:
        history = op.datasets.history(name)
    found = history.latest
    if json:
        # As GET /admin/v1/datasets/{name} answers it.
        versions = [version_json(v, definition=True) for v in history.versions]
        emit_json({**version_json(found, definition=True), "versions": versions})
        return
    typer.echo(f"{found.dataset.name} version {found.version}: {found.dataset.title or ''}")
    if len(history.versions) > 1:
        earlier = ", ".join(f"{v.version} ({iso_z(v.created_at)})" for v in history.versions[1:])
        typer.echo(f"earlier versions: {earlier}")
    typer.echo(
        f"header policy {found.dataset.header_policy.value}, "
        f"max bad records {found.dataset.max_bad_records}"
    )
    rows = []
    for spec in found.dataset.table_schema.fields:
        constraints = spec.constraints.model_dump(by_alias=True, exclude_defaults=True)
        fmt = "" if spec.format == "default" else spec.format
        rows.append((spec.name, spec.type, fmt, jsonlib.dumps(constraints) if constraints else ""))
    table("Fields", ["name", "type", "format", "constraints"], rows)
