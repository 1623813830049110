"""A real `landingzone serve --json` process for a benchmark, in its own process group."""

from __future__ import annotations

import base64
import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path
from types import TracebackType
from typing import Any

from bench import procinfo

STARTUP_TIMEOUT = 60.0


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def landingzone_executable() -> str:
    """The `landingzone` script of the interpreter running the benchmark (the venv's)."""
    candidate = Path(sys.executable).parent / "landingzone"
    if not candidate.exists():
        raise SystemExit(f"{candidate} not found: install the package (make dev) first")
    return str(candidate)


class ServerProcess:
    """Starts the server on a free port with ``data_dir``; stops its whole process group."""

    def __init__(self, data_dir: Path, extra_env: dict[str, str] | None = None) -> None:
        self.data_dir = data_dir
        self.port = free_port()
        self.env = {
            **os.environ,
            "LZ_DATA_DIR": str(data_dir),
            "LZ_RATE_LIMIT": "1000000",
            "LZ_RATE_LIMIT_BURST": "1000000",
            "LZ_LOG_LEVEL": "warning",
            **(extra_env or {}),
        }
        self.proc: subprocess.Popen[bytes] | None = None
        self.demo: dict[str, Any] = {}
        self.url = ""
        self._stdout = data_dir / "serve.stdout"
        self._stderr = data_dir / "serve.stderr"

    @property
    def pgid(self) -> int:
        assert self.proc is not None
        return self.proc.pid  # start_new_session: the leader's pid is the group id

    def __enter__(self) -> ServerProcess:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    def start(self) -> None:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        with self._stdout.open("wb") as out, self._stderr.open("wb") as err:
            self.proc = subprocess.Popen(
                [landingzone_executable(), "serve", "--json", "--port", str(self.port)],
                env=self.env,
                stdout=out,
                stderr=err,
                stdin=subprocess.DEVNULL,
                start_new_session=True,
            )
        deadline = time.monotonic() + STARTUP_TIMEOUT
        self.demo = self._wait_for_banner(deadline)
        self.url = str(self.demo["url"])
        self._wait_healthy(deadline)

    def _check_alive(self) -> None:
        assert self.proc is not None
        if self.proc.poll() is not None:
            raise RuntimeError(
                f"server exited with {self.proc.returncode}:\n{self._stderr.read_text()[-3000:]}"
            )

    def _wait_for_banner(self, deadline: float) -> dict[str, Any]:
        while time.monotonic() < deadline:
            self._check_alive()
            text = self._stdout.read_text()
            try:
                document: dict[str, Any] = json.loads(text)
                return document
            except json.JSONDecodeError:
                time.sleep(0.05)
        raise TimeoutError("server printed no demo credentials (was the data dir empty?)")

    def _wait_healthy(self, deadline: float) -> None:
        while time.monotonic() < deadline:
            self._check_alive()
            try:
                with urllib.request.urlopen(f"{self.url}/healthz", timeout=1) as response:
                    if response.status == 200:
                        return
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                pass
            time.sleep(0.05)
        raise TimeoutError("server did not answer /healthz in time")

    def token(self) -> str:
        basic = base64.b64encode(
            f"{self.demo['client_id']}:{self.demo['client_secret']}".encode()
        ).decode()
        request = urllib.request.Request(
            f"{self.url}/oauth2/token",
            data=urllib.parse.urlencode({"grant_type": "client_credentials"}).encode(),
            headers={
                "Authorization": f"Basic {basic}",
                "Content-Type": "application/x-www-form-urlencoded",
            },
            method="POST",
        )
        with urllib.request.urlopen(request, timeout=10) as response:
            token: str = json.load(response)["access_token"]
            return token

    def memory(self) -> list[procinfo.ProcMemory]:
        return procinfo.group_memory(self.pgid)

    def cpu_seconds(self) -> float:
        return sum(procinfo.group_cpu_seconds(self.pgid).values())

    def stop(self) -> None:
        if self.proc is None:
            return
        for sig, wait in ((signal.SIGTERM, 10.0), (signal.SIGKILL, 5.0)):
            try:
                os.killpg(self.pgid, sig)
            except ProcessLookupError:
                break
            deadline = time.monotonic() + wait
            while time.monotonic() < deadline and procinfo.group_members(self.pgid):
                self.proc.poll()  # reap the leader so it stops showing up
                time.sleep(0.05)
            if not procinfo.group_members(self.pgid):
                break
        self.proc.wait(timeout=5)
        self.proc = None
