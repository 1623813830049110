"""Benchmark (a): 100-filename batch requests against a real server process.

For each worker count, one fresh server: a sanity request, a control run of
the same client against ``/healthz`` (what the client and the HTTP stack can
do on a trivial route), then closed-loop runs of the batch request at each
concurrency level. Every run records the client's own CPU time and the
server process group's CPU time, so the report can show which side was
saturated.
"""

from __future__ import annotations

import json
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

from bench import procinfo
from bench.loadgen import LoadResult, run_load
from bench.server import ServerProcess

BATCH_SIZE = 100
APP_PATH = "/services/push/v1/customer/apps/myAppId/upload"
HEALTHZ_CONCURRENCY = 8


@dataclass(frozen=True)
class Run:
    workers: int
    target: str  # "batch" or "healthz"
    load: LoadResult
    server_cpu_s: dict[int, float]  # pid -> CPU seconds during the run
    supervisor_pid: int

    @property
    def server_cores(self) -> float:
        """Average number of cores the server process group kept busy."""
        return sum(self.server_cpu_s.values()) / self.load.duration_s

    @property
    def worker_cores(self) -> list[float]:
        """Cores kept busy by each worker process (connections stick to one worker)."""
        return [
            cpu / self.load.duration_s
            for pid, cpu in sorted(self.server_cpu_s.items())
            if pid != self.supervisor_pid
        ]


@dataclass
class BatchBenchResult:
    duration_s: float
    runs: list[Run] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)

    def batch_runs(self, workers: int) -> list[Run]:
        return [r for r in self.runs if r.workers == workers and r.target == "batch"]

    def control(self, workers: int) -> Run | None:
        return next((r for r in self.runs if r.workers == workers and r.target == "healthz"), None)

    def headline(self, workers: int, p99_limit_ms: float) -> Run | None:
        """The highest-throughput run whose p99 is within the limit (else the lowest p99)."""
        runs = self.batch_runs(workers)
        if not runs:
            return None
        within = [r for r in runs if r.load.percentile_ms(99) < p99_limit_ms]
        if within:
            return max(within, key=lambda r: r.load.rate)
        return min(runs, key=lambda r: r.load.percentile_ms(99))


def wait_for_workers(server: ServerProcess, workers: int, timeout: float = 20.0) -> None:
    """Granian runs one supervisor plus ``workers`` processes: wait until all are up."""
    deadline = time.monotonic() + timeout
    while len(server.memory()) < workers + 1:
        if time.monotonic() > deadline:
            raise RuntimeError(
                f"expected {workers} worker processes, the server group has "
                f"{len(server.memory())} processes in all (is LZ_HTTP_WORKERS still the setting?)"
            )
        time.sleep(0.1)
    time.sleep(0.5)  # let the last worker finish importing the app


def batch_url(base: str) -> str:
    query = "&".join(f"filenames=f{i}.csv" for i in range(BATCH_SIZE))
    return f"{base}{APP_PATH}?{query}"


def sanity_check(url: str, token: str) -> None:
    """One request by a different client: 200, and 100 URLs in request order."""
    request = urllib.request.Request(url, headers={"Authorization": f"Bearer {token}"})
    with urllib.request.urlopen(request, timeout=10) as response:
        urls = json.load(response)
    expected = [f"f{i}.csv" for i in range(BATCH_SIZE)]
    if list(urls) != expected or not all(u.startswith("http") for u in urls.values()):
        raise RuntimeError("the batch endpoint did not answer 100 signed URLs in order")


def _measured(
    server: ServerProcess,
    workers: int,
    target: str,
    url: str,
    headers: dict[str, str],
    concurrency: int,
    duration_s: float,
) -> Run:
    before = procinfo.group_cpu_seconds(server.pgid)
    load = run_load(url, headers, concurrency=concurrency, duration_s=duration_s)
    after = procinfo.group_cpu_seconds(server.pgid)
    used = {pid: cpu - before.get(pid, 0.0) for pid, cpu in after.items()}
    run = Run(workers, target, load, used, server.pgid)
    print(
        f"[batch] workers={workers} {target:>7} c={concurrency:<3} "
        f"{load.rate:8.1f} req/s  p50 {load.percentile_ms(50):6.2f} ms  "
        f"p99 {load.percentile_ms(99):6.2f} ms  client {load.client_cpu_fraction:5.1%} of a core  "
        f"server {run.server_cores:4.2f} cores "
        f"(workers {' + '.join(f'{c:.2f}' for c in run.worker_cores)})  "
        f"statuses {dict(load.statuses)}",
        flush=True,
    )
    return run


def run_batch_bench(
    workdir: Path, workers_list: list[int], concurrencies: list[int], duration_s: float
) -> BatchBenchResult:
    result = BatchBenchResult(duration_s=duration_s)
    for workers in workers_list:
        data_dir = workdir / f"batch-data-w{workers}"
        with ServerProcess(data_dir, {"LZ_HTTP_WORKERS": str(workers)}) as server:
            wait_for_workers(server, workers)
            token = server.token()
            headers = {"Authorization": f"Bearer {token}"}
            url = batch_url(server.url)
            sanity_check(url, token)
            runs = [
                _measured(
                    server,
                    workers,
                    "healthz",
                    f"{server.url}/healthz",
                    {},
                    HEALTHZ_CONCURRENCY,
                    duration_s,
                )
            ]
            for concurrency in concurrencies:
                runs.append(
                    _measured(server, workers, "batch", url, headers, concurrency, duration_s)
                )
            for run in runs:
                bad = {s: n for s, n in run.load.statuses.items() if s != 200}
                if bad or run.load.errors:
                    result.problems.append(
                        f"workers={workers} {run.target} c={run.load.concurrency}: "
                        f"non-200 {bad}, errors {run.load.errors[:3]}"
                    )
            result.runs.extend(runs)
    return result
