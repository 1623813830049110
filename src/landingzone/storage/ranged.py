"""A slice of a readable stream: what ``open_range`` hands back on a store that seeks."""

from __future__ import annotations

import io
from typing import Any, BinaryIO

READ_BLOCK = 1024 * 1024


class _Slice(io.RawIOBase):
    """At most ``length`` bytes of ``source`` from where it stands, then end of file."""

    def __init__(self, source: BinaryIO, length: int) -> None:
        self._source = source
        self._left = length

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        view = memoryview(buffer).cast("B")
        wanted = min(len(view), self._left)
        if wanted <= 0:
            return 0
        data = self._source.read(wanted)
        view[: len(data)] = data
        self._left -= len(data)
        return len(data)

    def close(self) -> None:
        if not self.closed:
            self._source.close()
        super().close()


def sliced(source: BinaryIO, start: int, length: int) -> BinaryIO:
    """``length`` bytes of the seekable ``source`` from offset ``start``; closes it when closed."""
    if start < 0 or length < 0:
        source.close()
        raise ValueError("a range starts and runs at zero bytes or more")
    source.seek(start)
    return io.BufferedReader(_Slice(source, length), READ_BLOCK)
