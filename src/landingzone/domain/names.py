"""Validation of the names callers choose: filenames, app ids, customer names."""

from __future__ import annotations

import re
import unicodedata

APP_ID = re.compile(r"[A-Za-z0-9._-]{1,64}")
CUSTOMER_NAME = re.compile(r"[A-Za-z0-9._-]{1,64}")
MAX_FILENAME_BYTES = 255
# Exactly Unicode category Cc (C0, DEL, C1), as one regex: it runs for every name of a batch.
CONTROL_CHARACTER = re.compile("[\x00-\x1f\x7f-\x9f]")


def filename_problem(raw: str) -> str | None:
    """Why ``raw`` is not a valid filename (SPEC §3), or None if it is."""
    name = unicodedata.normalize("NFC", raw)
    if not name:
        return "is empty"
    try:
        encoded = name.encode("utf-8")
    except UnicodeEncodeError:
        # A lone surrogate (JSON allows "\udcff"): no UTF-8 bytes can spell it.
        return "is not valid Unicode text (it contains a lone surrogate)"
    if len(encoded) > MAX_FILENAME_BYTES:
        return f"is longer than {MAX_FILENAME_BYTES} bytes of UTF-8"
    if name in {".", ".."}:
        return "is '.' or '..'"
    if "/" in name or "\\" in name:
        return "contains '/' or '\\'"
    if CONTROL_CHARACTER.search(name):
        return "contains a control character"
    if name != name.strip(" "):
        return "has a leading or trailing space"
    return None


def normalize_filename(raw: str) -> str:
    return unicodedata.normalize("NFC", raw)


def is_app_id(value: str) -> bool:
    return APP_ID.fullmatch(value) is not None


def is_customer_name(value: str) -> bool:
    return CUSTOMER_NAME.fullmatch(value) is not None
