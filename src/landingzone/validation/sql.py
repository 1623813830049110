"""A dataset type's cell checks as one DuckDB query over a block of raw (string) columns.

For every field the query yields ``e<j>``, an error kind (0 = fine), and ``v<j>``,
the typed value (NULL when missing or invalid). Semantics, documented in
docs/datasets.md: a missing value (one of ``missingValues``) passes every check
but ``required``; types are checked before constraints; ``pattern`` must match
the whole value; a row is blank when every cell is empty or a missing value.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from enum import IntEnum

from landingzone.validation.dataset_type import TEMPORAL, FieldSpec, Scalar, TableSchema
from landingzone.validation.formats import described
from landingzone.validation.shapes import ISO_DATETIME_USUAL, full_match, literal

INTEGER_RE = "[+-]?[0-9]+"
NUMBER_RE = "[+-]?([0-9]+([.][0-9]*)?|[.][0-9]+)([eE][+-]?[0-9]+)?"
YEAR_RE = "[0-9]{4}"
# Types read by a cast once the value has the shape the oracle accepts (DuckDB's
# casts alone would also take surrounding spaces, "inf", "1_000", ...).
SHAPED_CASTS = {
    "integer": (INTEGER_RE, "BIGINT"),
    "number": (NUMBER_RE, "DOUBLE"),
    "year": (YEAR_RE, "INTEGER"),
}
# What each strptime directive may match, checked before DuckDB's strptime, which
# would read %Y from "24" (year 24) and skip whitespace around the value.
DIRECTIVE_RE = {
    "Y": "[0-9]{4}",
    "y": "[0-9]{2}",
    "m": "[0-9]{1,2}",
    "d": "[0-9]{1,2}",
    "H": "[0-9]{1,2}",
    "I": "[0-9]{1,2}",
    "M": "[0-9]{1,2}",
    "S": "[0-9]{1,2}",
    "j": "[0-9]{1,3}",
    "f": "[0-9]{1,6}",
    "%": "%",
}
NAME_RE = r"\S+"  # %a %A %b %B %p %z %Z: left to strptime, but no whitespace
ISO_DATETIME_RE = (
    "[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}"  # date and time
    "([.][0-9]{1,9})?(Z|[+-][0-9]{2}:?[0-9]{2})?"  # fraction, zone
)


class Fault(IntEnum):
    OK = 0
    TYPE = 1
    REQUIRED = 2
    ENUM = 3
    PATTERN = 4
    MINIMUM = 5
    MAXIMUM = 6
    MIN_LENGTH = 7
    MAX_LENGTH = 8


DUCKDB_TYPES = {
    "string": "VARCHAR",
    "integer": "BIGINT",
    "number": "DOUBLE",
    "boolean": "BOOLEAN",
    "date": "DATE",
    "time": "TIME",
    "datetime": "TIMESTAMPTZ",
    "year": "INTEGER",
}


def literal_list(values: Sequence[str]) -> str:
    return ", ".join(literal(v) for v in values)


def scalar_text(value: Scalar) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def format_regex(pattern: str) -> str:
    """A regular expression for the shape of values of strptime ``pattern``."""
    parts: list[str] = []
    position = 0
    while position < len(pattern):
        char = pattern[position]
        if char == "%" and position + 1 < len(pattern):
            directive = pattern[position + 1]
            parts.append(DIRECTIVE_RE.get(directive, NAME_RE))
            position += 2
        else:
            parts.append(re.escape(char))
            position += 1
    return "".join(parts)


def typed(spec: FieldSpec, raw: str) -> str:
    """SQL for ``raw`` (a VARCHAR expression) read as the field's type; NULL if invalid."""
    if spec.type == "string":
        return raw
    if spec.type in SHAPED_CASTS:
        shape, kind = SHAPED_CASTS[spec.type]
        return f"CASE WHEN {full_match(raw, shape)} THEN TRY_CAST({raw} AS {kind}) END"
    if spec.type == "boolean":
        return (
            f"CASE WHEN {raw} IN ({literal_list(spec.true_values)}) THEN TRUE "
            f"WHEN {raw} IN ({literal_list(spec.false_values)}) THEN FALSE END"
        )
    if spec.type == "datetime" and spec.format == "default":
        shaped = full_match(raw, ISO_DATETIME_RE, ISO_DATETIME_USUAL)
        return f"CASE WHEN {shaped} THEN TRY_CAST({raw} AS TIMESTAMPTZ) END"
    parsed = f"TRY_STRPTIME({raw}, {literal(spec.strptime_format)})"
    shaped = full_match(raw, format_regex(spec.strptime_format))
    kind = {"date": "DATE", "time": "TIME"}.get(spec.type, "TIMESTAMPTZ")
    return f"CASE WHEN {shaped} THEN TRY_CAST({parsed} AS {kind}) END"


def fault_expression(spec: FieldSpec, raw: str, value: str, missing: str) -> str:
    """SQL yielding the first Fault of the cell, checks in the order SPEC §4 lists.

    ``value`` and ``missing`` name columns already computed (the typed value and
    whether the cell holds a missing value), so the casts run once per cell.
    """
    c = spec.constraints
    branches = [f"WHEN {missing} THEN {int(Fault.REQUIRED) if c.required else 0}"]
    if spec.type != "string":
        branches.append(f"WHEN ({value}) IS NULL THEN {int(Fault.TYPE)}")
    if c.enum is not None:
        options = ", ".join(typed(spec, literal(scalar_text(v))) for v in c.enum)
        branches.append(f"WHEN ({value}) NOT IN ({options}) THEN {int(Fault.ENUM)}")
    if c.pattern is not None:
        branches.append(f"WHEN NOT {full_match(raw, c.pattern)} THEN {int(Fault.PATTERN)}")
    if c.minimum is not None:
        bound = typed(spec, literal(scalar_text(c.minimum)))
        branches.append(f"WHEN ({value}) < ({bound}) THEN {int(Fault.MINIMUM)}")
    if c.maximum is not None:
        bound = typed(spec, literal(scalar_text(c.maximum)))
        branches.append(f"WHEN ({value}) > ({bound}) THEN {int(Fault.MAXIMUM)}")
    if c.min_length is not None:
        branches.append(f"WHEN length({raw}) < {c.min_length} THEN {int(Fault.MIN_LENGTH)}")
    if c.max_length is not None:
        branches.append(f"WHEN length({raw}) > {c.max_length} THEN {int(Fault.MAX_LENGTH)}")
    return f"CASE {' '.join(branches)} ELSE 0 END"


def block_query(
    schema: TableSchema, column_of_field: list[int], table: str, carry: Sequence[str] = ()
) -> str:
    """One SELECT over ``table`` (columns c0..cN as VARCHAR, plus __rec).

    The inner query reads each cell once (typed value ``t<j>``, missing flag
    ``m<j>``); the outer one applies the checks to those columns. Columns named
    in ``carry`` pass through unchanged.
    """
    inner = ["__rec", *carry]
    outer = ["__rec", *carry]
    raws = []
    for j, spec in enumerate(schema.fields):
        raw = f'"c{column_of_field[j]}"'
        raws.append(raw)
        missing = (
            f"{raw} IN ({literal_list(schema.missing_values)})"
            if schema.missing_values
            else "FALSE"
        )
        inner += [f"{raw} AS r{j}", f"{missing} AS m{j}", f"{typed(spec, raw)} AS t{j}"]
        fault = fault_expression(spec, f"r{j}", f"t{j}", f"m{j}")
        outer.append(f"({fault})::UTINYINT AS e{j}")
        outer.append(f"CASE WHEN m{j} THEN NULL ELSE t{j} END AS v{j}")
    empty = literal_list(["", *schema.missing_values])
    inner.append("(" + " AND ".join(f"{raw} IN ({empty})" for raw in raws) + ") AS blank")
    outer.append("blank")
    # Every value from the schema enters the SQL through literal(), which escapes it.
    return f"SELECT {', '.join(outer)} FROM (SELECT {', '.join(inner)} FROM {table})"  # noqa: S608


def describe(spec: FieldSpec, fault: Fault) -> tuple[str, str]:
    """(code, message) for a cell of ``spec`` with ``fault``."""
    c = spec.constraints
    if fault is Fault.TYPE:
        shape: str = spec.type
        if spec.type in TEMPORAL:
            # The format in words (DD/MM/YYYY), as the seeds write it, never strptime codes.
            shape = f"{spec.type} in format {described(spec.strptime_format)}"
        return "type-error", f"Value is not a valid {shape}."
    messages = {
        Fault.REQUIRED: "A value is required.",
        Fault.ENUM: f"Value must be one of {', '.join(scalar_text(v) for v in c.enum or [])}.",
        Fault.PATTERN: f"Value does not match the pattern {c.pattern}.",
        Fault.MINIMUM: f"Value is below the minimum {scalar_text(c.minimum or 0)}.",
        Fault.MAXIMUM: f"Value is above the maximum {scalar_text(c.maximum or 0)}.",
        Fault.MIN_LENGTH: f"Value is shorter than {c.min_length} characters.",
        Fault.MAX_LENGTH: f"Value is longer than {c.max_length} characters.",
    }
    return "constraint-error", messages[fault]
