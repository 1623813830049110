"""Sections of bench/RESULTS.md that one benchmark owns, between its own markers."""

from __future__ import annotations

from pathlib import Path


def write_section(results: Path, start: str, end: str, lines: list[str]) -> None:
    """Replace the text between ``start`` and ``end`` (inclusive) or append it."""
    section = "\n".join([start, *lines, end])
    text = results.read_text() if results.exists() else "# Benchmark results\n"
    if start in text:
        text = text[: text.index(start)] + section + text[text.index(end) + len(end) :]
    else:
        text = text.rstrip() + "\n\n" + section + "\n"
    results.write_text(text)
