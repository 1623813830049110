"""A SHA-256 computed in a thread of its own, beside the work that reads the bytes.

Validation re-hashes the stored bytes as it reads them (a changed object must not
pass as the customer's data). Hashed where they are read, on the fast path's feed,
the hash cost 20% of the validation time: the feed is what DuckDB waits for.
``hashlib`` releases the GIL on large updates, so a second thread hashes while the
feed goes on; blocks are immutable ``bytes``, handed over without a copy.
"""

from __future__ import annotations

import hashlib
import queue
import threading

# Blocks waiting to be hashed at most (of the feed's 256 KiB: 16 MiB): the reader
# waits rather than letting memory grow if hashing ever falls behind.
MAX_WAITING = 64


class BackgroundSha256:
    def __init__(self) -> None:
        self._hash = hashlib.sha256()
        self._blocks: queue.Queue[bytes | None] = queue.Queue(MAX_WAITING)
        self._thread = threading.Thread(target=self._run, name="lz-sha256", daemon=True)
        self._thread.start()
        self._closed = False

    def _run(self) -> None:
        while (block := self._blocks.get()) is not None:
            self._hash.update(block)

    def update(self, block: bytes) -> None:
        self._blocks.put(block)

    def close(self) -> None:
        """No more blocks; waits for those given to be hashed."""
        if not self._closed:
            self._closed = True
            self._blocks.put(None)
            self._thread.join()

    def hexdigest(self) -> str:
        self.close()
        return self._hash.hexdigest()
