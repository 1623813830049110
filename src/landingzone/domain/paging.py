"""Cursor pagination for every listing: opaque cursors, one page at a time.

A cursor names the last item of the page it came with (a kind and an id), so the
next page starts after it whatever was added meanwhile. Callers get it back as
``nextCursor`` and pass it unchanged; anything else is an ``InvalidCursor``.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Generic, TypeVar

from landingzone.errors import InvalidCursor, InvalidInput

Item = TypeVar("Item")
DEFAULT_PAGE = 50
MAX_PAGE = 1000


@dataclass(frozen=True)
class Page(Generic[Item]):
    items: list[Item]
    next_cursor: str | None


def encode_cursor(kind: str, position: int) -> str:
    return base64.urlsafe_b64encode(f"{kind}:{position}".encode()).decode().rstrip("=")


def decode_cursor(kind: str, cursor: str) -> int:
    """The position ``cursor`` names; InvalidCursor unless a listing of ``kind`` made it."""
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        prefix, _, value = raw.partition(":")
        if prefix != kind:
            raise ValueError(raw)
        return int(value)
    except (ValueError, binascii.Error, UnicodeDecodeError):
        raise InvalidCursor() from None


def page_of(
    fetched: Sequence[Item], limit: int, kind: str, position: Callable[[Item], int]
) -> Page[Item]:
    """The first ``limit`` of ``fetched`` (queried with ``limit + 1``), and the next cursor."""
    items = list(fetched[:limit])
    more = len(fetched) > limit
    return Page(items=items, next_cursor=encode_cursor(kind, position(items[-1])) if more else None)


def check_limit(limit: int) -> None:
    """A page size is 1 to ``MAX_PAGE`` items, for every listing."""
    if not 1 <= limit <= MAX_PAGE:
        raise InvalidInput(f"Invalid limit {limit}: use 1 to {MAX_PAGE}.")
