"""Children of `landingzone serve` die with it, even when it is killed with SIGKILL.

A supervisor killed with ``kill -9`` cannot stop its children: without this the
HTTP workers kept serving on the port (and a restarted server shared it with
them) and the validation worker kept running. The supervisor names itself in
``LANDINGZONE_SUPERVISOR_PID``; each child it starts asks the kernel for a signal
when its parent dies (Linux ``PR_SET_PDEATHSIG``), or, elsewhere, watches its
parent from a thread. A process started by hand has no supervisor and is left
alone.
"""

from __future__ import annotations

import ctypes
import os
import signal
import sys
import threading
import time

SUPERVISOR_ENV = "LANDINGZONE_SUPERVISOR_PID"
PR_SET_PDEATHSIG = 1  # <linux/prctl.h>
WATCH_INTERVAL = 1.0


def mark_supervisor() -> None:
    """Called by the supervisor before it starts children: they inherit the variable."""
    os.environ[SUPERVISOR_ENV] = str(os.getpid())


def supervisor_pid() -> int | None:
    value = os.environ.get(SUPERVISOR_ENV, "")
    return int(value) if value.isascii() and value.isdigit() else None


def die_with_supervisor(signum: signal.Signals) -> None:
    """Get ``signum`` when the supervisor that started this process dies.

    ``signum`` is SIGKILL for an HTTP worker (its port must be free for a
    restart) and SIGTERM for a validation worker (it finishes the file in hand).
    """
    parent = supervisor_pid()
    if parent is None:
        return
    if not _linux_parent_death_signal(signum):
        threading.Thread(
            target=_watch_parent, args=(parent, signum), name="lz-lifeline", daemon=True
        ).start()
    # The supervisor may have died before the request above took effect.
    if os.getppid() != parent:
        os.kill(os.getpid(), signum)


def _linux_parent_death_signal(signum: signal.Signals) -> bool:
    if not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        return int(libc.prctl(PR_SET_PDEATHSIG, int(signum), 0, 0, 0)) == 0
    except (OSError, AttributeError):
        return False


def _watch_parent(parent: int, signum: signal.Signals) -> None:
    # Orphans are re-parented (to init or a subreaper): the parent id changes.
    while os.getppid() == parent:
        time.sleep(WATCH_INTERVAL)
    os.kill(os.getpid(), signum)
