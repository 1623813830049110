"""What validation finds: row-level errors with Frictionless codes, and the file's verdict."""

from __future__ import annotations

from dataclasses import dataclass, field

VALUE_LIMIT = 100
DEFAULT_ERROR_CAP = 1000

# The Frictionless error vocabulary (SPEC §4).
BLANK_LABEL = "blank-label"
DUPLICATE_LABEL = "duplicate-label"
MISSING_LABEL = "missing-label"
EXTRA_LABEL = "extra-label"
INCORRECT_LABEL = "incorrect-label"
MISSING_CELL = "missing-cell"
EXTRA_CELL = "extra-cell"
TYPE_ERROR = "type-error"
CONSTRAINT_ERROR = "constraint-error"
UNIQUE_ERROR = "unique-error"
BLANK_ROW = "blank-row"
ENCODING_ERROR = "encoding-error"
SOURCE_ERROR = "source-error"


@dataclass(frozen=True)
class CellError:
    """One problem, located as a spreadsheet shows it: the header is row 1."""

    row: int
    column: int | None
    field: str | None
    value: str | None
    code: str
    message: str

    @classmethod
    def make(
        cls,
        row: int,
        column: int | None,
        field: str | None,
        value: str | None,
        code: str,
        message: str,
    ) -> CellError:
        if value is not None and len(value) > VALUE_LIMIT:
            value = value[:VALUE_LIMIT]
        return cls(row, column, field, value, code, message)

    def sort_key(self) -> tuple[int, int]:
        return (self.row, self.column or 0)


@dataclass
class Report:
    """The outcome of validating one file."""

    rows_total: int = 0
    rows_rejected: int = 0
    error_count: int = 0
    errors: list[CellError] = field(default_factory=list)
    errors_truncated: bool = False
    fatal: str | None = None  # why the file cannot be imported at all
    duplicate_rows: list[int] = field(default_factory=list)
    sha256: str | None = None  # of every byte of the input, as read

    @property
    def rows_imported(self) -> int:
        return 0 if self.fatal else self.rows_total - self.rows_rejected
