"""Signed upload URLs for the embedded object store.

A URL names the object key in its path and carries three query parameters:
``X-Lz-Upload`` (a random upload id, the unit of single use), ``X-Lz-Expires``
(Unix time) and ``X-Lz-Signature`` (HMAC-SHA256 over method, key, id and
expiry). Issuing a URL writes nothing: single use is enforced when the upload
arrives (``domain/uploads.py``).
"""

from __future__ import annotations

import base64
import hmac
import secrets
from urllib.parse import quote

UPLOAD_PARAM = "X-Lz-Upload"
EXPIRES_PARAM = "X-Lz-Expires"
SIGNATURE_PARAM = "X-Lz-Signature"
SIGNED_PARAMS = frozenset({UPLOAD_PARAM, EXPIRES_PARAM, SIGNATURE_PARAM})
OBJECT_ROUTE_PREFIX = "/o/"


def new_upload_id() -> str:
    return secrets.token_urlsafe(16)


def new_upload_ids(count: int) -> list[str]:
    """``count`` random ids from one read of the OS random source (one syscall, not ``count``)."""
    pool = secrets.token_bytes(16 * count)
    return [
        base64.urlsafe_b64encode(pool[i : i + 16]).rstrip(b"=").decode()
        for i in range(0, 16 * count, 16)
    ]


class UrlSigner:
    def __init__(self, key: bytes, public_url: str) -> None:
        self._key = key
        self._public_url = public_url.rstrip("/")

    def _signature(self, method: str, key: str, upload_id: str, expires_at: int) -> str:
        message = f"{method}\n{key}\n{upload_id}\n{expires_at}".encode()
        # A digest *name* takes OpenSSL's one-shot path; a constructor would build an HMAC object.
        digest = hmac.digest(self._key, message, "sha256")
        return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()

    def presign_put(self, key: str, expires_at: int, upload_id: str | None = None) -> str:
        upload_id = upload_id or new_upload_id()
        signature = self._signature("PUT", key, upload_id, expires_at)
        # The id and signature are base64url and the expiry digits: nothing to
        # escape, so no urlencode (it was most of the cost of a 100-URL batch).
        return (
            f"{self._public_url}{OBJECT_ROUTE_PREFIX}{quote(key, safe='/')}"
            f"?{UPLOAD_PARAM}={upload_id}&{EXPIRES_PARAM}={expires_at}"
            f"&{SIGNATURE_PARAM}={signature}"
        )

    def verify(
        self, method: str, key: str, upload_id: str, expires_at: int, signature: str
    ) -> bool:
        expected = self._signature(method, key, upload_id, expires_at)
        return hmac.compare_digest(expected.encode(), signature.encode())
