"""Cut a CSV byte stream into blocks of whole records, in bounded memory.

A record ends at a line feed, a CR LF, or a lone carriage return (classic Mac
and Excel "CSV (Macintosh)" files), unless it is inside a quoted cell. Which
line ends are inside quotes is decided as Python's ``csv``, pyarrow, DuckDB
and Frictionless decide it: a quote *opens* a quoted cell only at the start of
a cell (the start of the data, or just after a comma or a line end); anywhere
else in an unquoted cell (``27" monitor``) it is a literal character. Inside
a quoted cell, ``""`` is a literal quote and a lone ``"`` closes the cell.

``scan`` finds the record ends of a buffer that starts at a record boundary.
The usual case is vectorised: when every quote sits where RFC 4180 puts it
(an odd-numbered quote at a cell start, an even-numbered one before a comma,
a line end or another quote), a position is inside quotes exactly when an odd
number of quotes precede it, at memory speed. A buffer with a stray quote is
walked quote by quote instead (Python per quote, not per byte), so only files
with stray quotes pay for it.

A quote that never closes would otherwise make the "current record" grow to
the end of the file: a record longer than ``max_record`` stops the read with
``Unterminated`` instead.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np

BOM = b"\xef\xbb\xbf"
QUOTE = b'"'
BLOCK_SIZE = 8 * 1024 * 1024
MAX_RECORD = 16 * 1024 * 1024
_QUOTE, _COMMA, _LF, _CR = 34, 44, 10, 13

Positions = np.ndarray[Any, np.dtype[np.intp]]


class Readable(Protocol):
    """What validation reads from: a binary stream's ``read``."""

    def read(self, size: int = -1, /) -> bytes: ...


@dataclass(frozen=True)
class Block:
    """Whole records (the last may lack its line end at the end of the file)."""

    data: bytes


@dataclass(frozen=True)
class Unterminated:
    """A quoted cell opened here never closed (or one record exceeds ``max_record``)."""

    data: bytes


@dataclass(frozen=True)
class Scan:
    """Record ends of a buffer: the index just after each line end outside quotes."""

    ends: Positions
    inside_quotes: bool  # the buffer ends inside a quoted cell


def _line_ends(array: np.ndarray[Any, Any], final: bool) -> Positions:
    """Indexes just after every LF, and after every CR not followed by a LF.

    A CR as the last byte of a buffer that is not the end of the file may be
    the first half of a CR LF: it is not a line end yet.
    """
    feeds = np.flatnonzero(array == _LF)
    returns = np.flatnonzero(array == _CR)
    if len(returns):
        following = returns + 1
        inside = following < len(array)
        lone = np.zeros(len(returns), dtype=bool)
        lone[inside] = array[following[inside]] != _LF
        lone[~inside] = final
        feeds = np.union1d(feeds, returns[lone])
    return np.asarray(feeds + 1, dtype=np.intp)


def _quote_toggles(buf: bytes, array: np.ndarray[Any, Any], delimiter: int) -> Positions:
    """Positions of the quotes that open or close a quoted cell, in order.

    An escaped ``""`` inside a cell counts as a close and a reopen: the bytes
    between them are the empty string, so every other byte's state is right.
    """
    quotes = np.flatnonzero(array == _QUOTE)
    if not len(quotes):
        return quotes
    size = len(array)
    before = np.where(quotes > 0, array[np.maximum(quotes - 1, 0)], _LF)
    after = np.where(quotes + 1 < size, array[np.minimum(quotes + 1, size - 1)], _LF)
    at_cell_start = np.isin(before, (delimiter, _LF, _CR, _QUOTE))
    at_cell_end = np.isin(after, (delimiter, _LF, _CR, _QUOTE))
    opening = at_cell_start[0::2].all()
    closing = at_cell_end[1::2].all()
    if opening and closing:
        return quotes
    return _walk_quotes(buf, quotes.tolist(), delimiter)


def _walk_quotes(buf: bytes, quotes: list[int], delimiter: int) -> Positions:
    """The toggles of a buffer with stray quotes, read as Python's csv reads them."""
    toggles: list[int] = []
    inside = False
    size = len(buf)
    i = 0
    while i < len(quotes):
        position = quotes[i]
        if inside:
            if position + 1 < size and buf[position + 1] == _QUOTE:
                i += 2  # an escaped quote: still inside
                continue
            inside = False
            toggles.append(position)
        elif position == 0 or buf[position - 1] in (delimiter, _LF, _CR):
            inside = True
            toggles.append(position)
        # else: a stray quote in an unquoted cell, a literal character
        i += 1
    return np.asarray(toggles, dtype=np.intp)


def scan(buf: bytes, final: bool = True, delimiter: int = _COMMA) -> Scan:
    """The record ends of ``buf``, which starts at a record boundary.

    ``final``: nothing follows ``buf`` (a CR at its end is a line end);
    ``delimiter``: the byte between cells (a quote opens a cell only after it).
    """
    array = np.frombuffer(buf, dtype=np.uint8)
    ends = _line_ends(array, final)
    if QUOTE not in buf:
        return Scan(ends, False)
    toggles = _quote_toggles(buf, array, delimiter)
    outside = np.searchsorted(toggles, ends - 1) % 2 == 0
    return Scan(ends[outside], len(toggles) % 2 == 1)


def strip_line_end(record: bytes) -> bytes:
    return record.rstrip(b"\r\n")


class Chunker:
    def __init__(
        self,
        stream: Readable,
        block_size: int = BLOCK_SIZE,
        max_record: int = MAX_RECORD,
        delimiter: str = ",",
    ) -> None:
        self._stream = stream
        self._delimiter = ord(delimiter)
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
            found = scan(self._buf, self._eof, self._delimiter)
            if len(found.ends):
                cut = int(found.ends[0])
                record, self._buf = self._buf[:cut], self._buf[cut:]
                return strip_line_end(record)
            if len(self._buf) > self._max_record:
                return Unterminated(self._buf[: self._max_record])
            if not self._fill():
                record, self._buf = self._buf, b""
                if not record:
                    return None
                if scan(record, delimiter=self._delimiter).inside_quotes:
                    return Unterminated(record)
                return strip_line_end(record)

    def blocks(self) -> Iterator[Block | Unterminated]:
        """Blocks of whole records; an ``Unterminated`` item, if any, is the last."""
        while True:
            if self._buf:
                found = scan(self._buf, self._eof, self._delimiter)
                cut = int(found.ends[-1]) if len(found.ends) else 0
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
                    found = scan(rest, delimiter=self._delimiter)
                    if found.inside_quotes:
                        # Whole records before the opening quote are still data.
                        cut = int(found.ends[-1]) if len(found.ends) else 0
                        if cut:
                            yield Block(rest[:cut])
                        yield Unterminated(rest[cut : cut + self._max_record])
                    else:
                        yield Block(rest)
                return
