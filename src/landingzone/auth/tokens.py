"""Access tokens: HS256 JWTs (PyJWT) naming the client, its customer and the granted scopes.

A token alone is not enough: every request also checks that the client is still
enabled, its customer too, and that its credentials were not rotated since the
token was issued (``domain/access.py``), so each of those stops its tokens at once.
An operator client's token names no customer (``cus`` is null).
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
    customer_id: int | None
    scopes: frozenset[str]
    expires_at: int
    # The client's credentials version when the token was issued (0 for tokens that
    # predate rotation, which name none).
    credentials_version: int = 0


class TokenService:
    # Verified tokens are remembered until they expire: a client sends the same
    # token on every request, and verifying it (~70 us) was a large share of a
    # batch request. The cache holds only what a verification already accepted.
    CACHE_SIZE = 10_000

    def __init__(self, key: bytes, ttl_seconds: int) -> None:
        self._key = key
        self.ttl_seconds = ttl_seconds
        self._verified: dict[str, TokenClaims] = {}

    def issue(
        self, client_id: str, customer_id: int | None, scopes: list[str], version: int = 0
    ) -> str:
        now = int(time.time())
        claims = {
            "iss": ISSUER,
            "sub": client_id,
            "cus": customer_id,
            "scope": " ".join(scopes),
            "ver": version,
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
                # Not "cus": PyJWT's require refuses a null claim, an operator's.
                options={"require": ["exp", "sub", "scope", "iss"]},
            )
        except jwt.ExpiredSignatureError as exc:
            raise InvalidToken("The access_token has expired: request a new one.") from exc
        except jwt.PyJWTError as exc:
            raise InvalidToken() from exc
        if "cus" not in claims:
            raise InvalidToken()
        customer_id = claims["cus"]
        version = claims.get("ver", 0)
        if (
            not (customer_id is None or isinstance(customer_id, int))
            or not isinstance(claims["scope"], str)
            or not isinstance(version, int)
        ):
            raise InvalidToken()
        return TokenClaims(
            client_id=str(claims["sub"]),
            customer_id=customer_id,
            scopes=frozenset(claims["scope"].split()),
            expires_at=int(claims["exp"]),
            credentials_version=version,
        )
