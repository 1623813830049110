"""Arrow's allocator for validation: jemalloc, which gives freed memory back.

pyarrow's Linux wheels allocate with mimalloc by default. Validation allocates
on one thread and frees on another (DuckDB's result batches, the Parquet part
rewrite's row groups), and mimalloc kept those pages: 1 GiB of transactions
with planted repeats peaked at 343 MB with it and at 264 MB with jemalloc, at
the same speed. The choice is process-wide, so it is made once, before the
first validation; ``ARROW_DEFAULT_MEMORY_POOL`` set by the operator wins.
"""

from __future__ import annotations

import functools
import logging
import os

import pyarrow as pa

log = logging.getLogger(__name__)


@functools.cache
def use_jemalloc() -> str:
    """Make jemalloc Arrow's default pool where it is built in; the pool's name."""
    if os.environ.get("ARROW_DEFAULT_MEMORY_POOL"):
        return _pool_name()
    try:
        pa.set_memory_pool(pa.jemalloc_memory_pool())
    except NotImplementedError:  # a build without jemalloc (macOS wheels)
        log.info("Arrow has no jemalloc here; keeping %s", _pool_name())
    return _pool_name()


def _pool_name() -> str:
    return str(pa.default_memory_pool().backend_name)
