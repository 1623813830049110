"""Renders bench/RESULTS.md from the measurements."""

from __future__ import annotations

from collections.abc import Sequence

from bench.batch import BatchBenchResult, Run
from bench.bigput import PutBenchResult

BATCH_GOAL_RATE = 500.0
BATCH_GOAL_P99_MS = 10.0
PUT_GOAL_RATIO = 0.90
RSS_GOAL_MB = 100.0


def _table(header: Sequence[str], rows: Sequence[Sequence[object]]) -> list[str]:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(str(cell) for cell in row) + " |" for row in rows]
    return lines


def _verdict(ok: bool) -> str:
    return "**PASS**" if ok else "**MISS**"


def _mb(kib: int) -> float:
    return kib * 1024 / 1e6


def _batch_ok(run: Run) -> bool:
    return run.load.rate >= BATCH_GOAL_RATE and run.load.percentile_ms(99) < BATCH_GOAL_P99_MS


def summary_rows(batch: BatchBenchResult | None, put: PutBenchResult | None) -> list[list[str]]:
    rows: list[list[str]] = []
    if batch is not None:
        for workers in sorted({r.workers for r in batch.runs}):
            runs = batch.batch_runs(workers)
            if not runs:
                continue
            best = batch.headline(workers, BATCH_GOAL_P99_MS)
            peak = max(runs, key=lambda r: r.load.rate)
            assert best is not None
            label = "1 worker (serve default)" if workers == 1 else f"LZ_HTTP_WORKERS={workers}"
            measured = (
                f"{best.load.rate:.0f} batches/s, p50 {best.load.percentile_ms(50):.1f} ms, "
                f"p99 {best.load.percentile_ms(99):.1f} ms (c={best.load.concurrency}; "
                f"best run with p99 < {BATCH_GOAL_P99_MS:.0f} ms, else lowest p99). "
                f"Peak {peak.load.rate:.0f} batches/s at c={peak.load.concurrency} "
                f"(p99 {peak.load.percentile_ms(99):.1f} ms)"
            )
            rows.append(
                [
                    f"(a) 100-filename batches, {label}",
                    f">= {BATCH_GOAL_RATE:.0f} batches/s with p99 < {BATCH_GOAL_P99_MS:.0f} ms",
                    measured,
                    _verdict(any(_batch_ok(r) for r in runs)),
                ]
            )
    if put is not None and put.runs:
        dd = put.median_mb_per_s("dd")
        up = put.median_mb_per_s("put")
        rows.append(
            [
                "(b) 1 GiB PUT vs dd conv=fsync",
                f">= {PUT_GOAL_RATIO:.0%} of dd",
                f"PUT {up:.0f} MB/s vs dd {dd:.0f} MB/s (medians): {up / dd:.0%}",
                _verdict(up / dd >= PUT_GOAL_RATIO),
            ]
        )
        top = max(put.memory_after, key=lambda m: m.vm_hwm_kib)
        rows.append(
            [
                "(b) server peak RSS (max VmHWM over the group = the worker)",
                f"< {RSS_GOAL_MB:.0f} MB",
                f"{_mb(top.vm_hwm_kib):.1f} MB (pid {top.pid}); sum over the group "
                f"{_mb(sum(m.vm_hwm_kib for m in put.memory_after)):.1f} MB, "
                f"peak group PSS {_mb(put.peak_pss_sum_kib):.1f} MB",
                _verdict(_mb(top.vm_hwm_kib) < RSS_GOAL_MB),
            ]
        )
        rows.append(
            [
                "(b) PUT answered 200 with ETag = MD5 of the file",
                "every PUT",
                f"statuses {put.statuses}, ETag {'matches' if put.etags_ok else 'MISMATCH'}",
                "**PASS**" if put.etags_ok else "**FAIL**",
            ]
        )
    return rows


def _batch_section(batch: BatchBenchResult) -> list[str]:
    out = ["## (a) Batch requests: every run", ""]
    rows = []
    for run in batch.runs:
        load = run.load
        rows.append(
            [
                run.workers,
                "GET /healthz" if run.target == "healthz" else "GET .../upload (100 names)",
                load.concurrency,
                f"{load.duration_s:.1f}",
                load.requests,
                f"{load.rate:.0f}",
                f"{load.percentile_ms(50):.2f}",
                f"{load.percentile_ms(90):.2f}",
                f"{load.percentile_ms(99):.2f}",
                f"{load.percentile_ms(100):.2f}",
                f"{load.client_cpu_fraction:.1%}",
                f"{load.client_us_per_request:.0f}",
                f"{run.server_cores:.2f} ({' + '.join(f'{c:.2f}' for c in run.worker_cores)})",
                ", ".join(f"{k}: {v}" for k, v in sorted(load.statuses.items())),
            ]
        )
    out += _table(
        [
            "workers",
            "request",
            "conns",
            "s",
            "requests",
            "req/s",
            "p50 ms",
            "p90 ms",
            "p99 ms",
            "max ms",
            "client CPU (of 1 core)",
            "client us/req",
            "server cores busy (per worker)",
            "statuses",
        ],
        rows,
    )
    out.append("")
    batch_runs = [r for r in batch.runs if r.target == "batch"]
    controls = [r for r in batch.runs if r.target == "healthz"]
    if batch_runs and controls:
        worst = max(r.load.client_us_per_request for r in batch_runs)
        fastest = max(controls, key=lambda r: r.load.rate)
        peak_cpu = max(r.load.client_cpu_fraction for r in batch_runs)
        out += [
            "**Was the client the bottleneck?** No. The client is one asyncio thread "
            "sending pre-encoded keep-alive requests (bench/loadgen.py). Against the batch "
            f"route it spent at most {worst:.0f} us of CPU per batch (at most "
            f"{peak_cpu:.1%} of one core in any run), so "
            f"{BATCH_GOAL_RATE:.0f} batches/s would cost it about "
            f"{worst * BATCH_GOAL_RATE / 1e6:.0%} of a core. The same client drove "
            f"{fastest.load.rate:.0f} req/s against /healthz "
            f"(workers={fastest.workers}), {fastest.load.rate / BATCH_GOAL_RATE:.0f}x the "
            "batch goal. Meanwhile the server group kept the cores busy shown above: on "
            "2 cores the client takes only the few percent listed from the server.",
            "",
            "With several workers, each keep-alive connection stays on the worker that "
            "accepted it, so with few connections the split can be uneven (see the "
            "per-worker cores): a run where one worker did all the work measures one worker.",
            "",
        ]
    if batch.problems:
        out += ["Problems:", "", *[f"- {p}" for p in batch.problems], ""]
    return out


def _put_section(put: PutBenchResult) -> list[str]:
    out = ["## (b) 1 GiB PUT vs dd: every copy", ""]
    out += _table(
        ["round", "order in round", "copy", "seconds", "MB/s"],
        [
            [
                r.round,
                r.order,
                "dd bs=1M conv=fsync" if r.tool == "dd" else "curl -T (PUT, signed URL)",
                f"{r.seconds:.2f}",
                f"{r.mb_per_s:.0f}",
            ]
            for r in put.runs
        ],
    )
    dd = put.median_mb_per_s("dd")
    up = put.median_mb_per_s("put")
    md5 = put.hash_mb_per_s.get("md5", float("nan"))
    sha = put.hash_mb_per_s.get("sha256", float("nan"))
    out += [
        "",
        f"Size {put.size} bytes (MB = 10^6 bytes). Medians: dd {dd:.0f} MB/s, "
        f"PUT {up:.0f} MB/s, ratio {up / dd:.0%}. "
        f"dd runs: {', '.join(f'{v:.0f}' for v in put.rates('dd'))}; "
        f"PUT runs: {', '.join(f'{v:.0f}' for v in put.rates('put'))} MB/s.",
        "",
        f"Hashing ceilings measured in the same run on the same file, one core each: "
        f"MD5 {md5:.0f} MB/s, SHA-256 {sha:.0f} MB/s. MD5 cannot be split across "
        f"cores (each block depends on the previous state), so a PUT that must answer "
        f"the MD5 ETag cannot beat {md5:.0f} MB/s on this CPU: at most "
        f"{md5 / dd:.0%} of this run's dd, before any HTTP, SHA-256 or write cost.",
        "",
        "Server memory (process group of `landingzone serve`; VmHWM = peak RSS of the "
        "process's life, so the 'after' column covers startup and every PUT):",
        "",
    ]
    before = {m.pid: m for m in put.memory_before}
    rows = []
    for m in put.memory_after:
        leader = m.pid == put.server_pgid
        role = "main (`landingzone serve`, granian supervisor)" if leader else "worker"
        first = before.get(m.pid)
        rows.append(
            [
                m.pid,
                role,
                f"{_mb(first.vm_hwm_kib):.1f}" if first else "?",
                f"{_mb(m.vm_hwm_kib):.1f}",
                f"{_mb(m.vm_rss_kib):.1f}",
            ]
        )
    out += _table(
        ["pid", "process", "VmHWM before PUTs MB", "VmHWM after PUTs MB", "VmRSS after MB"], rows
    )
    out += [
        "",
        f"Sampled every 50 ms during the PUTs: peak sum of VmRSS over the group "
        f"{_mb(put.peak_rss_sum_kib):.1f} MB, peak sum of PSS {_mb(put.peak_pss_sum_kib):.1f} "
        "MB (PSS splits pages shared by the forked worker and its parent, so it does not "
        "count them twice). The goal is checked against the largest single process "
        "(the worker, which receives the body).",
        "",
    ]
    return out


def render(
    command: str,
    facts: dict[str, str],
    batch: BatchBenchResult | None,
    put: PutBenchResult | None,
) -> str:
    out = [
        "# Benchmark results",
        "",
        f"Written by `{command}` (what `make bench` runs first) on {facts['date']}. Each run "
        "rewrites sections (a) and (b); the later sections belong to `bench.validation` and "
        "`bench.uploadapi`, whose runs replace only their own (each names its command and "
        "date). See bench/README.md for what is measured and the caveats.",
        "",
        "## Machine",
        "",
        *_table(["fact", "value"], list(facts.items())),
        "",
        "## Goals",
        "",
        *_table(["benchmark", "goal", "measured", "result"], summary_rows(batch, put)),
        "",
    ]
    if batch is not None:
        out += _batch_section(batch)
    if put is not None and put.runs:
        out += _put_section(put)
    return "\n".join(out).rstrip() + "\n"
