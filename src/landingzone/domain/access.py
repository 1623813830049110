"""Client authentication: issuing access tokens and checking them on each request."""

from __future__ import annotations

from dataclasses import dataclass

from landingzone.auth import credentials
from landingzone.auth.scopes import UnknownScope, parse_scopes
from landingzone.auth.tokens import TokenService
from landingzone.domain.ports import Tenants
from landingzone.errors import ClientRejected, InsufficientScope, InvalidToken, ScopeRefused

# Compared against when the client id is unknown, so that an unknown client
# costs the same HMAC and comparison as a wrong secret.
_DUMMY_HASH = "0" * 64
INVALID_CLIENT = "Client authentication failed: check client_id and client_secret."


@dataclass(frozen=True)
class TokenGrant:
    access_token: str
    expires_in: int
    scopes: list[str]


@dataclass(frozen=True)
class Principal:
    """Who is calling: an enabled client of one customer, with the token's scopes."""

    client_id: str
    customer_id: int
    scopes: frozenset[str]


class AccessService:
    def __init__(
        self, tenants: Tenants, tokens: TokenService, pepper: bytes, scope_uri_prefix: str
    ) -> None:
        self._tenants = tenants
        self._tokens = tokens
        self._pepper = pepper
        self._scope_uri_prefix = scope_uri_prefix

    def issue_token(self, client_id: str, client_secret: str, scope: str | None) -> TokenGrant:
        client = self._tenants.get_client(client_id)
        stored_hash = client.secret_hash if client else _DUMMY_HASH
        secret_ok = credentials.secret_matches(self._pepper, client_secret, stored_hash)
        if client is None or not secret_ok or not client.enabled:
            raise ClientRejected(INVALID_CLIENT)
        if scope is None or not scope.strip():
            granted = list(client.scopes)
        else:
            try:
                granted = parse_scopes(scope, self._scope_uri_prefix)
            except UnknownScope as exc:
                raise ScopeRefused(
                    f"Unknown scope '{exc}'; this client may ask for: {' '.join(client.scopes)}.",
                ) from None
            refused = [s for s in granted if s not in client.scopes]
            if refused:
                raise ScopeRefused(
                    f"This client may not ask for scope '{refused[0]}'; it may ask for: "
                    f"{' '.join(client.scopes)}.",
                )
        token = self._tokens.issue(client.client_id, client.customer_id, granted)
        return TokenGrant(access_token=token, expires_in=self._tokens.ttl_seconds, scopes=granted)

    def authenticate(self, token: str, required_scope: str | tuple[str, ...]) -> Principal:
        """Check the token and that it holds ``required_scope`` (or one of several)."""
        claims = self._tokens.verify(token)
        client = self._tenants.get_client(claims.client_id)
        if client is None or not client.enabled or client.customer_id != claims.customer_id:
            raise InvalidToken("Invalid access_token: the client was disabled or removed.")
        accepted = (required_scope,) if isinstance(required_scope, str) else required_scope
        if claims.scopes.isdisjoint(accepted):
            raise InsufficientScope(accepted[0])
        return Principal(client.client_id, client.customer_id, claims.scopes)
