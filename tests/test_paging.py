"""Opaque cursors: what one listing hands out, only that listing takes back."""

from __future__ import annotations

import pytest

from landingzone.domain.paging import decode_cursor, encode_cursor, page_of
from landingzone.errors import InvalidCursor


def test_a_cursor_round_trips_within_its_kind_only() -> None:
    cursor = encode_cursor("a", 42)
    assert decode_cursor("a", cursor) == 42
    with pytest.raises(InvalidCursor):
        decode_cursor("o", cursor)
    for junk in ["", "!!", "bm9wZQ", encode_cursor("a", 1) + "x"]:
        with pytest.raises(InvalidCursor):
            decode_cursor("a", junk)


def test_a_page_has_a_cursor_only_when_more_items_follow() -> None:
    full = page_of([5, 4, 3], limit=2, kind="n", position=lambda n: n)
    assert full.items == [5, 4]
    assert full.next_cursor is not None and decode_cursor("n", full.next_cursor) == 4
    last = page_of([2, 1], limit=2, kind="n", position=lambda n: n)
    assert last.items == [2, 1] and last.next_cursor is None
    assert page_of([], limit=2, kind="n", position=lambda n: n).items == []
