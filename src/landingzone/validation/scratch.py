"""Validation's scratch directories: named so a later start can tell whose they are.

A validation writes hashes, typed values and DuckDB spill files into a
scratch directory, removed when it ends. A worker killed mid-file cannot
remove it (a 405 MB file left 98 MB), so every scratch directory is named
``lz-scratch-<pid>-<random>``: at its next start a worker removes those whose
process is gone (``pipeline/scratch.py``).
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from landingzone.validation.chunker import Readable

SCRATCH_PREFIX = "lz-scratch-"
READ_SIZE = 1024 * 1024


def scratch_dir(parent: Path | None) -> tempfile.TemporaryDirectory[str]:
    """A new scratch directory under ``parent`` (default: the system temp directory)."""
    return tempfile.TemporaryDirectory(prefix=f"{SCRATCH_PREFIX}{os.getpid()}-", dir=parent)


class HashingReader:
    """A binary stream that computes the SHA-256 of every byte read through it."""

    def __init__(self, stream: Readable) -> None:
        self._stream = stream
        self._hash = hashlib.sha256()

    def read(self, size: int = -1, /) -> bytes:
        data = self._stream.read(size)
        self._hash.update(data)
        return data

    def hexdigest_of_all(self) -> str:
        """The SHA-256 of the whole stream: what is left is read (and hashed) first."""
        while self.read(READ_SIZE):
            pass
        return self._hash.hexdigest()
