"""Benchmark: the receiving process's memory during one large PUT from a fast client.

Goal (issue 12): the HTTP worker that receives a PUT stays within 40 MB of its
idle RSS, even when the client sends faster than the server hashes and writes.
The client here is a raw socket writing one 1 MiB buffer over and over (no
file reads, no TLS), so it sends as fast as loopback takes bytes: several
times faster than the server's MD5 (one core, ~600-700 MB/s) and its durable
writes. Memory is sampled from /proc every 20 ms for every process of the
server's group; the worker's peak RSS minus its idle RSS is the result.

    .venv/bin/python -m bench.put_memory [--size-mib 1024] [--rounds 2]
        [--client socket|curl] [--slow-disk MBPS]

``--slow-disk`` makes the disk the bottleneck: the server's object writes are
throttled (bench/slowdisk/sitecustomize.py) while the client keeps sending.

Appends nothing: prints a Markdown table to paste into bench/RESULTS.md.
"""

from __future__ import annotations

import argparse
import socket
import subprocess
import tempfile
import threading
import time
import urllib.parse
from pathlib import Path

from bench import procinfo
from bench.bigput import signed_url
from bench.server import ServerProcess

MIB = 1024 * 1024
GOAL_MB = 40.0


class Sampler:
    """Peak VmRSS per pid of a process group, every ``interval`` seconds."""

    def __init__(self, pgid: int, interval: float = 0.02) -> None:
        self.pgid = pgid
        self.interval = interval
        self.peak_kib: dict[int, int] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, daemon=True)

    def snapshot(self) -> dict[int, int]:
        found = {}
        for pid in procinfo.group_members(self.pgid):
            memory = procinfo.memory(pid)
            if memory is not None:
                found[pid] = memory.vm_rss_kib
        return found

    def _loop(self) -> None:
        while not self._stop.is_set():
            for pid, rss in self.snapshot().items():
                self.peak_kib[pid] = max(self.peak_kib.get(pid, 0), rss)
            self._stop.wait(self.interval)

    def __enter__(self) -> Sampler:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        self._thread.join()


def fast_put(url: str, size: int) -> tuple[int, float]:
    """PUT ``size`` bytes as fast as the socket takes them; (status, seconds)."""
    parts = urllib.parse.urlsplit(url)
    block = memoryview(bytes(range(256)) * (MIB // 256))
    started = time.perf_counter()
    with socket.create_connection((parts.hostname or "127.0.0.1", parts.port or 80)) as sock:
        head = (
            f"PUT {parts.path}?{parts.query} HTTP/1.1\r\nHost: {parts.netloc}\r\n"
            f"Content-Length: {size}\r\nConnection: close\r\n\r\n"
        )
        sock.sendall(head.encode())
        remaining = size
        while remaining:
            chunk = block[: min(MIB, remaining)]
            sock.sendall(chunk)
            remaining -= len(chunk)
        answer = b""
        while data := sock.recv(65536):
            answer += data
    status = int(answer.split(b" ", 2)[1]) if answer.startswith(b"HTTP/") else 0
    return status, time.perf_counter() - started


def curl_put(url: str, size: int, workdir: Path) -> tuple[int, float]:
    """``curl -T`` of a ``size``-byte file (sparse: reads cost nothing)."""
    source = workdir / "source.bin"
    with source.open("wb") as out:
        out.truncate(size)
    started = time.perf_counter()
    done = subprocess.run(
        ["curl", "-sS", "-T", str(source), "-o", "/dev/null", "-w", "%{http_code}", url],
        check=True, capture_output=True, text=True,
    )  # fmt: skip
    source.unlink()
    return int(done.stdout.strip() or 0), time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size-mib", type=int, default=1024)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--client", choices=["socket", "curl"], default="socket")
    parser.add_argument(
        "--slow-disk",
        type=float,
        default=0,
        metavar="MBPS",
        help="throttle the server's object writes to MBPS MB/s (bench/slowdisk)",
    )
    args = parser.parse_args()
    size = args.size_mib * MIB
    rows = []
    with tempfile.TemporaryDirectory(prefix="lz-put-memory-") as workdir:
        env = {"LZ_VALIDATION_WORKERS": "0"}
        if args.slow_disk:
            env["PYTHONPATH"] = str(Path(__file__).parent / "slowdisk")
            env["LZ_BENCH_DISK_MBPS"] = str(args.slow_disk)
        server = ServerProcess(Path(workdir) / "data", env)
        with server:
            token = server.token()
            sampler = Sampler(server.pgid)
            for round_ in range(1, args.rounds + 1):
                url = signed_url(server, token, f"big-{round_}.bin")
                time.sleep(1.0)  # let the previous round's memory settle
                idle = sampler.snapshot()
                sampler.peak_kib = {}
                with sampler:
                    if args.client == "curl":
                        status, seconds = curl_put(url, size, Path(workdir))
                    else:
                        status, seconds = fast_put(url, size)
                worker = max(idle, key=lambda pid: sampler.peak_kib.get(pid, 0) - idle[pid])
                growth_mb = (sampler.peak_kib.get(worker, 0) - idle[worker]) * 1024 / 1e6
                rows.append((round_, status, size / seconds / 1e6, idle[worker] * 1024 / 1e6,
                             growth_mb))  # fmt: skip
                sampler = Sampler(server.pgid)
    client = "curl -T" if args.client == "curl" else "a raw-socket client (1 MiB sendall loop)"
    disk = f", object writes throttled to {args.slow_disk:g} MB/s" if args.slow_disk else ""
    print(f"\n{args.size_mib} MiB PUT from {client}{disk}:\n")
    print("| round | status | client MB/s | worker idle RSS MB | worker peak - idle MB | goal |")
    print("|---|---|---|---|---|---|")
    for round_, status, rate, idle_mb, growth in rows:
        verdict = "PASS" if growth <= GOAL_MB and status == 200 else "MISS"
        print(f"| {round_} | {status} | {rate:.0f} | {idle_mb:.1f} | {growth:.1f} | "
              f"<= {GOAL_MB:.0f}: **{verdict}** |")  # fmt: skip


if __name__ == "__main__":
    main()
