"""A small, fast closed-loop HTTP/1.1 load generator (asyncio protocols, keep-alive).

Each of ``concurrency`` connections sends one pre-encoded request, waits for
the whole response (framed by Content-Length), records its latency and sends
the next one, until the deadline. No HTTP library sits in the loop: a request
costs the client one ``write`` and a couple of ``data_received`` calls, so a
single client core can drive far more requests than the server answers (the
benchmark checks this by measuring the client's own CPU time, and by running
the same client against a trivial endpoint).

Only loopback targets are accepted.
"""

from __future__ import annotations

import asyncio
import math
import time
from collections import Counter
from dataclasses import dataclass, field
from urllib.parse import urlsplit

LOOPBACK = {"127.0.0.1", "localhost", "::1"}


@dataclass
class LoadResult:
    concurrency: int
    duration_s: float
    latencies_ns: list[int] = field(default_factory=list)
    statuses: Counter[int] = field(default_factory=Counter)
    response_bytes: int = 0
    client_cpu_s: float = 0.0
    errors: list[str] = field(default_factory=list)

    @property
    def requests(self) -> int:
        return len(self.latencies_ns)

    @property
    def rate(self) -> float:
        return self.requests / self.duration_s if self.duration_s else 0.0

    def percentile_ms(self, pct: float) -> float:
        """Nearest-rank percentile of the recorded latencies, in milliseconds."""
        if not self.latencies_ns:
            return float("nan")
        ordered = sorted(self.latencies_ns)
        rank = max(1, min(len(ordered), math.ceil(pct / 100 * len(ordered))))
        return ordered[rank - 1] / 1e6

    @property
    def client_us_per_request(self) -> float:
        return self.client_cpu_s / self.requests * 1e6 if self.requests else float("nan")

    @property
    def client_cpu_fraction(self) -> float:
        """Share of one core the client used during the measured window."""
        return self.client_cpu_s / self.duration_s if self.duration_s else 0.0


def build_request(url: str, headers: dict[str, str] | None = None) -> tuple[str, int, bytes]:
    """(host, port, raw request bytes) for a keep-alive GET of ``url``."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    if parts.scheme != "http" or host not in LOOPBACK:
        raise ValueError(f"refusing to load-test {url!r}: loopback http only")
    port = parts.port or 80
    target = parts.path + (f"?{parts.query}" if parts.query else "")
    lines = [f"GET {target} HTTP/1.1", f"Host: {parts.netloc}", "Connection: keep-alive"]
    lines += [f"{name}: {value}" for name, value in (headers or {}).items()]
    return host, port, ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")


class _Connection(asyncio.Protocol):
    def __init__(self, request: bytes, state: _RunState) -> None:
        self.request = request
        self.state = state
        self.transport: asyncio.Transport | None = None
        self.buffer = bytearray()
        self.body_end = -1  # offset in buffer where the current response ends
        self.sent_at = 0
        self.status = 0
        self.done: asyncio.Future[None] = asyncio.get_running_loop().create_future()

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport
        self._send()

    def _send(self) -> None:
        assert self.transport is not None
        self.sent_at = time.perf_counter_ns()
        self.transport.write(self.request)

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        while True:
            if self.body_end < 0:
                header_end = self.buffer.find(b"\r\n\r\n")
                if header_end < 0:
                    return
                self.body_end = header_end + 4 + _content_length(self.buffer, header_end)
                self.status = int(self.buffer[9:12])
            if len(self.buffer) < self.body_end:
                return
            now = time.perf_counter_ns()
            self.state.record(self.status, now - self.sent_at, self.body_end, self.sent_at)
            del self.buffer[: self.body_end]
            self.body_end = -1
            if now >= self.state.deadline_ns:
                self._finish()
                return
            self._send()

    def _finish(self) -> None:
        if self.transport is not None:
            self.transport.close()
        if not self.done.done():
            self.done.set_result(None)

    def connection_lost(self, exc: Exception | None) -> None:
        if not self.done.done():
            if time.perf_counter_ns() < self.state.deadline_ns:
                self.state.errors.append(f"connection lost early: {exc!r}")
            self.done.set_result(None)


def _content_length(buffer: bytearray, header_end: int) -> int:
    head = bytes(buffer[:header_end]).lower()
    start = head.find(b"\r\ncontent-length:")
    if start < 0:
        raise ValueError("response without Content-Length (chunked is not supported)")
    end = head.find(b"\r\n", start + 2)
    return int(head[start + 17 : end if end >= 0 else None])


class _RunState:
    def __init__(self, warmup_ns: int, deadline_ns: int) -> None:
        self.measure_from_ns = warmup_ns
        self.deadline_ns = deadline_ns
        self.latencies: list[int] = []
        self.statuses: Counter[int] = Counter()
        self.response_bytes = 0
        self.errors: list[str] = []

    def record(self, status: int, latency_ns: int, size: int, sent_at_ns: int) -> None:
        # Only requests sent after the warm-up and answered before the deadline count.
        if sent_at_ns >= self.measure_from_ns:
            self.latencies.append(latency_ns)
            self.statuses[status] += 1
            self.response_bytes += size


async def _run(
    url: str, headers: dict[str, str], concurrency: int, duration_s: float, warmup_s: float
) -> LoadResult:
    host, port, request = build_request(url, headers)
    loop = asyncio.get_running_loop()
    start = time.perf_counter_ns()
    measure_from = start + int(warmup_s * 1e9)
    state = _RunState(measure_from, measure_from + int(duration_s * 1e9))
    connections = []
    for _ in range(concurrency):
        _, protocol = await loop.create_connection(lambda: _Connection(request, state), host, port)
        connections.append(protocol)
    await asyncio.sleep(max(0.0, (measure_from - time.perf_counter_ns()) / 1e9))
    cpu_start = time.process_time()
    wall_start = time.perf_counter_ns()
    await asyncio.gather(*(c.done for c in connections))
    # The window closes when the last in-flight response arrives after the deadline.
    cpu_end = time.process_time()
    wall_end = time.perf_counter_ns()
    return LoadResult(
        concurrency=concurrency,
        duration_s=(wall_end - wall_start) / 1e9,
        latencies_ns=state.latencies,
        statuses=state.statuses,
        response_bytes=state.response_bytes,
        client_cpu_s=cpu_end - cpu_start,
        errors=state.errors,
    )


def run_load(
    url: str,
    headers: dict[str, str] | None = None,
    concurrency: int = 4,
    duration_s: float = 10.0,
    warmup_s: float = 1.0,
) -> LoadResult:
    """Hammer ``url`` (loopback only) with ``concurrency`` keep-alive connections."""
    return asyncio.run(_run(url, headers or {}, concurrency, duration_s, warmup_s))
