"""Per-client rate limits with `limits`: in memory, or in Redis shared by all API processes.

Two windows express "N per second with a burst": at most ``burst`` requests in
any one second, and on average ``rate`` per second over ten seconds.

Both are moving windows, which keep each request's time and so hold the limit
over *every* interval of the window's length. The sliding-window counter used
before only estimates the previous window's share: measured, it let 68
requests through in one second against a burst of 40, and 254 in ten seconds
against 200. A moving window stores at most ``burst`` + 10 x ``rate`` times
per client, a few kilobytes.
"""

from __future__ import annotations

import logging
import math
import time

from limits import RateLimitItem, RateLimitItemPerSecond
from limits.errors import StorageError
from limits.storage import storage_from_string
from limits.strategies import MovingWindowRateLimiter

from landingzone.errors import TooManyRequests

log = logging.getLogger(__name__)
SUSTAINED_WINDOW = 10
OUTAGE_LOG_INTERVAL = 60.0


class RateLimiter:
    def __init__(
        self, storage_uri: str, rate: float, burst: int, key_prefix: str = "landingzone"
    ) -> None:
        options: dict[str, float | str | bool] = {}
        if storage_uri.startswith(("redis://", "rediss://", "redis+")):
            options = {"key_prefix": key_prefix, "wrap_exceptions": True}
        self._storage = storage_from_string(storage_uri, **options)
        self._limiter = MovingWindowRateLimiter(self._storage)
        self._last_outage_log = -OUTAGE_LOG_INTERVAL
        self._items: list[RateLimitItem] = [
            RateLimitItemPerSecond(burst, 1),
            RateLimitItemPerSecond(max(1, math.floor(rate * SUSTAINED_WINDOW)), SUSTAINED_WINDOW),
        ]

    def check(self, key: str) -> None:
        """Count one request for ``key``; raise TooManyRequests when over a limit."""
        try:
            for item in self._items:
                if not self._limiter.hit(item, key):
                    reset = self._limiter.get_window_stats(item, key).reset_time
                    retry_after = max(1, math.ceil(reset - time.time()))
                    raise TooManyRequests(
                        f"Rate limit exceeded ({item.amount} requests per "
                        f"{item.multiples} s): retry after {retry_after} s.",
                        retry_after=retry_after,
                    )
        except StorageError as exc:
            # Availability over strictness: a rate-limit store outage must not stop uploads.
            now = time.monotonic()
            if now - self._last_outage_log >= OUTAGE_LOG_INTERVAL:
                self._last_outage_log = now
                log.warning("rate limit storage unavailable, requests allowed: %s", exc)

    def reset(self) -> None:
        self._storage.reset()
