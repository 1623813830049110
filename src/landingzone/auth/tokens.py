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
    def __init__(self, key: bytes, ttl_seconds: int) -> None:
        self._key = key
        self.ttl_seconds = ttl_seconds

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
