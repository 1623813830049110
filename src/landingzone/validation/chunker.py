"""Cut a CSV byte stream into blocks of whole records, in bounded memory.

A newline ends a record unless it is inside quotes. With RFC 4180 quoting
(a quote inside a quoted cell is doubled) a position is inside quotes exactly
when an odd number of quote characters precede it, so record boundaries are
found with ``bytes.count`` and ``rfind``, at memory speed, without parsing.

A quote that never closes would otherwise make the "current record" grow to
the end of the file: a record longer than ``max_record`` stops the read with
``Unterminated`` instead.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import BinaryIO

BOM = b"\xef\xbb\xbf"
QUOTE = b'"'
NEWLINE = b"\n"
BLOCK_SIZE = 8 * 1024 * 1024
MAX_RECORD = 16 * 1024 * 1024


@dataclass(frozen=True)
class Block:
    """Whole records (the last may lack its newline at the end of the file)."""

    data: bytes


@dataclass(frozen=True)
class Unterminated:
    """A quoted cell opened here never closed (or one record exceeds ``max_record``)."""

    data: bytes


def _last_boundary(buf: bytes) -> int:
    """Index just after the last newline outside quotes, or 0 if there is none."""
    total = buf.count(QUOTE)
    position = buf.rfind(NEWLINE)
    while position >= 0:
        quotes_before = total - buf.count(QUOTE, position)
        if quotes_before % 2 == 0:
            return position + 1
        position = buf.rfind(NEWLINE, 0, position)
    return 0


def _first_boundary(buf: bytes) -> int:
    """Index just after the first newline outside quotes, or 0 if there is none."""
    position = buf.find(NEWLINE)
    while position >= 0:
        if buf.count(QUOTE, 0, position) % 2 == 0:
            return position + 1
        position = buf.find(NEWLINE, position + 1)
    return 0


class Chunker:
    def __init__(
        self, stream: BinaryIO, block_size: int = BLOCK_SIZE, max_record: int = MAX_RECORD
    ) -> None:
        self._stream = stream
        self._block_size = block_size
        self._max_record = max_record
        self._buf = b""
        self._eof = False
        self._started = False
        self.bytes_read = 0

    def _fill(self) -> bool:
        """Read one more block into the buffer; False at the end of the stream."""
        if self._eof:
            return False
        data = self._stream.read(self._block_size)
        if not self._started:
            self._started = True
            data = data.removeprefix(BOM)
        if not data:
            self._eof = True
            return False
        self.bytes_read += len(data)
        self._buf += data
        return True

    def first_record(self) -> bytes | Unterminated | None:
        """The first record (the header candidate) without its line ending; None if empty."""
        while True:
            cut = _first_boundary(self._buf)
            if cut:
                record, self._buf = self._buf[:cut], self._buf[cut:]
                return record.rstrip(b"\r\n")
            if len(self._buf) > self._max_record:
                return Unterminated(self._buf[: self._max_record])
            if not self._fill():
                record, self._buf = self._buf, b""
                if not record:
                    return None
                if record.count(QUOTE) % 2:
                    return Unterminated(record)
                return record.rstrip(b"\r\n")

    def blocks(self) -> Iterator[Block | Unterminated]:
        """Blocks of whole records; an ``Unterminated`` item, if any, is the last."""
        while True:
            if self._buf:
                cut = _last_boundary(self._buf)
                if cut and (len(self._buf) >= self._block_size or self._eof):
                    block, self._buf = self._buf[:cut], self._buf[cut:]
                    yield Block(block)
                    continue
                if not cut and len(self._buf) > self._max_record + self._block_size:
                    yield Unterminated(self._buf[: self._max_record])
                    return
            if not self._fill():
                if self._buf:
                    rest, self._buf = self._buf, b""
                    if rest.count(QUOTE) % 2:
                        # Whole records before the opening quote are still data.
                        cut = _last_boundary(rest)
                        if cut:
                            yield Block(rest[:cut])
                        yield Unterminated(rest[cut : cut + self._max_record])
                    else:
                        yield Block(rest)
                return
