"""`landingzone serve` refuses what would hurt the operator: a port already taken."""

from __future__ import annotations

import os
import socket
import subprocess
from pathlib import Path

from tests.e2e.server import LANDINGZONE


def test_serve_refuses_a_taken_port_with_one_line_and_creates_nothing(tmp_path: Path) -> None:
    # Held as the HTTP server holds its own (SO_REUSEPORT): a second one could bind it too.
    with socket.socket() as holder:
        holder.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        port = holder.getsockname()[1]
        env = {**os.environ, "LZ_DATA_DIR": str(tmp_path / "data"), "LZ_HOST": "127.0.0.1"}
        result = subprocess.run(
            [LANDINGZONE, "serve", "--port", str(port)],
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
    assert result.returncode == 1
    assert result.stdout == ""  # no demo credentials for a server that never ran
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith(f"error: Port {port} on 127.0.0.1 is already in use")
    assert "--port" in lines[0] and "LZ_PORT" in lines[0]
    assert not (tmp_path / "data").exists()
