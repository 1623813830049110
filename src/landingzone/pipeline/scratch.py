"""Removing the validation scratch directories of workers that were killed.

A validation's scratch directory (``validation/scratch.py``) is named after
its process, ``lz-scratch-<pid>-<random>``. A worker removes, when it starts,
those whose process no longer runs: a killed worker cannot remove its own, and
a living worker (another ``landingzone worker`` on the same host) keeps its.
"""

from __future__ import annotations

import contextlib
import logging
import os
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

from landingzone.validation.scratch import SCRATCH_PREFIX

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Removed:
    path: Path
    size: int


def _owner(path: Path) -> int | None:
    """The pid in ``lz-scratch-<pid>-<random>``, or None for another name."""
    pid, _, rest = path.name.removeprefix(SCRATCH_PREFIX).partition("-")
    return int(pid) if pid.isdigit() and rest else None


def _running(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's process
        return True
    return True


def _size(path: Path) -> int:
    total = 0
    for root, _, names in os.walk(path):
        for name in names:
            with contextlib.suppress(OSError):
                total += (Path(root) / name).lstat().st_size
    return total


def remove_stale_scratch(parent: Path | None = None) -> list[Removed]:
    """Remove scratch directories under ``parent`` (default: the system temp directory)
    whose process is gone; log what was removed."""
    base = parent if parent is not None else Path(tempfile.gettempdir())
    removed: list[Removed] = []
    try:
        candidates = sorted(base.glob(f"{SCRATCH_PREFIX}*"))
    except OSError as exc:
        log.warning("startup cleanup could not list %s: %s", base, exc)
        return removed
    for path in candidates:
        pid = _owner(path)
        if pid is None or not path.is_dir() or _running(pid):
            continue
        size = _size(path)
        shutil.rmtree(path, ignore_errors=True)
        if not path.exists():
            removed.append(Removed(path, size))
    if removed:
        total = sum(r.size for r in removed) / 1e6
        log.info(
            "startup cleanup removed %d validation scratch directories of stopped workers "
            "(%.1f MB): %s", len(removed), total, ", ".join(str(r.path) for r in removed),
        )  # fmt: skip
    return removed
