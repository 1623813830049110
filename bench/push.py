"""`landingzone push` vs a shell loop of curl doing the same two steps (issue 5).

.venv/bin/python -m bench.push [--files 1000] [--size-mib 2048] [--rounds 2]

Against a real `landingzone serve` (defaults): 1,000 small files (1 KiB) and one
large file, pushed once by `landingzone push` (the SDK: URLs in batches of 100,
4 uploads at once, Content-MD5) and once by a bash loop that, per file, asks
for its upload URL with curl and PUTs it with `curl -T` (no Content-MD5).
Rounds alternate the order. Goals: the small files at least 3x faster than the
loop; the large file at least 90% of curl's throughput. Writes its section of
bench/RESULTS.md between markers.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench.sections import write_section
from bench.server import ServerProcess

RESULTS = Path(__file__).resolve().parent / "RESULTS.md"
START, END = "<!-- push:start -->", "<!-- push:end -->"
UPLOAD_PATH = "/services/push/v1/customer/apps/myAppId/upload"
# Per file: ask for one URL, cut it out of the JSON answer, PUT the file.
CURL_LOOP = r"""
set -euo pipefail
for f in "$@"; do
  name=$(basename "$f")
  url=$(curl -sS -H "Authorization: Bearer $TOKEN" "$LZ_URL$UPLOAD_PATH?filenames=$name" \
        | sed -E 's/^\{"[^"]*": *"([^"]*)"\}$/\1/')
  if [ -n "${WITH_MD5:-}" ]; then
    md5=$(openssl dgst -md5 -binary "$f" | base64)
    curl -sS -f -o /dev/null -H "Content-MD5: $md5" -T "$f" "$url"
  else
    curl -sS -f -o /dev/null -T "$f" "$url"
  fi
done
"""


def landingzone() -> str:
    return str(Path(sys.executable).with_name("landingzone"))


def run_ours(server: ServerProcess, paths: list[Path]) -> float:
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("LZ_")},
        "LZ_URL": server.url,
        "LZ_CLIENT_ID": server.demo["client_id"],
        "LZ_CLIENT_SECRET": server.demo["client_secret"],
    }
    started = time.perf_counter()
    subprocess.run([landingzone(), "push", "--app", "myAppId", *map(str, paths), "--json"],
                   check=True, capture_output=True, env=env)  # fmt: skip
    return time.perf_counter() - started


def run_curl(server: ServerProcess, paths: list[Path], with_md5: bool = False) -> float:
    env = {**os.environ, "TOKEN": server.token(), "LZ_URL": server.url,
           "UPLOAD_PATH": UPLOAD_PATH}  # fmt: skip
    if with_md5:
        env["WITH_MD5"] = "1"
    started = time.perf_counter()
    subprocess.run(["bash", "-c", CURL_LOOP, "curl-loop", *map(str, paths)],
                   check=True, capture_output=True, env=env)  # fmt: skip
    return time.perf_counter() - started


def small_files(directory: Path, count: int, tag: str) -> list[Path]:
    directory.mkdir(parents=True, exist_ok=True)
    paths = []
    for i in range(count):
        path = directory / f"{tag}-{i:05d}.csv"
        path.write_bytes(os.urandom(1024))
        paths.append(path)
    return paths


def large_file(path: Path, size: int) -> Path:
    with path.open("wb") as out:
        block = os.urandom(1024 * 1024)
        for _ in range(size // len(block)):
            out.write(block)
    return path


def md5_throughput(path: Path) -> float:
    """MB/s of hashlib's MD5 over the file (page cache warm): the pre-read's speed."""
    md5 = hashlib.md5(usedforsecurity=False)
    started = time.perf_counter()
    with path.open("rb") as source:
        while block := source.read(1024 * 1024):
            md5.update(block)
    return path.stat().st_size / 1e6 / (time.perf_counter() - started)


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.push")
    parser.add_argument("--files", type=int, default=1000)
    parser.add_argument("--size-mib", type=int, default=2048)
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args()
    timings: dict[str, list[float]] = {"ours small": [], "curl small": [],
                                        "ours large": [], "curl large": [],
                                        "curl+md5 large": []}  # fmt: skip
    with (
        tempfile.TemporaryDirectory(prefix="lz-push-") as work,
        ServerProcess(Path(work) / "data") as server,
    ):
        big = large_file(Path(work) / "big.bin", args.size_mib * 1024 * 1024)
        for round_ in range(args.rounds):
            order = ("ours", "curl") if round_ % 2 == 0 else ("curl", "ours")
            for who in order:
                # Fresh names each time: every PUT stores a new object, as a real run would.
                paths = small_files(Path(work) / f"{who}{round_}", args.files, f"{who}{round_}")
                run = run_ours if who == "ours" else run_curl
                seconds = run(server, paths)
                timings[f"{who} small"].append(seconds)
                print(f"[push] round {round_} {who} {args.files} small files: {seconds:.2f} s",
                      flush=True)  # fmt: skip
                renamed = big.with_name(f"big-{who}{round_}.bin")
                big.rename(renamed)
                big = renamed
                seconds = run(server, [big])
                timings[f"{who} large"].append(seconds)
                print(f"[push] round {round_} {who} {args.size_mib} MiB: {seconds:.2f} s",
                      flush=True)  # fmt: skip
            # For reference, not the goal: curl made to send the same Content-MD5.
            renamed = big.with_name(f"big-curl-md5-{round_}.bin")
            big.rename(renamed)
            big = renamed
            timings["curl+md5 large"].append(run_curl(server, [big], with_md5=True))
        md5_rate = md5_throughput(big)
    median = {k: statistics.median(v) for k, v in timings.items()}
    speedup = median["curl small"] / median["ours small"]
    size_mb = args.size_mib * 1024 * 1024 / 1e6
    ours_rate, curl_rate = size_mb / median["ours large"], size_mb / median["curl large"]
    ratio = ours_rate / curl_rate
    md5_curl_rate = size_mb / median["curl+md5 large"]
    # Content-MD5 must be known before the body: a pass at md5_rate, then the PUT
    # at (at best) curl's rate, so ours can reach at most this share of curl's.
    ceiling = 1 / (1 + curl_rate / md5_rate)
    lines = [
        "", "## (e) `landingzone push` vs a curl loop (issue 5)", "",
        f"`.venv/bin/python -m bench.push` on {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}"
        f": a real `landingzone serve` (defaults), {args.rounds} rounds alternating the order, "
        "medians. The curl loop asks for each URL with curl and PUTs with `curl -T`, without "
        "Content-MD5; `landingzone push` sends Content-MD5, which costs a read of the file "
        "before its PUT.", "",
        "| case | landingzone push s | curl loop s | measured | goal | result |",
        "|---|---|---|---|---|---|",
        f"| {args.files} files of 1 KiB | {median['ours small']:.2f} | {median['curl small']:.2f}"
        f" | {speedup:.1f}x faster | >= 3x | {'**PASS**' if speedup >= 3 else '**MISS**'} |",
        f"| one {args.size_mib} MiB file | {median['ours large']:.2f} | "
        f"{median['curl large']:.2f} | {ours_rate:.0f} vs {curl_rate:.0f} MB/s: {ratio:.0%} | "
        f">= 90% | {'**PASS**' if ratio >= 0.9 else '**MISS**'} |",
        "",
        f"For reference, the same loop made to send Content-MD5 (`openssl dgst -md5` before "
        f"each `curl -T`): {md5_curl_rate:.0f} MB/s, and `landingzone push` reaches "
        f"{ours_rate / md5_curl_rate:.0%} of that. MD5 runs at {md5_rate:.0f} MB/s on this CPU "
        f"(one core; it cannot be split), so any client that sends Content-MD5 can reach at "
        f"most 1 / (1 + {curl_rate:.0f} / {md5_rate:.0f}) = {ceiling:.0%} of plain curl's "
        "throughput here.",
        "", "Every run: " + "; ".join(
            f"{k} {', '.join(f'{s:.2f}' for s in v)}" for k, v in timings.items()
        ), "",
    ]  # fmt: skip
    print("\n".join(lines))
    write_section(RESULTS, START, END, lines)


if __name__ == "__main__":
    main()
