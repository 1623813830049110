"""The one hashing helper (storage/hashing.py): the PUT path and the S3 lander agree."""

from __future__ import annotations

import asyncio
import hashlib
import io
import os
from collections.abc import AsyncIterator

from landingzone.domain.ingest import ingest
from landingzone.storage.hashing import hash_stream

BODY = os.urandom(3 * 1024 * 1024 + 17)


class Discard:
    def write(self, block: bytes | memoryview) -> None:
        pass

    def commit(self) -> str:
        return ""

    def abort(self) -> None:
        pass


def test_hash_stream_gives_the_size_sha256_and_md5() -> None:
    digests = hash_stream(io.BytesIO(BODY).read, block_size=1000)
    assert digests.size == len(BODY)
    assert digests.sha256 == hashlib.sha256(BODY).hexdigest()
    assert digests.md5 == hashlib.md5(BODY).hexdigest()
    assert digests.md5_digest == hashlib.md5(BODY).digest()


def test_the_put_path_and_the_lander_compute_the_same_digests() -> None:
    async def chunks() -> AsyncIterator[bytes]:
        for start in range(0, len(BODY), 65536):
            yield BODY[start : start + 65536]

    received = asyncio.run(ingest(chunks(), Discard(), len(BODY)))
    assert received == hash_stream(io.BytesIO(BODY).read)
