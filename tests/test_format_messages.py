"""Date and time errors name the expected format in words, with an example (issue 12.7)."""

from __future__ import annotations

import io
import json

import pytest

from landingzone.validation.schema import parse_dataset_type
from landingzone.validation.validator import Validator


@pytest.mark.parametrize(
    ("field", "expected"),
    [
        ({"type": "date", "format": "%d/%m/%Y"}, "date in format DD/MM/YYYY (e.g. 31/12/2024)"),
        ({"type": "time", "format": "%H:%M"}, "time in format hh:mm (e.g. 17:30)"),
        ({"type": "date"}, "date in format YYYY-MM-DD (e.g. 2024-12-31)"),
        ({"type": "time"}, "time in format hh:mm:ss (e.g. 17:30:00)"),
        (
            {"type": "datetime", "format": "%d.%m.%y %I:%M %p"},
            "datetime in format DD.MM.YY hh:mm AM/PM (e.g. 31.12.24 05:30 PM)",
        ),
        ({"type": "integer"}, "integer"),
    ],
)
def test_type_errors_name_the_format_in_words(field: dict[str, str], expected: str) -> None:
    dataset = parse_dataset_type(
        json.dumps({"name": "t", "schema": {"fields": [{"name": "v", **field}]}})
    )
    report = Validator(dataset).validate(io.BytesIO(b"v\nnot-a-value\n"))
    (error,) = report.errors
    assert (error.code, error.message) == ("type-error", f"Value is not a valid {expected}.")
    assert "%" not in error.message
