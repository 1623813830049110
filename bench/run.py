"""`make bench`: run the benchmarks against a real server and write bench/RESULTS.md.

.venv/bin/python -m bench.run [--only batch|put] [--duration 10] [--size-mib 1024]
"""

from __future__ import annotations

import argparse
import os
import re
import shlex
import shutil
import sys
import tempfile
from pathlib import Path

from bench import machine, report
from bench.batch import BatchBenchResult, run_batch_bench
from bench.bigput import PutBenchResult, run_put_bench

RESULTS = Path(__file__).resolve().parent / "RESULTS.md"


def _ints(text: str) -> list[int]:
    return [int(part) for part in text.split(",") if part.strip()]


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.run", description=__doc__)
    parser.add_argument("--only", choices=["batch", "put"], help="run one benchmark only")
    parser.add_argument(
        "--duration", type=float, default=10.0, help="seconds per load run (default 10)"
    )
    parser.add_argument(
        "--concurrency",
        type=_ints,
        default=[1, 2, 4, 8],
        help="comma-separated connection counts for the batch runs (default 1,2,4,8)",
    )
    parser.add_argument(
        "--workers",
        type=_ints,
        default=[1, 2],
        help="comma-separated LZ_HTTP_WORKERS values to try (default 1,2)",
    )
    parser.add_argument(
        "--size-mib", type=int, default=1024, help="PUT/dd file size in MiB (default 1024)"
    )
    parser.add_argument(
        "--rounds", type=int, default=3, help="dd/PUT rounds, order alternating (default 3)"
    )
    parser.add_argument(
        "--workdir",
        type=Path,
        default=None,
        help="parent for the temporary data dir and the source file (default: $TMPDIR); "
        "dd and the PUT both write into this filesystem",
    )
    parser.add_argument("--output", type=Path, default=RESULTS, help="results file")
    return parser.parse_args(argv)


def other_sections(results: Path) -> str:
    """The sections other benchmarks own (between their markers), kept across runs."""
    if not results.exists():
        return ""
    owned = re.finditer(r"<!-- ([\w-]+):start -->.*?<!-- \1:end -->", results.read_text(), re.S)
    return "".join(f"\n{section.group(0)}\n" for section in owned)


def main(argv: list[str] | None = None) -> int:
    args_list = sys.argv[1:] if argv is None else argv
    args = parse_args(args_list)
    python = (
        os.path.relpath(sys.executable)
        if sys.executable.startswith(os.getcwd())
        else (sys.executable)
    )
    command = shlex.join([python, "-m", "bench.run", *args_list])
    if args.workdir is not None:
        args.workdir.mkdir(parents=True, exist_ok=True)
    workdir = Path(tempfile.mkdtemp(prefix="lz-bench-", dir=args.workdir))
    batch: BatchBenchResult | None = None
    put: PutBenchResult | None = None
    try:
        facts = machine.facts(workdir)
        free = shutil.disk_usage(workdir).free
        needed = 3 * args.size_mib * 1024 * 1024
        if args.only != "batch" and free < needed:
            raise SystemExit(f"{workdir}: {free} bytes free, the PUT benchmark needs {needed}")
        if args.only != "put":
            batch = run_batch_bench(workdir, args.workers, args.concurrency, args.duration)
        if args.only != "batch":
            put = run_put_bench(workdir, args.size_mib * 1024 * 1024, args.rounds)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    text = report.render(command, facts, batch, put)
    args.output.write_text(text.rstrip() + "\n" + other_sections(args.output))
    print()
    print("\n".join(line for line in text.splitlines() if line.startswith("| (")))
    print(f"\nwrote {args.output}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
