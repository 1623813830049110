"""The admin listings on a large catalog (issue 14): files and audit log, SQLite and PostgreSQL.

.venv/bin/python -m bench.admin_catalog [--files 1000000] [--audit 2000000] [--requests 200]

For each database: a fresh one (SQLite in a temporary directory; on PostgreSQL a
throwaway `lz_bench_<hex>` database, dropped at the end), migrated by the project's
migrations, seeded in bulk (bench/catalog_seed.py), then a real `landingzone serve`
on it (validation workers off, so nothing changes the rows). With an operator
client's token, each case (`GET /admin/v1/files` and `GET /admin/v1/audit`: the
first page, a page from a cursor deep in the data, filtered pages) is requested
``--requests`` times in a row over one keep-alive connection after a short warm-up;
latency is the client's, from sending to the last byte. Goal: p99 under 50 ms.

At the default (full) size it writes its section of bench/RESULTS.md between
markers; smaller runs only print (`--write` forces it).
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import httpx
import psycopg
from sqlalchemy import select

from bench import machine
from bench.catalog_seed import Catalog, seed
from bench.sections import write_section
from bench.server import ServerProcess
from landingzone.bootstrap import Services
from landingzone.db.tables import audit_log, files
from landingzone.domain.audit_log import CURSOR_KIND as AUDIT_CURSOR
from landingzone.domain.catalog import FILE_CURSOR, keyset_cursor
from landingzone.domain.paging import encode_cursor
from landingzone.settings import Settings
from landingzone.timeutil import as_utc, iso_z, utcnow

RESULTS = Path(__file__).resolve().parent / "RESULTS.md"
START, END = "<!-- admin-catalog:start -->", "<!-- admin-catalog:end -->"
GOAL_MS = 50.0
FULL_FILES, FULL_AUDIT = 1_000_000, 2_000_000
PG_ADMIN_DSN = "host=127.0.0.1 port=5432 user=postgres dbname=postgres connect_timeout=3"
DEPTH = 0.9  # the deep cursor points 90% of the way into the (filtered) listing
WARM_UP = 5


@dataclass(frozen=True)
class Case:
    path: str
    label: str
    params: dict[str, str]


@dataclass(frozen=True)
class Measured:
    case: Case
    items: int
    p50: float
    p95: float
    p99: float
    worst: float


@contextmanager
def database(kind: str, work: Path) -> Iterator[str]:
    """A new, empty database of ``kind``; a PostgreSQL one is dropped afterwards."""
    if kind == "sqlite":
        yield f"sqlite:///{work / 'meta.db'}"
        return
    name = f"lz_bench_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(PG_ADMIN_DSN, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    try:
        yield f"postgresql://postgres@127.0.0.1:5432/{name}"
    finally:
        with psycopg.connect(PG_ADMIN_DSN, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def deep_file_cursor(services: Services, depth: int, customer_id: int | None = None) -> str:
    """The cursor the listing hands out after the row ``depth`` rows in, newest first."""
    query = select(files.c.created_at, files.c.id)
    if customer_id is not None:
        query = query.where(files.c.customer_id == customer_id)
    query = query.order_by(files.c.created_at.desc(), files.c.id.desc()).offset(depth).limit(1)
    with services.engine.connect() as conn:
        created, file_id = conn.execute(query).one()
    return keyset_cursor(FILE_CURSOR, as_utc(created), file_id)


def deep_audit_cursor(services: Services, depth: int, customer_id: int | None = None) -> str:
    query = select(audit_log.c.id)
    if customer_id is not None:
        query = query.where(audit_log.c.customer_id == customer_id)
    query = query.order_by(audit_log.c.id.desc()).offset(depth).limit(1)
    with services.engine.connect() as conn:
        return encode_cursor(AUDIT_CURSOR, conn.execute(query).scalar_one())


def count_files(services: Services, customer_id: int) -> int:
    from sqlalchemy import func

    with services.engine.connect() as conn:
        return int(
            conn.execute(
                select(func.count()).select_from(files).where(files.c.customer_id == customer_id)
            ).scalar_one()
        )


def cases(services: Services, catalog: Catalog) -> list[Case]:
    big_id, big = catalog.customers[0]
    _, small = catalog.customers[int(len(catalog.customers) * 0.75)]
    newest = catalog.newest
    week, year = iso_z(newest - timedelta(days=7)), iso_z(newest - timedelta(days=365))
    recent = iso_z(newest - timedelta(minutes=10))
    day = iso_z(newest - timedelta(days=1))
    rare_type = catalog.dataset_names[-1]
    f, a = "/admin/v1/files", "/admin/v1/audit"
    big_depth = int(count_files(services, big_id) * DEPTH)
    return [
        # The floor: the same stack, token and JSON on a 5-row table, not the catalog.
        Case("/admin/v1/datasets", "control: 5 dataset types, not the catalog", {}),
        Case(f, "first page", {}),
        Case(f, f"deep cursor ({DEPTH:.0%} in)", {
            "cursor": deep_file_cursor(services, int(catalog.files * DEPTH))}),
        Case(f, "customer (the biggest)", {"customer": big}),
        Case(f, "customer (a small one)", {"customer": small}),
        Case(f, f"customer (the biggest), deep cursor ({DEPTH:.0%} in)", {
            "customer": big, "cursor": deep_file_cursor(services, big_depth, big_id)}),
        Case(f, "status=Failed", {"status": "Failed"}),
        Case(f, "status=Pending (a few rows)", {"status": "Pending"}),
        Case(f, "customer + status=Failed", {"customer": big, "status": "Failed"}),
        Case(f, f"datasetType={rare_type} (5%)", {"datasetType": rare_type}),
        Case(f, f"customer (the biggest) + datasetType={rare_type}", {
            "customer": big, "datasetType": rare_type}),
        Case(f, f"status=Failed + datasetType={rare_type}", {
            "status": "Failed", "datasetType": rare_type}),
        Case(f, "since 7 days ago", {"since": week}),
        Case(f, "since 1 year ago", {"since": year}),
        Case(f, "since 10 minutes ago (under a page)", {"since": recent}),
        Case(f, "customer (small) + since 7 days ago", {"customer": small, "since": week}),
        Case(a, "first page", {}),
        Case(a, f"deep cursor ({DEPTH:.0%} in)", {
            "cursor": deep_audit_cursor(services, int(catalog.audit * DEPTH))}),
        Case(a, "customer (the biggest)", {"customer": big}),
        Case(a, "customer (a small one)", {"customer": small}),
        Case(a, "action=file.retry (6%)", {"action": "file.retry"}),
        Case(a, "action=dataset.add (0.1%)", {"action": "dataset.add"}),
        Case(a, "actor=cli", {"actor": "cli"}),
        Case(a, "since 1 day ago", {"since": day}),
        Case(a, "since 1 minute ago (no rows)", {"since": iso_z(utcnow() - timedelta(minutes=1))}),
        Case(a, "customer (the biggest) + since 1 minute ago (no rows)", {
            "customer": big, "since": iso_z(utcnow() - timedelta(minutes=1))}),
        Case(a, "customer (small) + action=file.retry", {
            "customer": small, "action": "file.retry"}),
        Case(a, "customer (small) + since 1 day ago", {"customer": small, "since": day}),
    ]  # fmt: skip


def operator_token(server: ServerProcess, catalog: Catalog) -> str:
    answer = httpx.post(
        f"{server.url}/oauth2/token",
        data={"grant_type": "client_credentials", "scope": "admin"},
        auth=(catalog.operator_id, catalog.operator_secret),
        timeout=10,
    )
    answer.raise_for_status()
    token: str = answer.json()["access_token"]
    return token


def percentile(sorted_ms: list[float], q: float) -> float:
    """Nearest-rank percentile."""
    rank = max(1, int(-(-q * len(sorted_ms) // 1)))
    return sorted_ms[min(rank, len(sorted_ms)) - 1]


def measure(http: httpx.Client, case: Case, requests: int) -> Measured:
    items = 0
    latencies: list[float] = []
    for i in range(WARM_UP + requests):
        started = time.perf_counter()
        answer = http.get(case.path, params=case.params)
        elapsed = (time.perf_counter() - started) * 1000
        if answer.status_code != 200:
            raise SystemExit(f"{case.path} {case.params}: {answer.status_code} {answer.text}")
        items = len(answer.json()["items"])
        if i >= WARM_UP:
            latencies.append(elapsed)
    latencies.sort()
    return Measured(
        case,
        items,
        statistics.median(latencies),
        percentile(latencies, 0.95),
        percentile(latencies, 0.99),
        latencies[-1],
    )


def run_database(kind: str, args: argparse.Namespace) -> tuple[Catalog, list[Measured]]:
    with (
        tempfile.TemporaryDirectory(prefix="lz-admin-catalog-", dir=args.workdir) as work,
        database(kind, Path(work)) as url,
    ):
        data_dir = Path(work) / "data"
        services = Services.build(Settings(data_dir=data_dir, database_url=url))
        try:
            print(f"{kind}: seeding {args.files:,} files, {args.audit:,} audit rows", flush=True)
            catalog = seed(services, args.files, args.audit, args.customers, args.seed)
            print(f"{kind}: seeded in " + ", ".join(
                f"{k} {v:.0f} s" for k, v in catalog.seconds.items()), flush=True)  # fmt: skip
            planned = cases(services, catalog)
        finally:
            services.engine.dispose()
        env = {"LZ_DATABASE_URL": url, "LZ_VALIDATION_WORKERS": "0", "LZ_DEMO": "false"}
        results = []
        with ServerProcess(data_dir, env) as server:
            headers = {"Authorization": f"Bearer {operator_token(server, catalog)}"}
            with httpx.Client(base_url=server.url, headers=headers, timeout=60) as http:
                for case in planned:
                    results.append(measure(http, case, args.requests))
                    print(f"{kind}: {row(kind, results[-1])}", flush=True)
    return catalog, results


def row(kind: str, m: Measured) -> str:
    verdict = "**PASS**" if m.p99 < GOAL_MS else "**MISS**"
    endpoint = m.case.path.rsplit("/", 1)[-1]
    return (
        f"| {kind} | {endpoint} | {m.case.label} | {m.items} | {m.p50:.1f} | {m.p95:.1f} | "
        f"{m.p99:.1f} | {m.worst:.1f} | {verdict} |"
    )


def report(
    command: str, facts: dict[str, str], runs: dict[str, tuple[Catalog, list[Measured]]], n: int
) -> list[str]:
    lines = ["", "## (f) Admin listings on a large catalog (issue 14)", ""]
    lines.append(
        f"`{command}` on {facts['date']}; {facts['nproc']} x {facts['CPU model']}, "
        f"{facts['memory']}, load {facts['load average at start (1/5/15 min)']} at start, "
        f"landingzone {facts['landingzone']}, python {facts['python']}, granian {facts['granian']}."
    )
    lines.append("")
    for kind, (catalog, _) in runs.items():
        seeded = ", ".join(f"{k} {v:.0f} s" for k, v in catalog.seconds.items())
        lines.append(
            f"- {kind}: {catalog.files:,} files and {catalog.audit:,} audit rows over "
            f"{len(catalog.customers)} customers and {len(catalog.dataset_names)} dataset "
            f"types, two years of `created_at`; seeded in {seeded}."
        )
    lines += [
        "",
        f"A real `landingzone serve` (one HTTP worker, validation off) on each database, an "
        f"operator client's token, {n} requests per case one after another over one "
        f"keep-alive connection after {WARM_UP} warm-up requests; pages of 50 (the default "
        f"limit). Times in ms, measured by the client. Goal: p99 < {GOAL_MS:.0f} ms.",
        "",
        "| database | endpoint | case | items | p50 | p95 | p99 | max | result |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for kind, (_, measured) in runs.items():
        lines += [row(kind, m) for m in measured]
    lines.append("")
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.admin_catalog")
    parser.add_argument("--files", type=int, default=FULL_FILES)
    parser.add_argument("--audit", type=int, default=FULL_AUDIT)
    parser.add_argument("--customers", type=int, default=200)
    parser.add_argument("--requests", type=int, default=200, help="timed requests per case")
    parser.add_argument("--databases", default="sqlite,postgresql")
    parser.add_argument("--seed", type=int, default=14)
    parser.add_argument("--workdir", default=None, help="where the SQLite database goes")
    parser.add_argument("--write", action="store_true", help="write bench/RESULTS.md at any size")
    args = parser.parse_args()
    facts = machine.facts(Path(args.workdir or tempfile.gettempdir()))
    runs = {kind: run_database(kind, args) for kind in args.databases.split(",")}
    command = "python -m bench.admin_catalog" + (
        "" if args.files == FULL_FILES and args.audit == FULL_AUDIT
        else f" --files {args.files} --audit {args.audit}"
    )  # fmt: skip
    lines = report(f".venv/bin/{command}", facts, runs, args.requests)
    print("\n".join(lines))
    if args.write or (args.files >= FULL_FILES and args.audit >= FULL_AUDIT):
        write_section(RESULTS, START, END, lines)


if __name__ == "__main__":
    main()
