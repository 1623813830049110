"""Linux /proc readings for a process group: members, peak RSS (VmHWM), CPU time."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


@dataclass(frozen=True)
class ProcMemory:
    pid: int
    name: str
    cmdline: str
    vm_hwm_kib: int
    vm_rss_kib: int


def _stat_fields(pid: int) -> list[str] | None:
    try:
        raw = Path(f"/proc/{pid}/stat").read_text()
    except (FileNotFoundError, ProcessLookupError, PermissionError):
        return None
    # The command name is in parentheses and may contain spaces: split after it.
    head, _, tail = raw.rpartition(")")
    return [head.split(" (", 1)[0], *tail.split()]


def group_members(pgid: int) -> list[int]:
    """Pids of every live process whose process group is ``pgid``."""
    members = []
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        fields = _stat_fields(int(entry.name))
        # fields: pid, state, ppid, pgrp, ... (proc(5) without the command name)
        if fields is not None and len(fields) > 3 and fields[1] != "Z" and int(fields[3]) == pgid:
            members.append(int(entry.name))
    return sorted(members)


def memory(pid: int) -> ProcMemory | None:
    try:
        status = Path(f"/proc/{pid}/status").read_text()
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
    except (FileNotFoundError, ProcessLookupError):
        return None
    values: dict[str, str] = {}
    for line in status.splitlines():
        key, _, value = line.partition(":")
        values[key] = value.strip()
    return ProcMemory(
        pid=pid,
        name=values.get("Name", "?"),
        cmdline=cmdline.strip(),
        vm_hwm_kib=int(values.get("VmHWM", "0 kB").split()[0]),
        vm_rss_kib=int(values.get("VmRSS", "0 kB").split()[0]),
    )


def group_memory(pgid: int) -> list[ProcMemory]:
    return [m for pid in group_members(pgid) if (m := memory(pid)) is not None]


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of one process so far (0 if it is gone)."""
    fields = _stat_fields(pid)
    if fields is None:
        return 0.0
    # fields[i] is field i + 2 of proc(5) for i >= 1 (the name is dropped): utime is
    # field 14, stime field 15.
    utime, stime = int(fields[12]), int(fields[13])
    return (utime + stime) / CLOCK_TICKS


def group_cpu_seconds(pgid: int) -> dict[int, float]:
    return {pid: cpu_seconds(pid) for pid in group_members(pgid)}


def pss_kib(pid: int) -> int:
    """Proportional set size (shared pages split between their users); 0 if unreadable."""
    try:
        rollup = Path(f"/proc/{pid}/smaps_rollup").read_text()
    except (FileNotFoundError, ProcessLookupError, PermissionError):
        return 0
    for line in rollup.splitlines():
        if line.startswith("Pss:"):
            return int(line.split()[1])
    return 0
