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


class Clock:
    """A settable ``time.time`` for the limiter: windows checked at exact instants."""

    def __init__(self, now: float) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def allowed(limiter: RateLimiter, key: str, count: int) -> int:
    passed = 0
    for _ in range(count):
        try:
            limiter.check(key)
        except TooManyRequests:
            continue
        passed += 1
    return passed


def test_burst_holds_over_any_one_second(limiter_factory, monkeypatch) -> None:
    """40 per second means 40 in every second, across a window boundary too.

    The sliding-window counter let 40 through at the end of one second and ~39
    more in the next: 79 within one second.
    """
    import time

    clock = Clock(1_000_000.9)
    monkeypatch.setattr(time, "time", clock)
    limiter = limiter_factory(1000, 40)
    assert allowed(limiter, "client:a", 60) == 40
    passed_next = 0
    for step in range(1, 10):  # 1_000_001.0 .. 1_000_001.8: less than a second later
        clock.now = 1_000_000.9 + step * 0.1
        passed_next += allowed(limiter, "client:a", 10)
    assert passed_next == 0
    clock.now = 1_000_002.0  # more than a second after the burst
    assert allowed(limiter, "client:a", 60) == 40


def test_sustained_rate_holds_over_any_ten_seconds(limiter_factory, monkeypatch) -> None:
    """20 per second sustained means at most 200 in every ten seconds (254 were let through)."""
    import time

    clock = Clock(2_000_000.0)
    monkeypatch.setattr(time, "time", clock)
    limiter = limiter_factory(20, 40)
    passed = []
    for tenth in range(100):  # 10 s in steps of 0.1 s, 10 attempts per step
        clock.now = 2_000_000.0 + tenth * 0.1 + 0.05
        passed.append((clock.now, allowed(limiter, "client:a", 10)))
    for start in range(len(passed)):
        window = [n for t, n in passed if passed[start][0] <= t < passed[start][0] + 10]
        assert sum(window) <= 200
    assert sum(n for _, n in passed) == 200
