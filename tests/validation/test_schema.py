"""Dataset type documents: what is accepted, and errors that name the field and the problem."""

from __future__ import annotations

import json

import duckdb
import pytest

from landingzone.domain.datasets import shipped_datasets
from landingzone.validation.dataset_type import HeaderPolicy
from landingzone.validation.schema import DatasetTypeError, parse_dataset_type
from landingzone.validation.schema_checks import SchemaChecks


def doc(*fields: dict[str, object], **top: object) -> str:
    return json.dumps({"name": "t", "schema": {"fields": list(fields)}, **top})


def test_minimal_document_gets_the_spec_defaults() -> None:
    dataset = parse_dataset_type(doc({"name": "a"}))
    assert dataset.header_policy is HeaderPolicy.EXACT
    assert dataset.max_bad_records == 0
    assert dataset.table_schema.missing_values == [""]
    spec = dataset.table_schema.fields[0]
    assert spec.type == "string" and spec.format == "default"


def test_round_trip_through_json_keeps_the_aliases() -> None:
    source = doc(
        {
            "name": "d",
            "type": "date",
            "format": "%d/%m/%Y",
            "constraints": {"required": True, "minLength": None, "maximum": "31/12/2030"},
        },
        headerPolicy="optional",
        maxBadRecords=5,
    )
    dataset = parse_dataset_type(source)
    again = parse_dataset_type(dataset.to_json())
    assert again == dataset
    assert '"headerPolicy":"optional"' in dataset.to_json()


@pytest.mark.parametrize(
    ("document", "expected"),
    [
        ("{not json", "not valid JSON"),
        ("[]", "JSON object"),
        (json.dumps({"name": "t"}), "schema: Field required"),
        (json.dumps({"name": "Bad Name", "schema": {"fields": [{"name": "a"}]}}), "name:"),
        (doc(), "schema.fields: List should have at least 1 item"),
        (doc({"name": "a", "type": "money"}), "schema.fields[0] (a).type"),
        (doc({"name": "a"}, {"name": "a"}), "field name 'a' is used twice"),
        (doc({"name": "a", "type": "date", "format": "%d/%q"}), "schema.fields[0] (a): format"),
        (doc({"name": "a", "type": "string", "format": "%d"}), "only allowed on date"),
        (doc({"name": "a", "type": "date", "format": "any"}), "format 'any' is not supported"),
        (doc({"name": "a", "constraints": {"pattern": "("}}), "not a valid regular expression"),
        (doc({"name": "a", "constraints": {"enum": []}}), "at least one value"),
        (doc({"name": "a", "constraints": {"maxLen": 3}}), "constraints.maxLen: Extra inputs"),
        (doc({"name": "a", "type": "integer", "constraints": {"maxLength": 3}}), "string fields"),
        (doc({"name": "a", "type": "boolean", "constraints": {"minimum": 1}}), "boolean"),
        (doc({"name": "a"}, headerPolicy="strict"), "headerPolicy"),
        (doc({"name": "a"}, maxBadRecords=-1), "maxBadRecords"),
    ],
)
def test_broken_documents_name_the_field_and_problem(document: str, expected: str) -> None:
    with pytest.raises(DatasetTypeError) as raised:
        parse_dataset_type(document)
    assert expected in str(raised.value)


def test_shipped_examples_are_valid_and_match_the_spec() -> None:
    shipped = {d.name: d for d in shipped_datasets()}
    assert set(shipped) == {
        "transactions",
        "users",
        "contracts",
        "uploadapi.data",
        "uploadapi.events",
    }
    data = shipped["uploadapi.data"]
    assert data.table_schema.names == ["Reference", "StartDate", "StartTime", "EndDate", "EndTime"]
    assert data.header_policy is HeaderPolicy.OPTIONAL
    assert all(f.constraints.required for f in data.table_schema.fields)
    events = shipped["uploadapi.events"]
    assert events.table_schema.names == [
        "Reference",
        "EventStartDate",
        "EventStartTime",
        "EventEndDate",
        "EventEndTime",
        "Description",
        "TimeReference",
    ]
    assert events.table_schema.fields[-1].constraints.enum == [0, 1, 2]
    transactions = shipped["transactions"].table_schema
    assert {"transaction_id", "created_at", "amount", "currency", "status"} <= set(
        transactions.names
    )


def test_the_schema_checks_close_their_connection() -> None:
    with SchemaChecks() as checks:
        assert checks.re2_error("[a-z]+") is None
        assert checks.re2_error("(?=a)") is not None
        connection = checks._connection()
    with pytest.raises(duckdb.ConnectionException):
        connection.execute("SELECT 1")
