"""Facts about the machine a benchmark ran on, for the results file."""

from __future__ import annotations

import datetime as dt
import os
import platform
import subprocess
from importlib import metadata
from pathlib import Path


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def _cpu_flags() -> set[str]:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("flags"):
                return set(line.split(":", 1)[1].split())
    except OSError:
        pass
    return set()


def _mem_total_gib() -> float:
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                return int(line.split()[1]) / 1024**2
    except OSError:
        pass
    return float("nan")


def _filesystem(path: Path) -> str:
    """Device and type of the filesystem holding ``path`` (longest mount prefix)."""
    best = ("", "?", "?")
    resolved = str(path.resolve())
    try:
        for line in Path("/proc/mounts").read_text().splitlines():
            device, mount, fstype = line.split()[:3]
            inside = resolved == mount or resolved.startswith(mount.rstrip("/") + "/")
            if inside and len(mount) >= len(best[0]):
                best = (mount, device, fstype)
    except OSError:
        pass
    return f"{best[1]} ({best[2]}) mounted on {best[0]}"


def _git_revision() -> str:
    try:
        rev = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, check=True
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"
    return f"{rev}{' + uncommitted changes' if dirty else ''}"


def _version(package: str) -> str:
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return "not installed"


def _balloon_free_page_reporting() -> bool:
    """A virtio balloon with free page reporting (feature bit 5) hands freed RAM back."""
    for device in Path("/sys/bus/virtio/devices").glob("*"):
        try:
            if (device / "device").read_text().strip() == "0x0005":
                features = (device / "features").read_text().strip()
                return len(features) > 5 and features[5] == "1"
        except OSError:
            continue
    return False


def facts(workdir: Path) -> dict[str, str]:
    flags = _cpu_flags()
    hashing = [f for f in ("sha_ni", "avx2", "avx512f") if f in flags]
    return {
        "date": dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M:%S UTC"),
        "nproc": str(len(os.sched_getaffinity(0))),
        "CPU model": _cpu_model(),
        "CPU features relevant to hashing": ", ".join(hashing) or "none of sha_ni/avx2/avx512f",
        "memory": f"{_mem_total_gib():.1f} GiB",
        "virtualised": "yes (hypervisor flag)" if "hypervisor" in flags else "no / unknown",
        "virtio balloon free page reporting": "yes" if _balloon_free_page_reporting() else "no",
        "load average at start (1/5/15 min)": " ".join(f"{v:.2f}" for v in os.getloadavg()),
        "kernel": platform.release(),
        "python": platform.python_version(),
        "granian": _version("granian"),
        "landingzone": f"{_version('landingzone')} (git {_git_revision()})",
        "benchmark filesystem": _filesystem(workdir),
    }
