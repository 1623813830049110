"""Per-client rate limits in memory and in Redis (shared by all API processes)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest
import redis

from landingzone.errors import TooManyRequests
from landingzone.ratelimit import RateLimiter
from tests.conftest import service_missing

REDIS_URL = "redis://127.0.0.1:6379/0"


@pytest.fixture(params=["memory", "redis"])
def limiter_factory(request: pytest.FixtureRequest) -> Iterator[type[RateLimiter] | object]:
    if request.param == "memory":
        yield lambda rate, burst: RateLimiter("memory://", rate, burst)
        return
    try:
        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2).ping()
    except redis.RedisError:
        service_missing("Redis at 127.0.0.1:6379")
    prefix = f"lz-test-{uuid.uuid4().hex[:12]}"
    yield lambda rate, burst: RateLimiter(REDIS_URL, rate, burst, key_prefix=prefix)
    client = redis.Redis.from_url(REDIS_URL)
    for key in client.scan_iter(f"{prefix}*"):
        client.delete(key)


def test_burst_then_429_with_retry_after(limiter_factory) -> None:
    limiter = limiter_factory(1, 3)
    for _ in range(3):
        limiter.check("client:a")
    with pytest.raises(TooManyRequests) as raised:
        limiter.check("client:a")
    assert raised.value.retry_after >= 1
    assert raised.value.headers["Retry-After"] == str(raised.value.retry_after)
    limiter.check("client:b")  # other clients have their own budget


def test_sustained_rate_is_enforced_over_ten_seconds(limiter_factory) -> None:
    limiter = limiter_factory(0.5, 100)  # 5 per 10 s, even though the burst allows 100
    for _ in range(5):
        limiter.check("client:a")
    with pytest.raises(TooManyRequests):
        limiter.check("client:a")


def test_two_limiters_on_redis_share_counts() -> None:
    try:
        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2).ping()
    except redis.RedisError:
        service_missing("Redis at 127.0.0.1:6379")
    prefix = f"lz-test-{uuid.uuid4().hex[:12]}"
    first = RateLimiter(REDIS_URL, 1, 2, key_prefix=prefix)
    second = RateLimiter(REDIS_URL, 1, 2, key_prefix=prefix)
    try:
        first.check("client:a")
        second.check("client:a")
        with pytest.raises(TooManyRequests):
            first.check("client:a")
    finally:
        client = redis.Redis.from_url(REDIS_URL)
        for key in client.scan_iter(f"{prefix}*"):
            client.delete(key)


def test_unreachable_redis_fails_open() -> None:
    limiter = RateLimiter("redis://127.0.0.1:1/0", 1, 1)
    for _ in range(3):
        limiter.check("client:a")  # logged, not raised
