"""The supervisor `landingzone serve` execs into once the database is ready.

It imports only granian and the logging set-up, not the application: it
spawns and watches the HTTP worker processes (which build the app from the same
``LZ_*`` environment, ``landingzone.bootstrap:app_from_env``) and, unless
``--validation-workers 0``, one ``landingzone worker`` process for the
validation pipeline. Validation runs apart from HTTP so that its memory (pyarrow,
DuckDB, blocks in flight) never weighs on the processes that take uploads.
Every child dies with the supervisor, even on ``kill -9`` (``lifeline``).
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
from typing import TYPE_CHECKING

from landingzone.cli.server.lifeline import die_with_supervisor, mark_supervisor
from landingzone.logs import configure_logging, logging_config

if TYPE_CHECKING:
    from landingzone.api.asgi import LandingzoneApp

APP_FACTORY = "landingzone.cli.server.httpserver:worker_app"


def worker_app() -> LandingzoneApp:
    """The app factory each HTTP worker process calls: bound to the supervisor's life."""
    # SIGKILL, not SIGTERM: a worker finishing requests would hold the port that a
    # restarted server needs; an upload it drops was never acknowledged.
    die_with_supervisor(signal.SIGKILL)
    from landingzone.bootstrap import app_from_env  # the application, in the worker only

    return app_from_env()


def command(
    host: str, port: int, workers: int, log_level: str, validation_workers: int
) -> list[str]:
    return [
        sys.executable, "-m", __name__,
        "--host", host, "--port", str(port), "--workers", str(workers), "--log-level", log_level,
        "--validation-workers", str(validation_workers),
    ]  # fmt: skip


def exec_server(
    host: str, port: int, workers: int, log_level: str, validation_workers: int
) -> None:
    """Replace this process (same pid, so signals and process groups still apply)."""
    sys.stdout.flush()
    sys.stderr.flush()
    args = command(host, port, workers, log_level, validation_workers)
    os.execv(args[0], args)  # noqa: S606 - our own interpreter and module


def main() -> None:
    parser = argparse.ArgumentParser(prog="landingzone-httpserver")
    parser.add_argument("--host", required=True)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--log-level", default="info")
    parser.add_argument("--validation-workers", type=int, default=0)
    args = parser.parse_args()

    configure_logging(args.log_level)
    mark_supervisor()
    validation = None
    if args.validation_workers > 0:
        validation = subprocess.Popen(
            [sys.executable, "-m", "landingzone", "worker",
             "--threads", str(args.validation_workers)],
            stdout=subprocess.DEVNULL,
        )  # fmt: skip
    try:
        serve_http(args)
    finally:
        if validation is not None:
            # Stop claiming and finish the file in flight, as `landingzone worker` does.
            validation.send_signal(signal.SIGTERM)
            try:
                validation.wait(timeout=60)
            except subprocess.TimeoutExpired:
                validation.kill()


def serve_http(args: argparse.Namespace) -> None:
    from granian.constants import Interfaces
    from granian.server import Server

    Server(
        APP_FACTORY,
        address=args.host,
        port=args.port,
        interface=Interfaces.ASGI,
        workers=args.workers,
        factory=True,
        log_dictconfig=logging_config(args.log_level),
        log_access=False,
        backlog=2048,
        # A worker that dies (OOM killer, a crash) is replaced; granian gives up, and
        # serve exits 1, when one dies again within seconds of its restart.
        respawn_failed_workers=True,
    ).serve()


if __name__ == "__main__":
    main()
