"""Date and time formats in words, for messages people read.

Dataset types write formats as strptime patterns (``%d/%m/%Y``); an uploader
reads them as the seeds do (``DD/MM/YYYY``, ``hh:mm``), with an example.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime

# Each directive the schema accepts (sql.DIRECTIVE_RE and the names), in words.
WORDS = {
    "Y": "YYYY",
    "y": "YY",
    "m": "MM",
    "d": "DD",
    "H": "hh",
    "I": "hh",
    "M": "mm",
    "S": "ss",
    "j": "DDD",
    "f": "ffffff",
    "p": "AM/PM",
    "a": "Mon-Sun",
    "A": "Monday-Sunday",
    "b": "Jan-Dec",
    "B": "January-December",
    "z": "+hhmm",
    "Z": "zone name",
    "%": "%",
}
EXAMPLE_TIME = datetime(2024, 12, 31, 17, 30, 0, tzinfo=UTC)
DIRECTIVE = re.compile(r"%(.)")


def in_words(pattern: str) -> str:
    """``%d/%m/%Y`` as ``DD/MM/YYYY``; an unknown directive is left as written."""
    return DIRECTIVE.sub(lambda m: WORDS.get(m.group(1), m.group(0)), pattern)


def example(pattern: str) -> str:
    """31 December 2024, 17:30 UTC written in ``pattern``."""
    return EXAMPLE_TIME.strftime(pattern)


def described(pattern: str) -> str:
    """``DD/MM/YYYY (e.g. 31/12/2024)``: the format in words and an example."""
    return f"{in_words(pattern)} (e.g. {example(pattern)})"
