"""Idempotency keys (SPEC §4): a retried request answers what the first one answered.

Follows the IETF draft "The Idempotency-Key HTTP Header Field" where it speaks, and
Stripe's practice where it does not (docs/api.md, "Idempotency-Key", says it for callers):

* a key is the caller's: scoped to the client that sent it, so one tenant's key never
  replays another's answer;
* the first request with a key claims it (a unique row per client and key), runs, and
  records its answer if it succeeded (2xx); a failure releases the claim, since a refused
  request changed nothing and a retry should run again;
* a retry with the same request replays the recorded answer; the same key with another
  request is refused (the draft's 422); a retry while the first still runs is refused
  (the draft's 409), never run twice;
* a key lasts 24 hours from its first use; an expired one is taken over by the next
  request, and expired rows are purged.

Only a fingerprint of the request is kept (SHA-256 of a canonical form), never its body.
"""

from __future__ import annotations

import hashlib
import json
import secrets
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Protocol

from landingzone.errors import IdempotencyKeyInUse, IdempotencyKeyReused, InvalidIdempotencyKey
from landingzone.timeutil import utcnow

KEY_TTL = timedelta(hours=24)
# A claim with no answer after this long belongs to a request whose process died (a
# request runs for seconds: its body is read before it claims): the next retry runs it.
CLAIM_LEASE = timedelta(minutes=10)
MAX_KEY_LENGTH = 255
# Expired rows are purged at most this often per process, by the request that finds it due.
PURGE_EVERY_SECONDS = 600.0
_CLAIM_ATTEMPTS = 3  # a claim retried after its conflicting row went away or went stale
_STRING_CHUNK = 1 << 20  # characters hashed at a time: a 50 MB Data is never copied whole


@dataclass(frozen=True)
class StoredAnswer:
    """A response as sent, to be replayed byte for byte."""

    status: int
    media_type: str
    body: bytes


@dataclass(frozen=True)
class KeyRecord:
    """A key's row: whose request (fingerprint), which claim, and the answer once recorded."""

    fingerprint: str
    claim: str
    created_at: datetime
    answer: StoredAnswer | None


@dataclass(frozen=True)
class Claim:
    """The right to run the request of ``key``; ``token`` fences a stale claim's answer."""

    client_id: str
    key: str
    token: str


class IdempotencyKeys(Protocol):
    """The keys' rows (``db/idempotency.py``): one per (client, key), unique."""

    def claim(self, client_id: str, key: str, fingerprint: str, token: str, now: datetime) -> bool:
        """Insert the key's row with claim ``token``; False if a row holds the key already."""
        ...

    def held(self, client_id: str, key: str) -> KeyRecord | None:
        """The row that holds the key, if any."""
        ...

    def record(self, claim: Claim, answer: StoredAnswer) -> bool:
        """Store the answer on the claim's row; False if the claim is no longer there."""
        ...

    def remove(self, client_id: str, key: str, token: str) -> bool:
        """Delete the row if it still carries claim ``token``."""
        ...

    def purge(self, before: datetime) -> int:
        """Delete every row created before ``before``; how many."""
        ...


def parse_key(value: str) -> str:
    """The key of an Idempotency-Key header value.

    The draft makes the value a Structured Field String (``"8e03978e-…"``); callers of
    Stripe-like APIs send the bare key. Both are taken, and name the same key. The key
    itself is 1 to 255 visible ASCII characters (no spaces or control characters).
    """
    key = _unquote(value) if value.startswith('"') else value
    if not key:
        raise InvalidIdempotencyKey("it is empty")
    if len(key) > MAX_KEY_LENGTH:
        raise InvalidIdempotencyKey(f"it is longer than {MAX_KEY_LENGTH} characters")
    if not all("!" <= char <= "~" for char in key):
        raise InvalidIdempotencyKey("it has a character that is not visible ASCII")
    return key


def _unquote(value: str) -> str:
    """RFC 8941 §3.3.3: a quoted string whose only escapes are \\" and \\\\."""
    if len(value) < 2 or not value.endswith('"'):
        raise InvalidIdempotencyKey("its opening quote is not closed")
    chars: list[str] = []
    escaped = False
    for char in value[1:-1]:
        if escaped:
            if char not in '"\\':
                raise InvalidIdempotencyKey('a backslash escapes something other than " or \\')
            chars.append(char)
            escaped = False
        elif char == "\\":
            escaped = True
        elif char == '"':
            raise InvalidIdempotencyKey("it has an unescaped quote inside the quotes")
        else:
            chars.append(char)
    if escaped:
        raise InvalidIdempotencyKey("it ends in a lone backslash")
    return "".join(chars)


def fingerprint(operation: str, document: Any) -> str:
    """SHA-256 hex of ``operation`` and the request as the route read it (a JSON value).

    The canonical form is type-tagged and length-prefixed, object members in key order:
    two requests have the same fingerprint exactly when they are the same operation on
    equal values, whatever the spacing or member order of their bodies.
    """
    hasher = hashlib.sha256()
    _feed(hasher, operation)
    _feed(hasher, document)
    return hasher.hexdigest()


def _feed(hasher: Any, value: Any) -> None:
    if isinstance(value, str):
        hasher.update(b"s%d:" % len(value))
        for start in range(0, len(value), _STRING_CHUNK):
            # surrogatepass: a lone surrogate from a JSON \ud800 escape is still hashed.
            hasher.update(value[start : start + _STRING_CHUNK].encode("utf-8", "surrogatepass"))
    elif isinstance(value, Mapping):
        hasher.update(b"m%d:" % len(value))
        for name in sorted(value):
            _feed(hasher, str(name))
            _feed(hasher, value[name])
    elif isinstance(value, list | tuple):
        hasher.update(b"l%d:" % len(value))
        for item in value:
            _feed(hasher, item)
    elif value is None or isinstance(value, bool | int | float):
        hasher.update(b"v" + json.dumps(value).encode() + b";")
    else:
        raise TypeError(f"not a JSON value: {type(value).__name__}")


class IdempotencyService:
    """Claims, replays and records the answers of requests sent with an Idempotency-Key."""

    def __init__(
        self,
        keys: IdempotencyKeys,
        clock: Callable[[], datetime] = utcnow,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self._keys = keys
        self._clock = clock
        self._monotonic = monotonic
        self._next_purge = 0.0

    def begin(
        self, client_id: str, key: str, operation: str, document: Any
    ) -> Claim | StoredAnswer:
        """A claim to run the request, or the first request's answer to replay.

        Raises IdempotencyKeyReused when the key was first used for another request, and
        IdempotencyKeyInUse while that first request is still running.
        """
        self._purge_if_due()
        wanted = fingerprint(operation, document)
        for _ in range(_CLAIM_ATTEMPTS):
            now = self._clock()
            token = secrets.token_hex(16)
            if self._keys.claim(client_id, key, wanted, token, now):
                return Claim(client_id, key, token)
            held = self._keys.held(client_id, key)
            if held is None:
                continue  # its request failed and released it since: claim again
            if self._stale(held, now):
                # Expired, or its request died: gone for every purpose; take it over.
                self._keys.remove(client_id, key, held.claim)
                continue
            if held.fingerprint != wanted:
                raise IdempotencyKeyReused()
            if held.answer is not None:
                return held.answer
            raise IdempotencyKeyInUse()
        # The row kept changing under us: another request with the key is running.
        raise IdempotencyKeyInUse()

    def finish(self, claim: Claim, answer: StoredAnswer) -> None:
        """Keep a successful answer for replay; release the key after any other answer."""
        if 200 <= answer.status < 300:
            self._keys.record(claim, answer)
        else:
            self.release(claim)

    def release(self, claim: Claim) -> None:
        """Forget the claim: the request failed and changed nothing, a retry runs again."""
        self._keys.remove(claim.client_id, claim.key, claim.token)

    def purge_expired(self) -> int:
        """Delete keys older than 24 hours; how many."""
        return self._keys.purge(self._clock() - KEY_TTL)

    def _purge_if_due(self) -> None:
        now = self._monotonic()
        if now >= self._next_purge:
            self._next_purge = now + PURGE_EVERY_SECONDS
            self.purge_expired()

    @staticmethod
    def _stale(held: KeyRecord, now: datetime) -> bool:
        if held.created_at <= now - KEY_TTL:
            return True
        return held.answer is None and held.created_at <= now - CLAIM_LEASE
