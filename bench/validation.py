"""Validation throughput and memory (issue 3): our validator vs DuckDB vs frictionless.

.venv/bin/python -m bench.validation [--size-mib 1024] [--workdir DIR]

Generates a `transactions` and an `uploadapi.data` CSV of the given size, each
valid and with ~0.1% planted errors of every kind, then measures, each in a
fresh child process (so peak RSS is the run's own): our validator writing the
accepted rows to Parquet; DuckDB `read_csv` with typed columns and
`store_rejects` over the same file; frictionless-py on a 5 MiB sample,
extrapolated. Writes its section of bench/RESULTS.md between markers.
"""

from __future__ import annotations

import argparse
import functools
import json
import random
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import NamedTuple

import httpx

from bench.bigput import run_put
from bench.sections import write_section
from bench.server import ServerProcess

RESULTS = Path(__file__).resolve().parent / "RESULTS.md"
# (dataset, with planted errors, quoted): every file but the quoted one is plain,
# so ours takes the fast path; the quoted one measures the exact path.
CASES = [
    ("transactions", False, False),
    ("transactions", True, False),
    ("transactions", True, True),
    ("uploadapi.data", False, False),
    ("uploadapi.data", True, False),
]
START, END = "<!-- validation:start -->", "<!-- validation:end -->"
TX_HEADER = (
    "transaction_id,created_at,amount,currency,status,payment_method,"
    "merchant_reference,customer_id,fee,country\r\n"
)
DATA_HEADER = "Reference,StartDate,StartTime,EndDate,EndTime\r\n"


def tx_row(i: int, rng: random.Random, faulty: bool, quoted: bool = False) -> str:
    created = f"2025-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}T10:{i % 60:02d}:00Z"
    # Quoted: a comma inside quotes on every row, which only the exact path reads.
    reference = f'"ref, {i}"' if quoted else f"ref {i}"
    row = [
        f"tx{i:012d}", created,
        f"{rng.randint(1, 99999) / 100:.2f}", "EUR", "succeeded", "card", reference,
        f"cus_{i % 9999}", "0.10", "FR",
    ]  # fmt: skip
    if faulty:
        kind = (i // 1000) % 8  # faults sit at i % 1000 == 999: cycle the kind per fault
        if kind == 0:
            row[2] = "12,50"  # wrong type: a decimal comma
        elif kind == 1:
            row[3] = "eur"  # pattern
        elif kind == 2:
            row[4] = "lost"  # enum
        elif kind == 3:
            row[0] = f"tx{i - 1:012d}"  # unique
        elif kind == 4:
            row = row[:-1]  # missing cell
        elif kind == 5:
            row.append("extra")  # extra cell
        elif kind == 6:
            return "\r\n"  # blank row
        else:
            row[8] = "-1"  # minimum
    return ",".join(row) + "\r\n"


def data_row(i: int, rng: random.Random, faulty: bool) -> str:
    day, month = rng.randint(1, 28), rng.randint(1, 12)
    row = [f"User{i % 50000}", f"{day:02d}/{month:02d}/2024", f"{rng.randint(0, 23):02d}:00",
           f"{day:02d}/{month:02d}/2024", "23:30"]  # fmt: skip
    if faulty:
        kind = (i // 1000) % 5
        if kind == 0:
            row[1] = "31/02/2024"  # impossible date
        elif kind == 1:
            row[2] = "24:00"  # time out of range
        elif kind == 2:
            row[0] = ""  # required
        elif kind == 3:
            row = row[:-1]
        else:
            row.append("x")
    return ",".join(row) + "\r\n"


def generate(path: Path, dataset: str, size: int, faulty: bool, quoted: bool = False) -> int:
    rng = random.Random(7)
    header, make = (TX_HEADER, tx_row) if dataset == "transactions" else (DATA_HEADER, data_row)
    if quoted:
        make = functools.partial(tx_row, quoted=True)
    rows = 0
    with path.open("w", newline="") as out:
        out.write(header)
        written = len(header)
        while written < size:
            chunk = "".join(
                make(rows + k, rng, faulty and (rows + k) % 1000 == 999) for k in range(10_000)
            )
            out.write(chunk)
            written += len(chunk)
            rows += 10_000
    return rows


def child(argv: list[str]) -> None:
    """One measured run, in its own process: prints a JSON line."""
    engine, dataset_name, path = argv
    started = time.perf_counter()
    result: dict[str, object] = {}
    if engine in ("ours", "ours, no Parquet"):
        from landingzone.domain.datasets import shipped_datasets
        from landingzone.pipeline.job import dictionary_columns
        from landingzone.storage.parquet import local_part_writer
        from landingzone.validation.validator import Validator

        dataset = {d.name: d for d in shipped_datasets()}[dataset_name]
        parquet = Path(path).with_suffix(".parquet")
        encoded = dictionary_columns(dataset)
        writer = local_part_writer(parquet, encoded) if engine == "ours" else None
        with open(path, "rb") as source:
            # With the path, as the pipeline calls it: plain valid files take the fast path.
            report = Validator(dataset).validate(source, writer, Path(path))
        if writer is not None:
            writer.commit(report.duplicate_rows)
        Path(path).with_suffix(".parquet").unlink(missing_ok=True)
        result = {
            "rows": report.rows_total,
            "errors": report.error_count,
            "fatal": bool(report.fatal),
        }
    elif engine == "duckdb":
        import duckdb

        types = (
            {"transaction_id": "VARCHAR", "created_at": "TIMESTAMPTZ", "amount": "DOUBLE",
             "currency": "VARCHAR", "status": "VARCHAR", "payment_method": "VARCHAR",
             "merchant_reference": "VARCHAR", "customer_id": "VARCHAR", "fee": "DOUBLE",
             "country": "VARCHAR"}
            if dataset_name == "transactions"
            else {"Reference": "VARCHAR", "StartDate": "DATE", "StartTime": "TIME",
                  "EndDate": "DATE", "EndTime": "TIME"}
        )  # fmt: skip
        options = (
            ""
            if dataset_name == "transactions"
            else ", dateformat='%d/%m/%Y', timestampformat='%H:%M'"
        )
        db = duckdb.connect()
        # Touch every typed column, or DuckDB skips the casts (a known trap).
        columns = ", ".join(f'count("{c}")' for c in types)
        db.execute(
            f"SELECT count(*), {columns} FROM read_csv(?, header=true, auto_detect=false, "
            f"columns={types!r}, store_rejects=true{options})",
            [path],
        ).fetchall()
        rejects = db.execute("SELECT count(*) FROM reject_errors").fetchone()
        result = {"errors": rejects[0] if rejects else None}
    else:
        import frictionless

        from landingzone.domain.datasets import shipped_datasets

        dataset = {d.name: d for d in shipped_datasets()}[dataset_name]
        schema = json.loads(dataset.to_json())["schema"]
        # trusted: frictionless otherwise refuses absolute paths ("path is not safe") and
        # reports that as its only error.
        with frictionless.system.use_context(trusted=True):
            report = frictionless.validate(
                path, schema=frictionless.Schema.from_descriptor(schema), limit_errors=10**9
            )
        result = {"errors": len(report.flatten(["rowNumber"]))}
    result["seconds"] = time.perf_counter() - started
    result["maxrss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps(result))


def measure(engine: str, dataset: str, path: Path) -> dict[str, float]:
    out = subprocess.run(
        [sys.executable, "-m", "bench.validation", "--child", engine, dataset, str(path)],
        capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip
    measured: dict[str, float] = json.loads(out.strip().splitlines()[-1])
    return measured


class Timed(NamedTuple):
    put: float
    to_completed: float
    status: str


def put_to_completed(work: Path, path: Path, dataset: str) -> Timed:
    """A real `landingzone serve`: Files API URL, `curl -T` the file, poll until it is done.

    Times the PUT, and from the PUT's answer to the file's final status (queueing,
    validation, Parquet, commit); the goal is under 10 s for 1 GB.
    """
    with ServerProcess(work / f"server-{dataset}") as server:  # a fresh demo tenant each
        headers = {"Authorization": f"Bearer {server.token()}"}
        with httpx.Client(base_url=server.url, headers=headers, timeout=60) as http:
            created = http.post(
                "/analytics/files/upload",
                json={"datasetType": dataset, "file": {"name": path.name, "type": "csv"}},
            )
            created.raise_for_status()
            file_id, url = created.json()["id"], created.json()["uploadUrl"]
            put_seconds, status, _ = run_put(path, url, work / "put-headers.txt")
            if status != 200:
                raise SystemExit(f"PUT answered {status}")
            put_done = time.perf_counter()
            while (answer := http.get(f"/analytics/files/{file_id}").json())["status"] in (
                "Pending",
                "Processing",
            ):
                time.sleep(0.05)
            finished = time.perf_counter() - put_done
    return Timed(put_seconds, finished, str(answer["status"]))


def sample(path: Path, size: int) -> Path:
    target = path.with_name(path.stem + "-sample.csv")
    with path.open("rb") as source, target.open("wb") as out:
        data = source.read(size)
        out.write(data[: data.rfind(b"\n") + 1])
    return target


def describe(faulty: bool, quoted: bool) -> str:
    return ("0.1% errors" if faulty else "valid") + (", quoted (exact path)" if quoted else "")


def measure_large(work: Path, size_mib: int) -> list[str]:
    """Ours on large transactions files: peak RSS must not grow with the file."""
    rows: list[str] = []
    for faulty, quoted in ((False, False), (True, False), (True, True)):
        path = work / f"large-{'errors' if faulty else 'valid'}.csv"
        generate(path, "transactions", size_mib * 1024 * 1024, faulty, quoted)
        megabytes = path.stat().st_size / 1e6
        result = measure("ours", "transactions", path)
        rss = result["maxrss_mb"]
        rows.append(
            f"| {describe(faulty, quoted)} | {megabytes:,.0f} | "
            f"{result['seconds']:.0f} | {megabytes / result['seconds']:.0f} | {rss:.0f} | "
            f"{'**PASS**' if rss < 300 else '**MISS**'} | {result.get('errors')} |"
        )
        print(rows[-1], flush=True)
        path.unlink()
    return rows


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "--child":
        child(sys.argv[2:])
        return
    parser = argparse.ArgumentParser(prog="python -m bench.validation")
    parser.add_argument("--size-mib", type=int, default=1024)
    parser.add_argument("--workdir", type=Path, default=None)
    parser.add_argument(
        "--large-mib", type=int, default=0,
        help="also run ours (with Parquet) on transactions files of this size (memory goal)",
    )  # fmt: skip
    args = parser.parse_args()
    size = args.size_mib * 1024 * 1024
    lines = ["", "## (c) Validation (issue 3)", ""]
    lines.append(
        f"`{' '.join(['.venv/bin/python', '-m', 'bench.validation', *sys.argv[1:]])}` on "
        f"{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}; files of {args.size_mib} MiB, "
        "page cache warm. Goals: >= 200 MB/s valid, >= 100 MB/s with errors, peak RSS < 300 MB."
    )
    lines += ["", "| dataset | file | engine | MB/s | rows/s | peak RSS MB | errors |",
              "|---|---|---|---|---|---|---|"]  # fmt: skip
    completed: list[str] = []
    with tempfile.TemporaryDirectory(prefix="lz-val-", dir=args.workdir) as work:
        for dataset, faulty, quoted in CASES:
            path = Path(work) / f"{dataset}-{'errors' if faulty else 'valid'}.csv"
            rows = generate(path, dataset, size, faulty, quoted)
            megabytes = path.stat().st_size / 1e6
            engines = ["ours", "ours, no Parquet"]
            engines += [] if quoted else ["duckdb"]
            engines += ["frictionless"] if faulty and not quoted else []
            for engine in engines:
                target = sample(path, 5 * 1024 * 1024) if engine == "frictionless" else path
                result = measure(engine, dataset, target)
                scale = megabytes / (target.stat().st_size / 1e6)
                seconds = result["seconds"] * scale
                label = engine + (" (5 MiB sample, extrapolated)" if scale > 1.01 else "")
                lines.append(
                    f"| {dataset} | {describe(faulty, quoted)} | {label} | "
                    f"{megabytes / seconds:.0f} | {rows / seconds:,.0f} | "
                    f"{result['maxrss_mb']:.0f} | {result.get('errors')} |"
                )
                print(lines[-1], flush=True)
            if not faulty and not quoted:
                timed = put_to_completed(Path(work), path, dataset)
                completed.append(
                    f"| {dataset} | {megabytes:,.0f} | {timed.put:.1f} | "
                    f"{timed.to_completed:.1f} | {timed.status} | "
                    f"{'**PASS**' if timed.to_completed < 10 else '**MISS**'} |"
                )
                print(completed[-1], flush=True)
            path.unlink()
        large = measure_large(Path(work), args.large_mib) if args.large_mib else []
    lines += ["", "### From the end of the PUT to Completed (a real server, defaults)", "",
              "| dataset | MB | PUT s | PUT end to Completed s | status | goal < 10 s |",
              "|---|---|---|---|---|---|", *completed]  # fmt: skip
    if large:
        lines += ["", f"### Large files: {args.large_mib:,} MiB of transactions, ours with Parquet",
                  "", "| file | MB | seconds | MB/s | peak RSS MB | goal < 300 MB | errors |",
                  "|---|---|---|---|---|---|---|", *large]  # fmt: skip
    lines += ["", "Ours includes writing the accepted rows as Parquet. The MB/s goals are for "
              "the validation rate, 'ours, no Parquet' (the engines compared write nothing "
              "either); writing Parquet is inside the PUT-to-Completed goal. The quoted file "
              "has a comma inside quotes on every row, which ours reads on its exact path "
              "instead of the fast path. DuckDB only reads and casts (it gives no row numbers "
              "for constraint errors).", ""]  # fmt: skip
    write_section(RESULTS, START, END, lines)


if __name__ == "__main__":
    main()
