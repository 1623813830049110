"""The HTTP supervisor `landingzone serve` execs into once the database is ready.

It imports only granian and the logging set-up, not the application: the
supervisor just spawns and watches worker processes, so keeping FastAPI,
SQLAlchemy and the CLI out of it keeps the server's total memory down. The
workers build the app from the same ``LZ_*`` environment
(``landingzone.bootstrap:app_from_env``).
"""

from __future__ import annotations

import argparse
import os
import sys

from landingzone.logs import configure_logging, logging_config

APP_FACTORY = "landingzone.bootstrap:app_from_env"


def command(host: str, port: int, workers: int, log_level: str) -> list[str]:
    return [
        sys.executable, "-m", __name__,
        "--host", host, "--port", str(port), "--workers", str(workers), "--log-level", log_level,
    ]  # fmt: skip


def exec_server(host: str, port: int, workers: int, log_level: str) -> None:
    """Replace this process (same pid, so signals and process groups still apply)."""
    sys.stdout.flush()
    sys.stderr.flush()
    args = command(host, port, workers, log_level)
    os.execv(args[0], args)  # noqa: S606 - our own interpreter and module


def main() -> None:
    parser = argparse.ArgumentParser(prog="landingzone-httpserver")
    parser.add_argument("--host", required=True)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--log-level", default="info")
    args = parser.parse_args()

    from granian.constants import Interfaces
    from granian.server import Server

    configure_logging(args.log_level)
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
    ).serve()


if __name__ == "__main__":
    main()
