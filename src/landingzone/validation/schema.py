"""Dataset types from the JSON an operator writes, and back from the catalog.

``parse_dataset_type`` checks a new definition in full (``dataset_type`` for
its shape, ``schema_checks`` for what DuckDB says of it); errors name the field
and the problem (``schema.fields[2] (amount): constraints.minimum: ...``).
The outside reads dataset types through this module (``__all__``).
"""

from __future__ import annotations

import json
from typing import Any

from pydantic import ValidationError

from landingzone.validation.dataset_type import ENGINE_CHECKS, MAX_FIELDS, DatasetType
from landingzone.validation.schema_checks import SchemaChecks

__all__ = [
    "MAX_FIELDS",
    "DatasetType",
    "DatasetTypeError",
    "load_stored_dataset_type",
    "parse_dataset_type",
]


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
    """A definition from the catalog, checked in full when it was added: read without
    DuckDB's checks, which keeps DuckDB off the request path."""
    return DatasetType.model_validate_json(definition)


def parse_dataset_type(document: str | bytes | dict[str, Any]) -> DatasetType:
    """Parse and check a dataset type; raise DatasetTypeError naming field and problem."""
    if isinstance(document, (str, bytes)):
        try:
            raw = json.loads(document)
        except json.JSONDecodeError as exc:
            raise DatasetTypeError(f"not valid JSON: {exc}") from None
        except UnicodeDecodeError:  # bytes in no encoding JSON may have
            raise DatasetTypeError("not valid JSON: send UTF-8 text") from None
        except RecursionError:
            raise DatasetTypeError("not valid JSON: nested too deeply") from None
    else:
        raw = document
    if not isinstance(raw, dict):
        raise DatasetTypeError("a dataset type is a JSON object with name and schema")
    try:
        with SchemaChecks() as checks:
            return DatasetType.model_validate(raw, context={ENGINE_CHECKS: checks})
    except ValidationError as exc:
        problems = []
        for error in exc.errors():
            message = str(error["msg"]).removeprefix("Value error, ")
            problems.append(f"{_location(tuple(error['loc']), raw)}: {message}")
        raise DatasetTypeError("; ".join(problems)) from None
