"""Seed a large catalog for bench.admin_catalog: files and audit rows, in bulk.

The schema comes from the project's own migrations (``Services.migrate``), so the
indexes are the ones an installation has; customers, dataset types and the operator
client are made through the use-cases. Only the bulk rows bypass them: PostgreSQL
gets them by ``COPY``, SQLite by ``executemany`` in large transactions (with
``synchronous=OFF`` on the seeding connection only; the server uses its own).

Rows are written in time order, as a live installation writes them: ``created_at``
(files) and ``at`` (audit) rise with the insertion order, spread over two years.
Customers are skewed (the biggest has ~100x the rows of the smallest), and so are
dataset types, statuses and audit actions.
"""

from __future__ import annotations

import random
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import psycopg
from sqlalchemy import Engine, Table, select

from landingzone.bootstrap import Services
from landingzone.db.files import EXPIRED_UNUSED
from landingzone.db.tables import audit_log, customers, dataset_types, files
from landingzone.timeutil import utcnow

SPAN = timedelta(days=730)
BATCH = 50_000
FILE_COLUMNS = (
    "id", "customer_id", "dataset_type_id", "dataset_name", "name", "file_type", "status",
    "failure_reason", "upload_id", "url_expires_at", "size", "sha256", "created_at",
    "uploaded_at", "started_at", "finished_at", "attempt", "rows_total", "rows_imported",
    "rows_rejected", "duration_ms", "error_count", "errors_truncated",
)  # fmt: skip
AUDIT_COLUMNS = ("at", "actor", "customer_id", "action", "target", "request_id", "outcome")
# Share of the dataset types' files, in the order of their names (5 shipped types).
DATASET_WEIGHTS = (0.05, 0.6, 0.15, 0.15, 0.05)
# Audit actions and their shares; None: the action names no customer.
AUDIT_ACTIONS: tuple[tuple[str, float, bool], ...] = (
    ("object.download", 0.55, True),
    ("user.signin", 0.30, True),
    ("file.retry", 0.06, True),
    ("client.create", 0.03, True),
    ("client.rotate", 0.02, True),
    ("app.create", 0.015, True),
    ("customer.update", 0.01, True),
    ("user.create", 0.01, True),
    ("client.disable", 0.004, True),
    ("dataset.add", 0.001, False),
)
BAD_ROWS = "too many bad rows: 3 rejected, at most 0 allowed (maxBadRecords)"


@dataclass(frozen=True)
class Catalog:
    """What was seeded: enough for the benchmark to pick its filters and cursors."""

    customers: list[tuple[int, str]]  # (id, name), biggest first
    dataset_names: list[str]
    operator_id: str
    operator_secret: str
    files: int
    audit: int
    seconds: dict[str, float]
    newest: datetime


def customer_weights(count: int) -> list[float]:
    """Zipf-like: customer k (from 1) has weight 1 / k^0.9, ~100x between ends at 200."""
    return [1 / (k**0.9) for k in range(1, count + 1)]


def _spread(rng: random.Random, count: int, newest: datetime) -> Iterator[datetime]:
    """``count`` times over SPAN ending at ``newest``, rising, with sub-second jitter."""
    start = newest - SPAN
    step = SPAN.total_seconds() / count
    for i in range(count):
        yield start + timedelta(seconds=i * step + rng.random() * step * 0.9)


def _file_row(
    rng: random.Random,
    created: datetime,
    customer_id: int,
    dataset: tuple[int, str],
    newest: datetime,
) -> tuple[Any, ...]:
    age = newest - created
    if age < timedelta(minutes=30):  # recent: still in flight
        status = rng.choice(("Pending", "Pending", "Processing", "Completed"))
    else:
        status = "Failed" if rng.random() < 0.08 else "Completed"
    # A Pending file either waits for its upload (its URL valid for hours yet, so
    # nothing expires during the benchmark) or is uploaded and queued.
    uploaded = status != "Pending" or rng.random() < 0.5
    expired_unused = status == "Failed" and rng.random() < 0.1
    if expired_unused:
        uploaded = False
    size = rng.randint(1_000, 50_000_000) if uploaded else None
    rows = size // 120 if size else None
    rejected = (rng.randint(1, 50) if status == "Failed" else 0) if rows else None
    done = status in ("Completed", "Failed")
    uploaded_at = created + timedelta(seconds=rng.uniform(1, 60)) if uploaded else None
    started = uploaded_at + timedelta(seconds=rng.uniform(0.1, 5)) if uploaded_at else None
    duration = rng.uniform(0.05, 60) if done and started else None
    failure = None
    if status == "Failed":
        failure = EXPIRED_UNUSED if expired_unused else BAD_ROWS
    return (
        str(uuid.UUID(int=rng.getrandbits(128), version=4)),
        customer_id,
        dataset[0],
        dataset[1],
        f"{dataset[1]}_{created:%Y-%m-%d_%H%M%S}.csv",
        "csv",
        status,
        failure,
        f"{rng.getrandbits(128):032x}",
        created + timedelta(hours=6),
        size,
        f"{rng.getrandbits(256):064x}" if uploaded else None,
        created,
        uploaded_at,
        started if status != "Pending" else None,
        started + timedelta(seconds=duration) if started and duration is not None else None,
        1 if started and status != "Pending" else 0,
        rows if done else None,
        rows - (rejected or 0) if done and rows is not None else None,
        rejected if done else None,
        int(duration * 1000) if duration is not None else None,
        rejected or 0,
        bool(rejected and rejected > 10),
    )


def file_rows(
    rng: random.Random,
    count: int,
    customer_ids: Sequence[int],
    datasets: Sequence[tuple[int, str]],
    newest: datetime,
) -> Iterator[tuple[Any, ...]]:
    cum_customers = _cumulative(customer_weights(len(customer_ids)))
    cum_datasets = _cumulative(DATASET_WEIGHTS[: len(datasets)])
    for created in _spread(rng, count, newest):
        customer = rng.choices(customer_ids, cum_weights=cum_customers)[0]
        dataset = rng.choices(datasets, cum_weights=cum_datasets)[0]
        yield _file_row(rng, created, customer, dataset, newest)


def audit_rows(
    rng: random.Random,
    count: int,
    customer_ids: Sequence[int],
    operator_id: str,
    newest: datetime,
) -> Iterator[tuple[Any, ...]]:
    cum_customers = _cumulative(customer_weights(len(customer_ids)))
    cum_actions = _cumulative([weight for _, weight, _ in AUDIT_ACTIONS])
    operators = [operator_id, "cli", *(str(uuid.UUID(int=rng.getrandbits(128))) for _ in range(5))]
    for at in _spread(rng, count, newest):
        action, _, per_customer = rng.choices(AUDIT_ACTIONS, cum_weights=cum_actions)[0]
        customer = rng.choices(customer_ids, cum_weights=cum_customers)[0] if per_customer else None
        signin = action == "user.signin"
        actor = f"user:u{rng.randint(1, 2000)}@example.com" if signin else rng.choice(operators)
        yield (
            at,
            actor,
            customer,
            action,
            f"u{rng.randint(1, 2000)}@example.com" if signin else f"{rng.getrandbits(64):016x}",
            f"{rng.getrandbits(64):016x}" if not actor.startswith("cli") else None,
            "refused" if signin and rng.random() < 0.05 else "ok",
        )


def _cumulative(weights: Sequence[float]) -> list[float]:
    total, out = 0.0, []
    for weight in weights:
        total += weight
        out.append(total)
    return out


def _batches(rows: Iterator[tuple[Any, ...]], size: int) -> Iterator[list[tuple[Any, ...]]]:
    batch: list[tuple[Any, ...]] = []
    for row in rows:
        batch.append(row)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


def bulk_insert(
    engine: Engine, table: Table, columns: Sequence[str], rows: Iterator[tuple[Any, ...]]
) -> int:
    """COPY on PostgreSQL, executemany in 50,000-row transactions on SQLite."""
    if engine.dialect.name == "postgresql":
        return _copy(engine, table, columns, rows)
    return _executemany(engine, table, columns, rows)


def libpq_url(engine: Engine) -> str:
    return engine.url.set(drivername="postgresql").render_as_string(hide_password=False)


def _copy(engine: Engine, table: Table, columns: Sequence[str], rows: Iterator[Any]) -> int:
    count = 0
    with (
        psycopg.connect(libpq_url(engine)) as conn,
        conn.cursor() as cur,
        cur.copy(f"COPY {table.name} ({', '.join(columns)}) FROM STDIN") as copy,
    ):
        for row in rows:
            copy.write_row(row)
            count += 1
    return count


def _executemany(engine: Engine, table: Table, columns: Sequence[str], rows: Iterator[Any]) -> int:
    # Each value as SQLAlchemy would bind it (SQLite keeps datetimes as text).
    dialect = engine.dialect
    processors: list[Callable[[Any], Any] | None] = [
        table.c[name].type.dialect_impl(dialect).bind_processor(dialect) for name in columns
    ]
    sql = (
        f"INSERT INTO {table.name} ({', '.join(columns)}) "
        f"VALUES ({', '.join('?' for _ in columns)})"
    )
    count = 0
    raw = engine.raw_connection()
    try:
        cur = raw.cursor()
        cur.execute("PRAGMA synchronous=OFF")
        cur.execute("PRAGMA cache_size=-1000000")  # 1 GB: random keys stay in memory
        for batch in _batches(rows, BATCH):
            cur.executemany(
                sql,
                [
                    tuple(p(v) if p is not None and v is not None else v
                          for p, v in zip(processors, row, strict=True))
                    for row in batch
                ],
            )  # fmt: skip
            raw.commit()
            count += len(batch)
        cur.close()
    finally:
        raw.close()
    return count


def seed(services: Services, n_files: int, n_audit: int, n_customers: int, seed: int) -> Catalog:
    """Migrate, make customers, dataset types and an operator client, then the bulk rows."""
    rng = random.Random(seed)
    seconds: dict[str, float] = {}
    started = time.perf_counter()
    services.migrate()
    services.datasets.install_shipped()
    for k in range(n_customers):
        services.admin.create_customer(f"c{k:03d}")
    issued = services.admin.create_operator_client("bench")
    engine = services.engine
    with engine.connect() as conn:
        ids = dict(conn.execute(select(customers.c.name, customers.c.id)).tuples().all())
        datasets = sorted(
            conn.execute(select(dataset_types.c.id, dataset_types.c.name)).tuples().all(),
            key=lambda d: d[1],
        )
    by_size = [(ids[f"c{k:03d}"], f"c{k:03d}") for k in range(n_customers)]
    customer_ids = [cid for cid, _ in by_size]
    newest = utcnow() - timedelta(minutes=1)
    seconds["schema and tenants"] = time.perf_counter() - started
    mark = time.perf_counter()
    count_files = bulk_insert(
        engine, files, FILE_COLUMNS, file_rows(rng, n_files, customer_ids, datasets, newest)
    )
    seconds["files"] = time.perf_counter() - mark
    mark = time.perf_counter()
    count_audit = bulk_insert(
        engine,
        audit_log,
        AUDIT_COLUMNS,
        audit_rows(rng, n_audit, customer_ids, issued.client.client_id, newest),
    )
    seconds["audit"] = time.perf_counter() - mark
    mark = time.perf_counter()
    if engine.dialect.name == "postgresql":
        # What autovacuum does within a minute of a bulk load, done now.
        with psycopg.connect(libpq_url(engine), autocommit=True) as conn:
            conn.execute("VACUUM ANALYZE files")
            conn.execute("VACUUM ANALYZE audit_log")
    seconds["vacuum analyze"] = time.perf_counter() - mark
    return Catalog(
        customers=by_size,
        dataset_names=[name for _, name in datasets],
        operator_id=issued.client.client_id,
        operator_secret=issued.client_secret,
        files=count_files,
        audit=count_audit,
        seconds=seconds,
        newest=newest,
    )
