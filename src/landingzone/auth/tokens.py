"""Access tokens: HS256 JWTs (PyJWT) naming the client, its customer and the granted scopes.

A token alone is not enough: every request also checks that the client is still
enabled (``api/deps.py``), so disabling a client stops its tokens at once.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import jwt

from landingzone.errors import InvalidToken

ISSUER = "landingzone"
ALGORITHM = "HS256"


@dataclass(frozen=True)
class TokenClaims:
    client_id: str
    customer_id: int
    scopes: frozenset[str]
    expires_at: int


class TokenService:
    # Verified tokens are remembered until they expire: a client sends the same
    # token on every request, and verifying it (~70 us) was a large share of a
    # batch request. The cache holds only what a verification already accepted.
    CACHE_SIZE = 10_000

    def __init__(self, key: bytes, ttl_seconds: int) -> None:
        self._key = key
        self.ttl_seconds = ttl_seconds
        self._verified: dict[str, TokenClaims] = {}

    def issue(self, client_id: str, customer_id: int, scopes: list[str]) -> str:
        now = int(time.time())
        claims = {
            "iss": ISSUER,
            "sub": client_id,
            "cus": customer_id,
            "scope": " ".join(scopes),
            "iat": now,
            "exp": now + self.ttl_seconds,
        }
        return jwt.encode(claims, self._key, algorithm=ALGORITHM)

    def verify(self, token: str) -> TokenClaims:
        cached = self._verified.get(token)
        if cached is not None:
            if cached.expires_at > time.time():
                return cached
            self._verified.pop(token, None)
        claims = self._decode(token)
        if len(self._verified) >= self.CACHE_SIZE:
            self._verified.clear()
        self._verified[token] = claims
        return claims

    def _decode(self, token: str) -> TokenClaims:
        try:
            claims = jwt.decode(
                token,
                self._key,
                algorithms=[ALGORITHM],
                issuer=ISSUER,
                options={"require": ["exp", "sub", "cus", "scope", "iss"]},
            )
        except jwt.ExpiredSignatureError as exc:
            raise InvalidToken("The access_token has expired: request a new one.") from exc
        except jwt.PyJWTError as exc:
            raise InvalidToken() from exc
        customer_id = claims["cus"]
        if not isinstance(customer_id, int) or not isinstance(claims["scope"], str):
            raise InvalidToken()
        return TokenClaims(
            client_id=str(claims["sub"]),
            customer_id=customer_id,
            scopes=frozenset(claims["scope"].split()),
            expires_at=int(claims["exp"]),
        )
