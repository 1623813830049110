"""Client secrets and API keys: generated server-side, stored only as peppered HMACs."""

from __future__ import annotations

import hashlib
import hmac
import secrets
import uuid


def new_client_id() -> str:
    return str(uuid.uuid4())


def new_client_secret() -> str:
    # 32 random bytes = 256 bits; URL-safe so it needs no encoding in Basic auth.
    return secrets.token_urlsafe(32)


def new_api_key() -> str:
    return secrets.token_urlsafe(32)


def hash_secret(pepper: bytes, secret: str) -> str:
    return hmac.new(pepper, secret.encode(), hashlib.sha256).hexdigest()


def secret_matches(pepper: bytes, secret: str, stored_hash: str) -> bool:
    return hmac.compare_digest(hash_secret(pepper, secret), stored_hash)
