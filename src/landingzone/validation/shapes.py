"""Whole-value regular expression matches in DuckDB, cheaper where that is exact.

``regexp_full_match`` costs about 70 ns a call, the largest part of checking
a cell. Most patterns that datasets use are simpler than a regular expression:
``[A-Z]{3}``, or the shape of ``%d/%m/%Y``. For those there are cheaper SQL
expressions with exactly the same answer:

* a pattern made only of ASCII character classes and literals, each repeated
  a fixed number of times, becomes one ``GLOB``. GLOB compares bytes, and any
  byte of a non-ASCII character fails an ASCII class, as the character does in
  the regular expression;
* a pattern whose atoms repeat between m and n times gets a GLOB for the
  usual case (every atom at its largest count, like ``05/11/2024``) evaluated
  first. The regular expression runs only for the values that GLOB rejects,
  because DuckDB's ``CASE`` evaluates a branch only for the rows that reach it.
  The GLOB accepts a subset of what the expression accepts, so the answer is
  unchanged;
* the ISO 8601 datetime shape gets the same treatment, with the usual
  ``2025-01-31T23:59:59Z`` and ``+hh:mm`` forms written out.

Anything else (groups, alternation, negated classes, escapes) keeps
``regexp_full_match`` as it is. ``tests/validation/test_shapes.py`` compares
both forms on generated strings.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# Characters a class or a literal may hold here: none is special to GLOB
# outside a class (``*``, ``?``, ``[``) or inside one (``!``, ``]``, ``^``).
_SAFE = re.compile(r"[A-Za-z0-9_ :/.,+-]")
_CLASS = re.compile(r"\[([A-Za-z0-9_ :/.,+-]+)\]")
_COUNT = re.compile(r"\{(\d+)(?:,(\d+))?\}")
# A longer GLOB for the usual case (a variable-length id) costs more than it saves.
MAX_GLOB_ATOMS = 32


@dataclass(frozen=True)
class Atom:
    glob: str  # "[A-Z]" or a literal character
    least: int
    most: int


def parse(pattern: str) -> list[Atom] | None:
    """The pattern as atoms, or None when it is not a plain sequence of them."""
    atoms: list[Atom] = []
    position = 0
    while position < len(pattern):
        klass = _CLASS.match(pattern, position)
        if klass:
            members = klass.group(1)
            # A '-' is a range only between two characters; first or last it is
            # literal in both syntaxes, and '^' never gets here (not in _SAFE).
            if not _valid_class(members):
                return None
            glob, position = f"[{members}]", klass.end()
        elif _SAFE.fullmatch(pattern[position]) and pattern[position] not in "+.":
            # '+' and '.' mean something unescaped in a regular expression.
            glob, position = pattern[position], position + 1
        elif (
            pattern[position] == "\\"
            and position + 1 < len(pattern)
            and _SAFE.fullmatch(pattern[position + 1])
            and not pattern[position + 1].isalnum()  # \d, \s, \w are classes
        ):
            # An escaped literal, as re.escape writes '-', '.' and ' ' in format shapes.
            glob, position = pattern[position + 1], position + 2
        else:
            return None
        count = _COUNT.match(pattern, position)
        if count:
            least = int(count.group(1))
            most = int(count.group(2)) if count.group(2) is not None else least
            if "," in count.group(0) and count.group(2) is None:
                return None  # {m,} is unbounded
            position = count.end()
        else:
            least = most = 1
        if most < least or most == 0:
            return None
        atoms.append(Atom(glob, least, most))
    return atoms or None


def _valid_class(members: str) -> bool:
    """Only ascending ranges between letters or digits."""
    for match in re.finditer(r"(.)-(.)", members):
        start, end = match.group(1), match.group(2)
        if not (start.isalnum() and end.isalnum() and start <= end):
            return False
    return True


def _glob(atoms: list[Atom]) -> str:
    return "".join(atom.glob * atom.most for atom in atoms)


# Written out because the expression has optional groups: the forms most files use.
ISO_DATETIME_USUAL = (
    "[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]T[0-9][0-9]:[0-9][0-9]:[0-9][0-9]Z",
    "[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]T[0-9][0-9]:[0-9][0-9]:[0-9][0-9]"
    "[+-][0-9][0-9]:[0-9][0-9]",
)


def full_match(raw: str, pattern: str, usual: tuple[str, ...] = ()) -> str:
    """SQL that is true when ``raw`` (a VARCHAR expression) wholly matches ``pattern``.

    ``usual``: GLOBs known to accept only values the pattern accepts, tried first.
    ``pattern`` is inlined as a SQL literal; callers pass schema text through here
    only after it was validated as a regular expression.
    """
    regex = f"regexp_full_match({raw}, {literal(pattern)})"
    atoms = parse(pattern)
    if atoms is not None and all(a.least == a.most for a in atoms):
        return f"({raw} GLOB {literal(_glob(atoms))})"
    globs = list(usual)
    if atoms is not None and sum(a.most for a in atoms) <= MAX_GLOB_ATOMS:
        globs.append(_glob(atoms))
    if not globs:
        return regex
    cheap = " OR ".join(f"{raw} GLOB {literal(g)}" for g in globs)
    return f"(CASE WHEN {cheap} THEN TRUE ELSE {regex} END)"


def literal(value: str) -> str:
    """``value`` as a SQL string literal (sql.py uses it for every schema value)."""
    return "'" + value.replace("'", "''") + "'"
