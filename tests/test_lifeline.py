"""Processes `serve` starts stop when it dies (cli/server/lifeline.py), however it dies."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from landingzone.cli.server.lifeline import SUPERVISOR_ENV

CHILD = """
import signal, sys
from landingzone.cli.server import lifeline
if sys.argv[1] == "watch":  # force the portable fallback instead of prctl
    lifeline._linux_parent_death_signal = lambda signum: False
    lifeline.WATCH_INTERVAL = 0.05
lifeline.die_with_supervisor(signal.SIGTERM)
print("running", flush=True)
signal.pause() if sys.argv[2] == "wait" else None
"""

# Starts CHILD as its supervisor would, prints the child's pid, and exits at once.
SUPERVISOR = """
import os, subprocess, sys
from landingzone.cli.server.lifeline import mark_supervisor
mark_supervisor()
child = subprocess.Popen([sys.executable, "-c", sys.argv[1], sys.argv[2], "wait"],
                         stdout=subprocess.DEVNULL)
print(child.pid, flush=True)
"""


def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def test_a_process_started_by_hand_is_left_alone() -> None:
    env = {k: v for k, v in os.environ.items() if k != SUPERVISOR_ENV}
    result = subprocess.run(
        [sys.executable, "-c", CHILD, "prctl", "exit"],
        env=env, capture_output=True, text=True, timeout=30, check=False,
    )  # fmt: skip
    assert result.returncode == 0 and result.stdout == "running\n"


@pytest.mark.skipif(os.getpid() == 1, reason="needs a pid that is not the child's parent")
def test_a_child_whose_supervisor_is_already_gone_stops_at_once() -> None:
    env = {**os.environ, SUPERVISOR_ENV: "1"}  # not its parent: the supervisor died first
    result = subprocess.run(
        [sys.executable, "-c", CHILD, "prctl", "exit"],
        env=env, capture_output=True, text=True, timeout=30, check=False,
    )  # fmt: skip
    assert result.returncode == -signal.SIGTERM
    assert result.stdout == ""


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="reads /proc (Linux)")
@pytest.mark.parametrize("mode", ["prctl", "watch"])
def test_a_child_stops_when_its_supervisor_dies(mode: str) -> None:
    result = subprocess.run(
        [sys.executable, "-c", SUPERVISOR, CHILD, mode],
        capture_output=True, text=True, timeout=30, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    child = int(result.stdout)
    deadline = time.monotonic() + 20
    while alive(child) and time.monotonic() < deadline:
        time.sleep(0.05)
    still_alive = alive(child)
    if still_alive:
        os.kill(child, signal.SIGKILL)
    assert not still_alive
