"""Client authentication: issuing access tokens and checking them on each request."""

from __future__ import annotations

from dataclasses import dataclass

from landingzone.auth import credentials
from landingzone.auth.scopes import (
    ADMIN,
    CONNECTOR_WRITE,
    UnknownScope,
    allowed_scopes,
    parse_scopes,
)
from landingzone.auth.tokens import TokenService
from landingzone.domain.models import Client
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
    """Who is calling: an enabled client, with the token's scopes.

    ``owner`` is the client's customer, None for an operator client (SPEC §9). Customer
    routes read ``customer_id``; an operator's token never gets that far (it holds only
    `admin`, and ``authenticate`` refuses it any other scope), and if it did, reading
    ``customer_id`` refuses it rather than act for no customer.
    """

    client_id: str
    owner: int | None
    scopes: frozenset[str]

    @property
    def is_operator(self) -> bool:
        return self.owner is None

    @property
    def customer_id(self) -> int:
        if self.owner is None:
            # Not reached through ``authenticate``; an operator never acts as a customer.
            raise InsufficientScope(CONNECTOR_WRITE)
        return self.owner


def _usable(client: Client | None) -> bool:
    return client is not None and client.enabled and not client.customer_disabled


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
        if client is None or not secret_ok or not _usable(client):
            raise ClientRejected(INVALID_CLIENT)
        # What the client holds, less what its kind may not hold (a customer's client
        # given `admin` before operator clients existed keeps no `admin`).
        holds = [s for s in client.scopes if s in allowed_scopes(client.is_operator)]
        if scope is None or not scope.strip():
            granted = holds
        else:
            try:
                granted = parse_scopes(scope, self._scope_uri_prefix)
            except UnknownScope as exc:
                raise ScopeRefused(
                    f"Unknown scope '{exc}'; this client may ask for: {' '.join(holds)}.",
                ) from None
            refused = [s for s in granted if s not in holds]
            if refused:
                why = (
                    " (only operator clients hold it: 'landingzone admin client create --operator')"
                    if refused[0] == ADMIN
                    else ""
                )
                raise ScopeRefused(
                    f"This client may not ask for scope '{refused[0]}'{why}; it may ask for: "
                    f"{' '.join(holds)}.",
                )
        token = self._tokens.issue(
            client.client_id, client.customer_id, granted, client.credentials_version
        )
        # lastUsedAt (SPEC §9): when the client was last issued a token.
        self._tenants.touch_client(client.client_id)
        return TokenGrant(access_token=token, expires_in=self._tokens.ttl_seconds, scopes=granted)

    def authenticate(self, token: str, required_scope: str | tuple[str, ...]) -> Principal:
        """Check the token and that it holds ``required_scope`` (or one of several)."""
        claims = self._tokens.verify(token)
        client = self._tenants.get_client(claims.client_id)
        if (
            client is None
            or not _usable(client)
            or client.customer_id != claims.customer_id
            or client.credentials_version != claims.credentials_version
        ):
            raise InvalidToken(
                "Invalid access_token: its client was disabled, removed or given new "
                "credentials, or its customer was disabled."
            )
        accepted = (required_scope,) if isinstance(required_scope, str) else required_scope
        # Only what the client's kind may hold counts: an operator's token works only
        # on admin routes, a customer's never on them.
        held = claims.scopes & frozenset(allowed_scopes(client.is_operator))
        if held.isdisjoint(accepted):
            raise InsufficientScope(accepted[0])
        return Principal(client.client_id, client.customer_id, claims.scopes)
