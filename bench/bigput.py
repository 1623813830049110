"""Benchmark (b): one large PUT through the object endpoint vs `dd conv=fsync`.

Both copy the same source file into the same filesystem (the server's data
directory) and both end with the bytes fsynced, so `dd` is the durable-write
limit of this disk and the PUT is measured against it in the same run.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import statistics
import subprocess
import threading
import time
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

from bench import procinfo
from bench.server import ServerProcess

MIB = 1024 * 1024
UPLOAD_PATH = "/services/push/v1/customer/apps/myAppId/upload"


@dataclass(frozen=True)
class CopyRun:
    tool: str  # "dd" or "put"
    round: int
    order: int  # 1 = first copy of its round
    seconds: float
    size: int

    @property
    def mb_per_s(self) -> float:
        return self.size / self.seconds / 1e6


@dataclass
class PutBenchResult:
    size: int
    source_md5: str
    runs: list[CopyRun] = field(default_factory=list)
    etags_ok: bool = True
    statuses: list[int] = field(default_factory=list)
    etags: list[str] = field(default_factory=list)
    hash_mb_per_s: dict[str, float] = field(default_factory=dict)
    memory_before: list[procinfo.ProcMemory] = field(default_factory=list)
    memory_after: list[procinfo.ProcMemory] = field(default_factory=list)
    peak_pss_sum_kib: int = 0
    peak_rss_sum_kib: int = 0
    server_pgid: int = -1

    def rates(self, tool: str) -> list[float]:
        return [r.mb_per_s for r in self.runs if r.tool == tool]

    def median_mb_per_s(self, tool: str) -> float:
        return statistics.median(self.rates(tool))


def make_source(path: Path, size: int) -> str:
    """Write ``size`` random (incompressible) bytes, fsync them; return their MD5 hex."""
    md5 = hashlib.md5(usedforsecurity=False)
    with path.open("wb") as out:
        remaining = size
        while remaining:
            block = os.urandom(min(MIB, remaining))
            md5.update(block)
            out.write(block)
            remaining -= len(block)
        out.flush()
        os.fsync(out.fileno())
    return md5.hexdigest()


def warm(path: Path) -> None:
    """Read the file through so both copies start with the source in the page cache."""
    with path.open("rb", buffering=0) as source:
        while source.read(8 * MIB):
            pass


def run_dd(source: Path, target: Path) -> float:
    started = time.perf_counter()
    subprocess.run(
        ["dd", f"if={source}", f"of={target}", "bs=1M", "conv=fsync", "status=none"],
        check=True,
    )
    elapsed = time.perf_counter() - started
    target.unlink()
    return elapsed


def signed_url(server: ServerProcess, token: str, filename: str) -> str:
    query = urllib.parse.urlencode({"filenames": filename})
    request = urllib.request.Request(
        f"{server.url}{UPLOAD_PATH}?{query}", headers={"Authorization": f"Bearer {token}"}
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        url: str = json.load(response)[filename]
        return url


class MemorySampler:
    """Samples the server group's RSS and PSS sums every ``interval`` seconds."""

    def __init__(self, pgid: int, interval: float = 0.05) -> None:
        self.pgid = pgid
        self.interval = interval
        self.peak_rss_kib = 0
        self.peak_pss_kib = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, daemon=True)

    def __enter__(self) -> MemorySampler:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        self._thread.join()

    def _loop(self) -> None:
        while not self._stop.is_set():
            pids = procinfo.group_members(self.pgid)
            rss = sum(m.vm_rss_kib for p in pids if (m := procinfo.memory(p)) is not None)
            pss = sum(procinfo.pss_kib(p) for p in pids)
            self.peak_rss_kib = max(self.peak_rss_kib, rss)
            self.peak_pss_kib = max(self.peak_pss_kib, pss)
            self._stop.wait(self.interval)


def run_put(source: Path, url: str, headers_file: Path) -> tuple[float, int, str]:
    """`curl -T source url`; returns (seconds, HTTP status, ETag without quotes)."""
    started = time.perf_counter()
    command = ["curl", "-sS", "-T", str(source), "-D", str(headers_file)]
    command += ["-o", "/dev/null", "-w", "%{http_code}", url]
    completed = subprocess.run(
        command,
        check=True,
        capture_output=True,
        text=True,
    )
    elapsed = time.perf_counter() - started
    status = int(completed.stdout.strip() or 0)
    etag = ""
    for line in headers_file.read_text("latin-1").splitlines():
        name, _, value = line.partition(":")
        if name.strip().lower() == "etag":
            etag = value.strip().strip('"')
    return elapsed, status, etag


def drop_stored_objects(data_dir: Path) -> None:
    """Delete the committed object files (the benchmark does not need them back)."""
    for path in (data_dir / "objects").glob("*/*/*"):
        if re.fullmatch(r"[0-9a-f]{32}", path.name):
            path.unlink()


def hash_ceilings(path: Path) -> dict[str, float]:
    """Single-core MD5 and SHA-256 throughput (MB/s) over the (cached) source file."""
    rates = {}
    for name in ("md5", "sha256"):
        digest = hashlib.new(name, usedforsecurity=False)
        busy = 0.0
        with path.open("rb", buffering=0) as source:
            while block := source.read(MIB):
                started = time.perf_counter()
                digest.update(block)
                busy += time.perf_counter() - started
        rates[name] = path.stat().st_size / busy / 1e6
    return rates


def prime(source: Path, scratch: Path) -> None:
    """Write and delete a throwaway copy right before a timed copy (see README: the VM
    hands freed memory back to the host, and re-faulting it bills whichever copy comes
    first after a pause; priming gives dd and the PUT the same recently freed pages)."""
    subprocess.run(["dd", f"if={source}", f"of={scratch}", "bs=1M", "status=none"], check=True)
    scratch.unlink()


def run_put_bench(workdir: Path, size: int, rounds: int) -> PutBenchResult:
    source = workdir / "source.bin"
    data_dir = workdir / "put-data"
    print(f"[put] generating {size} random bytes in {source} ...", flush=True)
    md5 = make_source(source, size)
    result = PutBenchResult(size=size, source_md5=md5)
    try:
        warm(source)
        result.hash_mb_per_s = hash_ceilings(source)
        with ServerProcess(data_dir) as server:
            token = server.token()
            result.server_pgid = server.pgid
            result.memory_before = server.memory()
            for round_no in range(1, rounds + 1):
                # Alternate the order so a systematic first/second effect shows up.
                order = ("dd", "put") if round_no % 2 else ("put", "dd")
                for position, tool in enumerate(order, start=1):
                    warm(source)
                    os.sync()
                    prime(source, data_dir / "prime.bin")
                    if tool == "dd":
                        seconds = run_dd(source, data_dir / "dd-out.bin")
                    else:
                        seconds = _one_put(server, token, source, round_no, workdir, result)
                    run = CopyRun(tool, round_no, position, seconds, size)
                    result.runs.append(run)
                    print(
                        f"[put] round {round_no} #{position} {tool:>3}: "
                        f"{run.mb_per_s:7.1f} MB/s ({seconds:.2f} s)",
                        flush=True,
                    )
            result.memory_after = server.memory()
    finally:
        source.unlink(missing_ok=True)
        if (data_dir / "objects").exists():
            drop_stored_objects(data_dir)
    return result


def _one_put(
    server: ServerProcess,
    token: str,
    source: Path,
    round_no: int,
    workdir: Path,
    result: PutBenchResult,
) -> float:
    url = signed_url(server, token, f"big-{round_no}.bin")
    with MemorySampler(server.pgid) as sampler:
        seconds, status, etag = run_put(source, url, workdir / f"put-{round_no}.headers")
    result.peak_rss_sum_kib = max(result.peak_rss_sum_kib, sampler.peak_rss_kib)
    result.peak_pss_sum_kib = max(result.peak_pss_sum_kib, sampler.peak_pss_kib)
    result.statuses.append(status)
    result.etags.append(etag)
    if status != 200 or etag != result.source_md5:
        result.etags_ok = False
    drop_stored_objects(server.data_dir)
    return seconds
