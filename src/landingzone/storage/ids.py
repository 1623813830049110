"""Storage ids and upload ids: what they look like and where they put an object.

Every backend lays committed bytes out the same way, ``ab/cd/<storage id>``
(two levels of 256 shards, so no directory or listing page grows without bound),
under ``objects/`` on local disk or in the bucket. Storage ids are generated
here (32 hex characters); both ids are checked before they become a path or a
key, so no request-supplied text ever names a file.
"""

from __future__ import annotations

import re
import secrets

_STORAGE_ID = re.compile(r"[0-9a-f]{32}")
_UPLOAD_ID = re.compile(r"[A-Za-z0-9_-]{1,64}")


def new_storage_id() -> str:
    return secrets.token_hex(16)


def is_storage_id(text: str) -> bool:
    return _STORAGE_ID.fullmatch(text) is not None


def is_upload_id(text: str) -> bool:
    return _UPLOAD_ID.fullmatch(text) is not None


def shard_path(storage_id: str) -> str:
    """``ab/cd/<storage id>``: where the object lives below the objects root."""
    if not is_storage_id(storage_id):
        raise ValueError("invalid storage id")
    return f"{storage_id[:2]}/{storage_id[2:4]}/{storage_id}"


def checked_upload_id(upload_id: str) -> str:
    """``upload_id`` itself, once it is known to be safe as a file name or key segment."""
    if not is_upload_id(upload_id):
        raise ValueError("invalid upload id")
    return upload_id
