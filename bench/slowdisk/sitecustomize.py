"""Throttles landingzone's staged-object writes to ``LZ_BENCH_DISK_MBPS`` MB/s: a slow disk.

Only for ``bench.put_memory --slow-disk``: the server is started with this
directory on ``PYTHONPATH``, so Python imports it at start-up, and it wraps
``landingzone.storage.local._write_all`` with a sleep proportional to each
block. Nothing in the package imports it.
"""

from __future__ import annotations

import importlib.abc
import importlib.machinery
import os
import sys
import time
from collections.abc import Sequence
from importlib.machinery import ModuleSpec
from types import ModuleType
from typing import Any

rate = float(os.environ.get("LZ_BENCH_DISK_MBPS", "0"))


class _Loader(importlib.abc.Loader):
    def __init__(self, real: Any) -> None:
        self.real = real

    def create_module(self, spec: ModuleSpec) -> ModuleType | None:
        created: ModuleType | None = self.real.create_module(spec)
        return created

    def exec_module(self, module: ModuleType) -> None:
        self.real.exec_module(module)
        real_write = module.__dict__["_write_all"]

        def slow(fd: int, block: bytes) -> None:
            time.sleep(len(block) / (rate * 1e6))
            real_write(fd, block)

        module.__dict__["_write_all"] = slow


class _Finder(importlib.abc.MetaPathFinder):
    def find_spec(
        self, name: str, path: Sequence[str] | None, target: ModuleType | None = None
    ) -> ModuleSpec | None:
        if name != "landingzone.storage.local":
            return None
        spec = importlib.machinery.PathFinder.find_spec(name, path)
        if spec is not None:
            spec.loader = _Loader(spec.loader)
        return spec


if rate:
    sys.meta_path.insert(0, _Finder())
