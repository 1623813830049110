"""fsync helpers: a rename is durable only once the directory holding it is synced."""

from __future__ import annotations

import os
from pathlib import Path


def fsync_path(path: Path, directory: bool = False) -> None:
    flags = os.O_RDONLY | (os.O_DIRECTORY if directory else 0)
    fd = os.open(path, flags)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def fsync_dir(path: Path) -> None:
    fsync_path(path, directory=True)


def make_dirs_durable(directory: Path, root: Path) -> None:
    """Create ``directory`` (under ``root``) and make every link to it durable.

    A file renamed into a new directory survives a power cut only if the new
    directory's own entry in its parent is on disk too, and so on up to a
    directory that existed before. Every level below ``root`` is synced into its
    parent, not only the ones this call created: a directory made by a request
    that died before its sync is visible yet maybe not durable. Syncing a clean
    directory costs next to nothing.
    """
    directory.mkdir(parents=True, exist_ok=True)
    relative = directory.relative_to(root)
    level = root
    for part in relative.parts:
        fsync_dir(level)
        level = level / part
