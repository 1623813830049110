"""Which pushed files are tables, and so validated (SPEC §3).

A push whose ``type`` names a dataset type is validated only when the file is
tabular: a ``.csv``, ``.tsv`` or ``.txt`` name, or no extension and text
content. Anything else (seed 002's own example: contract PDFs pushed with
``type=contracts``) is stored, never failed for not being a CSV.
"""

from __future__ import annotations

import codecs
import os
from collections.abc import Callable

TABULAR_EXTENSIONS = {".csv": "csv", ".tsv": "tsv", ".txt": "txt"}
# Enough of the start of a file to tell text from binary, as file(1) and git do.
SNIFF_BYTES = 8192
# C0 controls that text files carry; any other (NUL above all) means binary.
TEXT_CONTROLS = frozenset(b"\t\n\r\f")


def tabular_type(filename: str, read_head: Callable[[int], bytes]) -> str | None:
    """The file type to validate ``filename`` as, or None when it is not tabular.

    ``read_head(n)`` returns up to the first ``n`` bytes; it is called only for a
    name without an extension.
    """
    extension = os.path.splitext(filename)[1].lower()
    if extension:
        return TABULAR_EXTENSIONS.get(extension)
    return "csv" if looks_like_text(read_head(SNIFF_BYTES)) else None


def looks_like_text(head: bytes) -> bool:
    """True for the start of a non-empty UTF-8 text (a BOM allowed, a cut character too)."""
    if not head:
        return False
    if any(byte < 0x20 and byte not in TEXT_CONTROLS for byte in head):
        return False
    try:
        # Not final: the sniffed prefix may end inside a multi-byte character.
        codecs.getincrementaldecoder("utf-8")().decode(head, final=False)
    except UnicodeDecodeError:
        return False
    return True
