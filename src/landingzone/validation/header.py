"""Header alignment (SPEC §4): which CSV column feeds which field, per the header policy."""

from __future__ import annotations

import csv
from collections import Counter
from dataclasses import dataclass, field

from landingzone.validation.dataset_type import HeaderPolicy, TableSchema
from landingzone.validation.report import (
    BLANK_LABEL,
    DUPLICATE_LABEL,
    EXTRA_LABEL,
    INCORRECT_LABEL,
    MISSING_LABEL,
    CellError,
)


@dataclass
class Alignment:
    """How the columns of the file map onto the schema's fields."""

    has_header: bool
    column_count: int  # cells every record should have
    field_of_column: list[int | None]  # CSV column index -> field index (None: ignored)
    errors: list[CellError] = field(default_factory=list)
    fatal: str | None = None


def split_record(text: str, delimiter: str = ",") -> list[str]:
    """One record's cells, as Python's csv reads them (quotes opening only at a cell start)."""
    try:
        return next(csv.reader([text], delimiter=delimiter), [])
    except csv.Error:  # a NUL or a line end where csv refuses one: cells by delimiters
        return text.split(delimiter)


def _normalize(label: str) -> str:
    return label.strip().casefold()


def align(labels: list[str], schema: TableSchema, policy: HeaderPolicy) -> Alignment:
    """Align the first record with the fields; under ``optional`` it may be data."""
    names = schema.names
    if policy is HeaderPolicy.OPTIONAL:
        if [_normalize(label) for label in labels] == [_normalize(n) for n in names]:
            return Alignment(True, len(names), list(range(len(names))))
        return Alignment(False, len(names), list(range(len(names))))

    errors = _label_errors(labels, names, policy)
    if policy is HeaderPolicy.EXACT:
        mapping: list[int | None] = list(range(len(labels)))
    else:
        position = {name: i for i, name in enumerate(names)}
        mapping = [position.get(label) for label in labels]
    fatal = None
    if errors:
        kinds = sorted({e.code for e in errors})
        fatal = (
            f"header mismatch ({', '.join(kinds)}): expected "
            f"{', '.join(names)}"
            + {
                HeaderPolicy.EXACT: ", in this order",
                HeaderPolicy.ANY_ORDER: ", in any order",
                HeaderPolicy.IGNORE_EXTRA: ", in any order, extra columns allowed",
            }[policy]
        )
    return Alignment(True, len(labels), mapping, errors, fatal)


def _extra_label(column: int, label: str) -> CellError:
    return CellError.make(
        1, column, None, label, EXTRA_LABEL, f"Column {column} '{label}' is not in the schema."
    )


def _label_errors(labels: list[str], names: list[str], policy: HeaderPolicy) -> list[CellError]:
    errors: list[CellError] = []
    counts = Counter(labels)
    for column, label in enumerate(labels, start=1):
        if not label.strip():
            errors.append(
                CellError.make(1, column, None, label, BLANK_LABEL, "Label in the header is blank.")
            )
        elif counts[label] > 1 and labels.index(label) != column - 1:
            errors.append(
                CellError.make(
                    1,
                    column,
                    label,
                    label,
                    DUPLICATE_LABEL,
                    f"Label '{label}' appears more than once in the header.",
                )
            )
    if policy is HeaderPolicy.EXACT:
        for column, label in enumerate(labels, start=1):
            if column > len(names):
                errors.append(_extra_label(column, label))
            elif label.strip() and label != names[column - 1]:
                errors.append(
                    CellError.make(
                        1,
                        column,
                        names[column - 1],
                        label,
                        INCORRECT_LABEL,
                        f"Column {column} is labelled '{label}'; expected '{names[column - 1]}'.",
                    )
                )
        for column in range(len(labels) + 1, len(names) + 1):
            errors.append(
                CellError.make(
                    1,
                    column,
                    names[column - 1],
                    None,
                    MISSING_LABEL,
                    f"Column '{names[column - 1]}' is missing from the header.",
                )
            )
        return errors
    present = set(labels)
    if policy is HeaderPolicy.ANY_ORDER:
        for column, label in enumerate(labels, start=1):
            if label.strip() and label not in names:
                errors.append(_extra_label(column, label))
    for name in names:
        if name not in present:
            errors.append(
                CellError.make(
                    1,
                    None,
                    name,
                    None,
                    MISSING_LABEL,
                    f"Column '{name}' is missing from the header.",
                )
            )
    return errors
