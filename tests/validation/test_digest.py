"""BackgroundSha256: the same digest as hashlib, and no thread left behind."""

from __future__ import annotations

import hashlib
import threading
from pathlib import Path

from landingzone.validation.digest import MAX_WAITING, BackgroundSha256
from landingzone.validation.fastpath import LineFeed


def test_the_digest_is_hashlibs_for_more_blocks_than_wait() -> None:
    blocks = [bytes([i % 251]) * (1000 + i) for i in range(MAX_WAITING * 3)]
    digest = BackgroundSha256()
    for block in blocks:
        digest.update(block)
    assert digest.hexdigest() == hashlib.sha256(b"".join(blocks)).hexdigest()
    digest.close()  # closing twice is harmless
    assert digest.hexdigest() == hashlib.sha256(b"".join(blocks)).hexdigest()


def hashing_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name == "lz-sha256"]


def test_a_feed_that_gives_up_early_leaves_no_hashing_thread(tmp_path: Path) -> None:
    before = len(hashing_threads())
    path = tmp_path / "q.csv"
    path.write_bytes(b"a,b\n" + b'1,"quoted"\n' * 10)  # a quote: not plain, the feed stops
    feed = LineFeed(path, has_header=True)
    list(feed.batches())
    assert feed.failure is not None
    assert len(hashing_threads()) == before
