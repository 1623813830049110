"""``ingest``: any chunking of a body gives the same bytes and hashes, in reused buffers."""

from __future__ import annotations

import hashlib
import random
from collections.abc import AsyncIterator

import anyio
import pytest

from landingzone.domain.ingest import BLOCK_SIZE, MAX_PENDING, BodyTooLarge, ingest


class Recorder:
    def __init__(self) -> None:
        self.data = bytearray()
        self.buffers: set[int] = set()

    def write(self, block: bytes | memoryview) -> None:
        if isinstance(block, memoryview):
            self.buffers.add(id(block.obj))
        self.data += block

    def commit(self) -> str:
        return "unused"

    def abort(self) -> None:
        pass


async def chunked(body: bytes, sizes: list[int]) -> AsyncIterator[bytes]:
    at = 0
    for size in sizes:
        yield body[at : at + size]
        at += size
    if at < len(body):
        yield body[at:]


@pytest.mark.parametrize("seed", range(4))
def test_any_chunking_gives_the_same_bytes_and_hashes(seed: int) -> None:
    rng = random.Random(seed)
    body = rng.randbytes(3 * BLOCK_SIZE + rng.randrange(BLOCK_SIZE))
    sizes = [rng.choice([1, 7, 4096, 417_792, BLOCK_SIZE, BLOCK_SIZE + 3]) for _ in range(200)]
    sink = Recorder()
    result = anyio.run(ingest, chunked(body, sizes), sink, len(body))
    assert bytes(sink.data) == body
    assert result.size == len(body)
    assert result.sha256 == hashlib.sha256(body).hexdigest()
    assert result.md5 == hashlib.md5(body).hexdigest()


def test_a_long_body_reuses_a_fixed_set_of_buffers() -> None:
    body = bytes(40 * BLOCK_SIZE)
    sink = Recorder()
    anyio.run(ingest, chunked(body, [417_792] * 200), sink, len(body))
    assert len(sink.data) == len(body)
    assert 0 < len(sink.buffers) <= MAX_PENDING + 1


def test_oversize_stops_the_body() -> None:
    with pytest.raises(BodyTooLarge):
        anyio.run(ingest, chunked(b"x" * 100, [10] * 10), Recorder(), 99)
