"""Dataset types as data: a Frictionless Table Schema plus an import policy (SPEC §4).

The models check a definition's shape; what only the validator's engine can
judge (a pattern RE2 refuses, a format DuckDB cannot read, a bound that is not
of its field's type) is asked of the ``EngineChecks`` in the validation
context, which ``schema.parse_dataset_type`` gives a new definition. A
definition read back from the catalog was checked in full when it was added:
it is read without them, which keeps DuckDB off the request path (the HTTP
workers read dataset types on every Files API call).

Supported, with the semantics documented in docs/datasets.md: field types
string, integer, number, boolean, date, time, datetime, year; ``format`` as a
strptime pattern for date/time/datetime; constraints required, unique, enum,
pattern (RE2 syntax, as DuckDB runs it), minimum, maximum, minLength, maxLength;
``missingValues``.
"""

from __future__ import annotations

import re
from enum import StrEnum
from typing import Annotated, Any, Literal, Protocol

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationInfo,
    field_validator,
    model_validator,
)

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


# The validation context key under which parse_dataset_type passes the EngineChecks.
ENGINE_CHECKS = "engine_checks"


class EngineChecks(Protocol):
    """What only the validator's engine can judge of a new definition (``schema_checks``)."""

    def re2_error(self, pattern: str) -> str | None:
        """Why the engine cannot run the regular expression ``pattern``; None if it can."""
        ...

    def strptime_error(self, pattern: str) -> str | None:
        """Why the engine cannot read values in strptime ``pattern``; None if it can."""
        ...

    def unreadable_constraint_values(self, spec: FieldSpec) -> list[str]:
        """The problems of the bounds and enum values of ``spec`` not of its type."""
        ...


def engine_checks(info: ValidationInfo) -> EngineChecks | None:
    """The engine's checks when a new definition is validated; None when a stored one is read."""
    checks: EngineChecks | None = (info.context or {}).get(ENGINE_CHECKS)
    return checks


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
        checks = engine_checks(info)
        if value is not None and checks is not None:
            problem = checks.re2_error(value)
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
        checks = engine_checks(info)
        if self.type in TEMPORAL:
            if self.format == "any":
                raise ValueError("format 'any' is not supported: give a strptime pattern")
            if self.format != "default":
                check_strptime(self.format)
                problem = checks.strptime_error(self.format) if checks else None
                if problem is not None:
                    raise ValueError(f"format '{self.format}' is not usable: {problem}")
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
        unreadable = checks.unreadable_constraint_values(self) if checks else []
        if unreadable:
            raise ValueError("; ".join(unreadable))
        return self

    @property
    def strptime_format(self) -> str:
        return DEFAULT_FORMATS[self.type] if self.format == "default" else self.format


def check_strptime(pattern: str) -> None:
    """Whether ``pattern`` is made of the strptime directives we support."""
    directives = re.findall(r"%(.)", pattern)
    if not directives:
        raise ValueError(f"format '{pattern}' has no strptime directive such as %d or %H")
    unknown = sorted({d for d in directives if d not in STRPTIME_DIRECTIVES})
    if unknown:
        raise ValueError(f"format '{pattern}' uses unsupported directive(s) %{', %'.join(unknown)}")


class TableSchema(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    fields: Annotated[list[FieldSpec], Field(min_length=1)]
    missing_values: Annotated[list[str], Field(alias="missingValues")] = [""]

    @model_validator(mode="after")
    def _unique_names(self, info: ValidationInfo) -> TableSchema:
        # A new definition (given the engine's checks) may not be wider; one stored
        # before the limit existed still loads, and the validator refuses it.
        if len(self.fields) > MAX_FIELDS and engine_checks(info) is not None:
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
