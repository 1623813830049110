"""A real `landingzone serve` process on a free port, for end-to-end tests."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from tests.conftest import CHEAP_PASSWORD_HASHES

LANDINGZONE = str(Path(sys.executable).with_name("landingzone"))


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@dataclass
class ServerProcess:
    data_dir: Path
    port: int = field(default_factory=free_port)
    env_overrides: dict[str, str] = field(default_factory=dict)
    process: subprocess.Popen[bytes] | None = None
    demo: dict[str, Any] | None = None
    log_path: Path | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> ServerProcess:
        env = {
            **os.environ,
            "LZ_DATA_DIR": str(self.data_dir),
            "LZ_PORT": str(self.port),
            "LZ_HOST": "127.0.0.1",
            # The cheapest Argon2id the settings accept, as in the in-process tests.
            **{f"LZ_{name.upper()}": str(value) for name, value in CHEAP_PASSWORD_HASHES.items()},
            **self.env_overrides,
        }
        self.log_path = self.data_dir.parent / f"server-{self.port}.log"
        stdout_path = self.data_dir.parent / f"server-{self.port}.out"
        with self.log_path.open("ab") as log, stdout_path.open("wb") as out:
            # Own session: kill -9 of the group takes the HTTP workers down too.
            self.process = subprocess.Popen(
                [LANDINGZONE, "serve", "--json"],
                env=env,
                stdout=out,
                stderr=log,
                start_new_session=True,
            )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            assert self.process.poll() is None, self.logs()
            try:
                if httpx.get(f"{self.url}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.1)
        else:
            raise AssertionError(f"server did not start:\n{self.logs()}")
        printed = json.loads(stdout_path.read_text())
        assert printed["url"] == self.url
        self.demo = printed if "client_id" in printed else None
        return self

    def logs(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path else ""

    def kill9(self) -> None:
        assert self.process is not None
        os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=10)

    def stop(self) -> int:
        if self.process is None or self.process.poll() is not None:
            return self.process.returncode if self.process else 0
        os.killpg(self.process.pid, signal.SIGTERM)
        try:
            return self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            return self.process.wait(timeout=10)

    def token(self, client_id: str, client_secret: str) -> str:
        response = httpx.post(
            f"{self.url}/oauth2/token",
            data={"grant_type": "client_credentials"},
            auth=(client_id, client_secret),
        )
        assert response.status_code == 200, response.text
        token: str = response.json()["access_token"]
        return token

    def demo_token(self) -> str:
        assert self.demo is not None
        return self.token(self.demo["client_id"], self.demo["client_secret"])

    def upload_urls(self, token: str, *names: str, app_id: str = "myAppId") -> dict[str, str]:
        response = httpx.get(
            f"{self.url}/services/push/v1/customer/apps/{app_id}/upload",
            params=[("filenames", n) for n in names],
            headers={"Authorization": f"Bearer {token}"},
        )
        assert response.status_code == 200, response.text
        urls: dict[str, str] = response.json()
        return urls
