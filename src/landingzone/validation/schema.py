"""Dataset types: a Frictionless Table Schema plus an import policy (SPEC §4).

This module parses and checks the JSON an operator writes; errors name the
field and the problem (``schema.fields[2] (amount): constraints.minimum: ...``).
Supported, with the semantics documented in docs/datasets.md: field types
string, integer, number, boolean, date, time, datetime, year; ``format`` as a
strptime pattern for date/time/datetime; constraints required, unique, enum,
pattern (RE2 syntax, as DuckDB runs it), minimum, maximum, minLength, maxLength;
``missingValues``.
"""

from __future__ import annotations

import json
import os
import re
import threading
from enum import StrEnum
from typing import TYPE_CHECKING, Annotated, Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)

if TYPE_CHECKING:
    from duckdb import DuckDBPyConnection

FieldType = Literal["string", "integer", "number", "boolean", "date", "time", "datetime", "year"]
DATASET_NAME = r"[a-z0-9][a-z0-9._-]{0,63}"
DEFAULT_FORMATS = {"date": "%Y-%m-%d", "time": "%H:%M:%S", "datetime": "%Y-%m-%dT%H:%M:%S"}
TEMPORAL = frozenset(DEFAULT_FORMATS)
STRPTIME_DIRECTIVES = frozenset("dmyYHIMSfpbBaAjzZ%")
DEFAULT_TRUE = ("true", "True", "TRUE", "1")
DEFAULT_FALSE = ("false", "False", "FALSE", "0")

Scalar = str | int | float | bool
# The widest dataset type validation takes. It checks every field of a block of rows
# in one DuckDB query under a fixed memory limit, and the query's working set grows
# with the fields: 800 integer fields ran out of memory, 1,500 (frictionless-py's
# wide.csv has 9,074) every time; with Parquet, 200 integer fields peak 15-20 MB
# above a narrow file, 300 fields 35 MB (docs/design/validation-engine.md).
MAX_FIELDS = 200


def too_wide(count: int) -> str:
    return (
        f"has {count} fields; a dataset type may have at most {MAX_FIELDS} fields, "
        "because validation checks all of a row's fields at once within a fixed memory "
        "limit: split the columns into several dataset types"
    )


class HeaderPolicy(StrEnum):
    EXACT = "exact"
    ANY_ORDER = "any-order"
    IGNORE_EXTRA = "ignore-extra"
    OPTIONAL = "optional"


class Constraints(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    required: bool = False
    unique: bool = False
    enum: list[Scalar] | None = None
    pattern: str | None = None
    minimum: Scalar | None = None
    maximum: Scalar | None = None
    min_length: Annotated[int | None, Field(alias="minLength", ge=0)] = None
    max_length: Annotated[int | None, Field(alias="maxLength", ge=0)] = None

    @field_validator("pattern")
    @classmethod
    def _compiles(cls, value: str | None, info: ValidationInfo) -> str | None:
        if value is not None and not _stored(info):
            problem = re2_error(value)
            if problem is not None:
                raise ValueError(f"not a valid regular expression (RE2 syntax): {problem}")
        return value

    @field_validator("enum")
    @classmethod
    def _non_empty(cls, value: list[Scalar] | None) -> list[Scalar] | None:
        if value is not None and not value:
            raise ValueError("must list at least one value")
        return value


class FieldSpec(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    name: Annotated[str, Field(min_length=1)]
    type: FieldType = "string"
    format: str = "default"
    title: str | None = None
    description: str | None = None
    example: Any = None
    constraints: Constraints = Constraints()
    true_values: Annotated[list[str], Field(alias="trueValues")] = list(DEFAULT_TRUE)
    false_values: Annotated[list[str], Field(alias="falseValues")] = list(DEFAULT_FALSE)

    @model_validator(mode="after")
    def _format_fits_type(self, info: ValidationInfo) -> FieldSpec:
        deep = not _stored(info)
        if self.type in TEMPORAL:
            if self.format == "any":
                raise ValueError("format 'any' is not supported: give a strptime pattern")
            if self.format != "default":
                check_strptime(self.format, deep)
        elif self.format != "default":
            raise ValueError(f"format '{self.format}' is only allowed on date, time or datetime")
        if self.type != "string" and (
            self.constraints.min_length is not None or self.constraints.max_length is not None
        ):
            raise ValueError("minLength and maxLength apply to string fields only")
        if self.type == "boolean" and (
            self.constraints.minimum is not None or self.constraints.maximum is not None
        ):
            raise ValueError("minimum and maximum do not apply to boolean fields")
        unreadable = unreadable_constraint_values(self) if deep else []
        if unreadable:
            raise ValueError("; ".join(unreadable))
        return self

    @property
    def strptime_format(self) -> str:
        return DEFAULT_FORMATS[self.type] if self.format == "default" else self.format


def _stored(info: ValidationInfo) -> bool:
    """A definition read back from the catalog was checked in full when it was added.

    Skipping the DuckDB-backed checks then keeps them (and DuckDB) off the
    request path: the HTTP workers read dataset types on every Files API call.
    """
    return bool(info.context and info.context.get("stored"))


_checker_lock = threading.Lock()
_checkers: dict[int, DuckDBPyConnection] = {}


def _checker() -> DuckDBPyConnection:
    """DuckDB, to check patterns and constraint values as the validator will read them.

    One per process (a forked worker does not use its parent's); hold ``_checker_lock``.
    """
    import duckdb

    connection = _checkers.get(os.getpid())
    if connection is None:
        connection = _checkers[os.getpid()] = duckdb.connect()
    return connection


def re2_error(pattern: str) -> str | None:
    """Why DuckDB, whose regular expressions are RE2, cannot run ``pattern``; None if it can.

    Python's ``re`` is no judge: it accepts lookarounds and backreferences, which
    RE2 refuses, and would let a dataset type through that fails every file.
    """
    import duckdb

    with _checker_lock:
        try:
            _checker().execute("SELECT regexp_full_match('', ?)", [pattern]).fetchall()
        except duckdb.Error as exc:
            return str(exc).removeprefix("Invalid Input Error: ")
    return None


def unreadable_constraint_values(spec: FieldSpec) -> list[str]:
    """The ``minimum``, ``maximum`` and ``enum`` values that are not of the field's type.

    Read as the cells are (``sql.typed``): a bound that cannot be read would turn
    its check off without a word, an unreadable enum member the whole enum.
    """
    from landingzone.validation import sql  # sql imports this module
    from landingzone.validation.shapes import literal

    c = spec.constraints
    bounds = (("minimum", c.minimum), ("maximum", c.maximum))
    values = [(name, v) for name, v in bounds if v is not None]
    values += [("enum", v) for v in c.enum or []]
    if spec.type == "string" or not values:
        return []
    texts = [sql.scalar_text(v) for _, v in values]
    # The values enter the SQL through literal(), which escapes them.
    checks = ", ".join(f"({sql.typed(spec, literal(t))}) IS NULL" for t in texts)
    with _checker_lock:
        unreadable = _checker().execute(f"SELECT {checks}").fetchone() or ()
    shape = (
        spec.type if spec.type not in TEMPORAL else f"{spec.type} in format {spec.strptime_format}"
    )
    return [
        f"constraints.{name}: '{text}' is not a valid {shape}"
        for (name, _), text, bad in zip(values, texts, unreadable, strict=True)
        if bad
    ]


def check_strptime(pattern: str, deep: bool = True) -> None:
    directives = re.findall(r"%(.)", pattern)
    if not directives:
        raise ValueError(f"format '{pattern}' has no strptime directive such as %d or %H")
    unknown = sorted({d for d in directives if d not in STRPTIME_DIRECTIVES})
    if unknown:
        raise ValueError(f"format '{pattern}' uses unsupported directive(s) %{', %'.join(unknown)}")
    if not deep:
        return
    import duckdb

    with _checker_lock:  # DuckDB's own reading, e.g. of a lone "%" at the end
        try:
            _checker().execute("SELECT try_strptime('', ?)", [pattern]).fetchall()
        except duckdb.Error as exc:
            message = str(exc).removeprefix("Invalid Input Error: ")
            raise ValueError(f"format '{pattern}' is not usable: {message}") from None


class TableSchema(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    fields: Annotated[list[FieldSpec], Field(min_length=1)]
    missing_values: Annotated[list[str], Field(alias="missingValues")] = [""]

    @model_validator(mode="after")
    def _unique_names(self, info: ValidationInfo) -> TableSchema:
        if len(self.fields) > MAX_FIELDS and not _stored(info):
            raise ValueError(too_wide(len(self.fields)))
        seen: set[str] = set()
        for spec in self.fields:
            if spec.name in seen:
                raise ValueError(f"field name '{spec.name}' is used twice")
            seen.add(spec.name)
        return self

    @property
    def names(self) -> list[str]:
        return [spec.name for spec in self.fields]

    @property
    def unique_fields(self) -> list[int]:
        """Indexes of the fields with the ``unique`` constraint."""
        return [j for j, spec in enumerate(self.fields) if spec.constraints.unique]


class DatasetType(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    name: Annotated[str, Field(pattern=f"^{DATASET_NAME}$")]
    title: str | None = None
    description: str | None = None
    table_schema: Annotated[TableSchema, Field(alias="schema")]
    header_policy: Annotated[HeaderPolicy, Field(alias="headerPolicy")] = HeaderPolicy.EXACT
    max_bad_records: Annotated[int, Field(alias="maxBadRecords", ge=0)] = 0

    def to_json(self) -> str:
        return self.model_dump_json(by_alias=True, exclude_none=True)


class DatasetTypeError(ValueError):
    """A dataset type document is unusable; the message names each problem."""


def _child(node: Any, key: int | str) -> Any:
    try:
        return node[key]
    except (KeyError, IndexError, TypeError):
        return None


def _location(loc: tuple[int | str, ...], raw: Any) -> str:
    """``('schema', 'fields', 2, 'type')`` -> ``schema.fields[2] (amount).type``."""
    parts: list[str] = []
    node = raw
    for item in loc:
        child = _child(node, item)
        if isinstance(item, int):
            name = child.get("name") if isinstance(child, dict) else None
            label = f"[{item}]" + (f" ({name})" if isinstance(name, str) else "")
            if parts:
                parts[-1] += label
            else:
                parts.append(label)
        else:
            parts.append(str(item))
        node = child
    return ".".join(parts) or "document"


def load_stored_dataset_type(definition: str) -> DatasetType:
    """A definition from the catalog, checked in full when it was added."""
    return DatasetType.model_validate_json(definition, context={"stored": True})


def parse_dataset_type(document: str | bytes | dict[str, Any]) -> DatasetType:
    """Parse and check a dataset type; raise DatasetTypeError naming field and problem."""
    if isinstance(document, (str, bytes)):
        try:
            raw = json.loads(document)
        except json.JSONDecodeError as exc:
            raise DatasetTypeError(f"not valid JSON: {exc}") from None
    else:
        raw = document
    if not isinstance(raw, dict):
        raise DatasetTypeError("a dataset type is a JSON object with name and schema")
    try:
        return DatasetType.model_validate(raw)
    except ValidationError as exc:
        problems = []
        for error in exc.errors():
            message = str(error["msg"]).removeprefix("Value error, ")
            problems.append(f"{_location(tuple(error['loc']), raw)}: {message}")
        raise DatasetTypeError("; ".join(problems)) from None
