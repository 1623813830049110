"""The `landingzone` command: server commands (serve, worker, migrate, config, admin) and
the uploader's commands (push, files, uploaddata, results)."""

from __future__ import annotations

import typer

from landingzone.cli.server import commands
from landingzone.cli.server.admin import admin_app
from landingzone.cli.uploader.downloads import download_command, download_file_command
from landingzone.cli.uploader.files import files_app
from landingzone.cli.uploader.push import push
from landingzone.cli.uploader.uploadapi import results, uploaddata

app = typer.Typer(
    no_args_is_help=True,
    help="landingzone: a self-hosted landing zone for customer data files.",
    pretty_exceptions_enable=False,
)
app.add_typer(admin_app, name="admin")
app.command(name="push")(push)
files_app.command("download")(download_file_command)
app.add_typer(files_app, name="files")
app.command(name="download")(download_command)
app.command(name="uploaddata")(uploaddata)
app.command(name="results")(results)
app.command(name="serve")(commands.serve)
app.command(name="worker")(commands.worker)
app.command(name="migrate")(commands.migrate)
app.command(name="config")(commands.config)


def main() -> None:
    app()
