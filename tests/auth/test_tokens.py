"""Access tokens: issue, verify, expiry, and the verified-token cache."""

from __future__ import annotations

import time

import pytest

from landingzone.auth.tokens import TokenService
from landingzone.errors import InvalidToken


def test_issue_and_verify() -> None:
    service = TokenService(b"k" * 32, 3600)
    claims = service.verify(service.issue("client-1", 7, ["connector.write", "files.read"]))
    assert claims.client_id == "client-1"
    assert claims.customer_id == 7
    assert claims.scopes == frozenset({"connector.write", "files.read"})


def test_a_cached_token_still_expires() -> None:
    service = TokenService(b"k" * 32, 1)
    token = service.issue("c", 1, ["admin"])
    service.verify(token)  # now cached
    time.sleep(2.1)
    with pytest.raises(InvalidToken, match="expired"):
        service.verify(token)


def test_a_token_of_another_key_is_never_cached_as_valid() -> None:
    mine = TokenService(b"k" * 32, 60)
    theirs = TokenService(b"x" * 32, 60)
    token = theirs.issue("c", 1, ["admin"])
    for _ in range(2):
        with pytest.raises(InvalidToken):
            mine.verify(token)


def test_cache_is_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(TokenService, "CACHE_SIZE", 3)
    service = TokenService(b"k" * 32, 60)
    for i in range(10):
        service.verify(service.issue(f"c{i}", 1, ["admin"]))
        assert len(service._verified) <= 3
