"""HTTP range and conditional requests of a download (RFC 9110 §13, §14).

One ``bytes`` range is served as 206; several ranges are answered with the whole
body (200), as RFC 9110 §14.2 lets a server do instead of a multipart answer; a
``Range`` that is not one landingzone understands is ignored, as the RFC asks.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from landingzone.errors import RangeNotSatisfiable

# bytes=a-b, bytes=a-, bytes=-n (whitespace around the parts tolerated; a number of more
# than 30 digits is no range of a stored file, and int() of a huge one would be slow).
_ONE_RANGE = re.compile(r"bytes\s*=\s*(\d{0,30})\s*-\s*(\d{0,30})\s*", re.IGNORECASE)


@dataclass(frozen=True)
class ByteRange:
    start: int
    length: int

    def content_range(self, size: int) -> str:
        return f"bytes {self.start}-{self.start + self.length - 1}/{size}"


def requested_range(header: str | None, size: int) -> ByteRange | None:
    """The one range ``header`` asks of a ``size``-byte body; None: send the whole body.

    Raises RangeNotSatisfiable when the range starts past the end (or asks for the
    last 0 bytes, or any byte of an empty body).
    """
    if header is None:
        return None
    found = _ONE_RANGE.fullmatch(header)
    if found is None:
        return None  # several ranges, another unit, or malformed: the whole body
    first, last = found.group(1), found.group(2)
    if not first and not last:
        return None
    if not first:  # the last n bytes
        suffix = int(last)
        if suffix == 0 or size == 0:
            raise _unsatisfiable(size)
        start = max(size - suffix, 0)
        return ByteRange(start, size - start)
    start = int(first)
    end = int(last) if last else size - 1
    if last and end < start:
        return None  # an invalid range: ignored, as RFC 9110 §14.2 says
    if start >= size:
        raise _unsatisfiable(size)
    return ByteRange(start, min(end, size - 1) - start + 1)


def _unsatisfiable(size: int) -> RangeNotSatisfiable:
    if size == 0:
        message = "The Range asks for bytes of an empty file: ask without a Range."
    else:
        message = f"The Range starts past the end of the {size}-byte file: ask within 0-{size - 1}."
    return RangeNotSatisfiable(message, size=size)


def _tags(header: str) -> list[str]:
    return [tag.strip().removeprefix("W/") for tag in header.split(",") if tag.strip()]


def not_modified(if_none_match: str | None, etag: str) -> bool:
    """Whether ``If-None-Match`` names ``etag`` (weak comparison, RFC 9110 §13.1.2) or ``*``."""
    if if_none_match is None:
        return False
    tags = _tags(if_none_match)
    return "*" in tags or etag in tags


def range_applies(if_range: str | None, etag: str) -> bool:
    """``If-Range``: the range holds only while the body is still ``etag`` (a strong match);
    a date or another tag asks for the whole body instead."""
    return if_range is None or if_range.strip() == etag
