"""What DuckDB, the validator's engine, says of a new dataset type's patterns and values.

Python's ``re`` is no judge of a pattern: it accepts lookarounds and
backreferences, which RE2 (DuckDB's regular expressions) refuses, and would let
a dataset type through that fails every file. Bounds and enum values are read
as the cells are (``sql.typed``): one that cannot be read would turn its check
off without a word, an unreadable enum member the whole enum.

``SchemaChecks`` is the ``dataset_type.EngineChecks`` that
``schema.parse_dataset_type`` passes while it validates one definition. Its
DuckDB is opened on the first question (most definitions ask none) and closed
with it. DuckDB is imported only then: the API and an idle worker import this
module and must not load it.
"""

from __future__ import annotations

from types import TracebackType
from typing import TYPE_CHECKING

from landingzone.validation.dataset_type import TEMPORAL, FieldSpec
from landingzone.validation.session import connect
from landingzone.validation.shapes import literal
from landingzone.validation.sql import scalar_text, typed

if TYPE_CHECKING:
    from duckdb import DuckDBPyConnection


class SchemaChecks:
    """DuckDB's verdicts for one dataset type being added; ``close()`` when done."""

    def __init__(self) -> None:
        self._db: DuckDBPyConnection | None = None

    def __enter__(self) -> SchemaChecks:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    def close(self) -> None:
        if self._db is not None:
            self._db.close()
            self._db = None

    def _connection(self) -> DuckDBPyConnection:
        if self._db is None:
            self._db = connect(threads=1)
        return self._db

    def re2_error(self, pattern: str) -> str | None:
        """Why DuckDB cannot run ``pattern``; None if it can."""
        return self._error_of("SELECT regexp_full_match('', ?)", pattern)

    def strptime_error(self, pattern: str) -> str | None:
        """DuckDB's own reading of a strptime pattern, e.g. of a lone "%" at the end."""
        return self._error_of("SELECT try_strptime('', ?)", pattern)

    def _error_of(self, query: str, pattern: str) -> str | None:
        import duckdb  # for its Error; see the module docstring

        try:
            self._connection().execute(query, [pattern]).fetchall()
        except duckdb.Error as exc:
            return str(exc).removeprefix("Invalid Input Error: ")
        return None

    def unreadable_constraint_values(self, spec: FieldSpec) -> list[str]:
        """The ``minimum``, ``maximum`` and ``enum`` values that are not of the field's type."""
        c = spec.constraints
        bounds = (("minimum", c.minimum), ("maximum", c.maximum))
        values = [(name, v) for name, v in bounds if v is not None]
        values += [("enum", v) for v in c.enum or []]
        if spec.type == "string" or not values:
            return []
        texts = [scalar_text(v) for _, v in values]
        # The values enter the SQL through literal(), which escapes them.
        checks = ", ".join(f"({typed(spec, literal(t))}) IS NULL" for t in texts)
        unreadable = self._connection().execute(f"SELECT {checks}").fetchone() or ()
        shape = (
            spec.type
            if spec.type not in TEMPORAL
            else f"{spec.type} in format {spec.strptime_format}"
        )
        return [
            f"constraints.{name}: '{text}' is not a valid {shape}"
            for (name, _), text, bad in zip(values, texts, unreadable, strict=True)
            if bad
        ]
