"""SHA-256, MD5 and size of an object's bytes: the one helper every body is hashed with.

The object PUT (``domain/ingest.py``) feeds the two hashes from two threads,
because MD5 alone is slower than the disk; the S3 lander streams a landed copy
through both (``hash_stream``). Either way the answer is a ``Digests``.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable

from landingzone.storage.base import Digests

READ_BLOCK = 1024 * 1024


class ContentHashes:
    """The SHA-256 and the MD5 (the S3 ETag) of one body, fed block by block.

    ``sha256`` and ``md5`` are the hashlib objects themselves, so a caller may
    update each from its own thread; ``update`` feeds both.
    """

    def __init__(self) -> None:
        self.sha256 = hashlib.sha256()
        self.md5 = hashlib.md5(usedforsecurity=False)

    def update(self, block: bytes | memoryview) -> None:
        self.sha256.update(block)
        self.md5.update(block)

    def digests(self, size: int) -> Digests:
        """The result, for a body of ``size`` bytes (counted by the caller as it reads)."""
        return Digests(size, self.sha256.hexdigest(), self.md5.hexdigest())


def hash_stream(read: Callable[[int], bytes], block_size: int = READ_BLOCK) -> Digests:
    """Digests of everything ``read`` returns until it returns nothing (bounded memory)."""
    hashes = ContentHashes()
    size = 0
    while block := read(block_size):
        hashes.update(block)
        size += len(block)
    return hashes.digests(size)
