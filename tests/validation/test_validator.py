"""The streaming validator: every error kind, located as a spreadsheet shows it."""

from __future__ import annotations

import io
import json
from typing import Any

import pyarrow as pa
import pytest

from landingzone.domain.datasets import shipped_datasets
from landingzone.validation.report import Report
from landingzone.validation.schema import DatasetType, parse_dataset_type
from landingzone.validation.validator import Validator

SHIPPED = {d.name: d for d in shipped_datasets()}
DATA_HEADER = b"Reference,StartDate,StartTime,EndDate,EndTime\r\n"


class Collect:
    def __init__(self) -> None:
        self.rows: list[dict[str, Any]] = []

    def write(self, table: pa.Table) -> None:
        self.rows.extend(table.to_pylist())

    def restart(self) -> None:
        self.rows.clear()


def run(dataset: DatasetType, data: bytes, **options: Any) -> tuple[Report, Collect]:
    sink = Collect()
    report = Validator(dataset, **options).validate(io.BytesIO(data), sink)
    return report, sink


def found(report: Report) -> list[tuple[int, str | None, str]]:
    return [(e.row, e.field, e.code) for e in report.errors]


def schema(*fields: dict[str, Any], **top: Any) -> DatasetType:
    return parse_dataset_type(json.dumps({"name": "t", "schema": {"fields": list(fields)}, **top}))


def test_valid_file_is_typed_and_numbered_from_row_2() -> None:
    data = (
        DATA_HEADER + b"U1,12/05/2024,09:00,12/05/2024,17:00\r\nU2,1/2/2024,9:05,01/02/2024,10:00"
    )
    report, sink = run(SHIPPED["uploadapi.data"], data)
    assert report.fatal is None
    assert (report.rows_total, report.rows_rejected, report.rows_imported) == (2, 0, 2)
    assert report.errors == []
    assert [r["__row"] for r in sink.rows] == [2, 3]
    assert str(sink.rows[0]["StartDate"]) == "2024-05-12"
    assert str(sink.rows[1]["StartTime"]) == "09:05:00"


def test_31_february_is_a_type_error_not_2_march() -> None:
    data = DATA_HEADER + b"U1,31/02/2024,09:00,12/05/2024,17:00\n"
    report, sink = run(SHIPPED["uploadapi.data"], data)
    assert found(report) == [(2, "StartDate", "type-error")]
    assert report.errors[0].value == "31/02/2024"
    assert report.errors[0].column == 2
    assert sink.rows == []


@pytest.mark.parametrize("value", ["24:00", "23:60", "9h00", "09:00:00", ""])
def test_times_outside_hh_mm(value: str) -> None:
    data = DATA_HEADER + f"U1,12/05/2024,{value},12/05/2024,17:00\n".encode()
    report, _ = run(SHIPPED["uploadapi.data"], data)
    code = "constraint-error" if value == "" else "type-error"
    assert found(report) == [(2, "StartTime", code)]


def test_structure_errors_blank_rows_and_quoted_newlines() -> None:
    data = (
        DATA_HEADER
        + b'"U1, the first",12/05/2024,09:00,12/05/2024,17:00\n'  # quoted comma
        + b"U2,12/05/2024,09:00,12/05/2024\n"  # missing cell
        + b"U3,12/05/2024,09:00,12/05/2024,17:00,x,y\n"  # two extra cells
        + b"\n"  # blank line
        + b'"U4\nsecond line",12/05/2024,09:00,12/05/2024,17:00\n'  # quoted newline
        + b",,,,\n"  # blank row
        + b"U5,12/05/2024,09:00,12/05/2024,17:00\n"
    )
    report, sink = run(SHIPPED["uploadapi.data"], data)
    assert found(report) == [
        (3, "EndTime", "missing-cell"),
        (4, None, "extra-cell"),
        (4, None, "extra-cell"),
        (5, None, "blank-row"),
        (7, None, "blank-row"),
    ]
    assert [e.value for e in report.errors if e.code == "extra-cell"] == ["x", "y"]
    assert [e.column for e in report.errors if e.code == "extra-cell"] == [6, 7]
    assert report.rows_total == 7
    assert report.rows_rejected == 4
    assert [r["__row"] for r in sink.rows] == [2, 6, 8]
    assert sink.rows[1]["Reference"] == "U4\nsecond line"


def test_bom_crlf_and_no_final_newline() -> None:
    data = b"\xef\xbb\xbf" + DATA_HEADER + b"U1,12/05/2024,09:00,12/05/2024,17:00"
    report, sink = run(SHIPPED["uploadapi.data"], data)
    assert report.fatal is None and report.rows_total == 1 and len(sink.rows) == 1


def test_invalid_utf8_is_an_encoding_error_on_its_row() -> None:
    data = (
        DATA_HEADER
        + b"U1,12/05/2024,09:00,12/05/2024,17:00\nU\xff\xfe,12/05/2024,09:00,12/05/2024,17:00\n"
    )
    report, sink = run(SHIPPED["uploadapi.data"], data)
    assert found(report) == [(3, None, "encoding-error")]
    assert [r["__row"] for r in sink.rows] == [2]


def test_nul_bytes_are_data() -> None:
    data = DATA_HEADER + b"U\x001,12/05/2024,09:00,12/05/2024,17:00\n"
    report, sink = run(SHIPPED["uploadapi.data"], data)
    assert report.errors == [] and sink.rows[0]["Reference"] == "U\x001"


def test_unterminated_quote_is_one_clear_error_without_reading_everything() -> None:
    data = DATA_HEADER + b'U1,12/05/2024,09:00,12/05/2024,17:00\n"U2,never closed\n' + b"x" * 5000
    report, _ = run(SHIPPED["uploadapi.data"], data)
    assert report.fatal is not None and "never closes" in report.fatal
    assert found(report) == [(3, None, "source-error")]

    class Endless:
        """An opened quote followed by an endless stream: the read must stop."""

        served = 0

        def read(self, size: int) -> bytes:
            chunk = DATA_HEADER + b'"' if self.served == 0 else b"y" * size
            self.served += len(chunk)
            return chunk

    endless = Endless()
    result = Validator(SHIPPED["uploadapi.data"], block_size=1 << 16).validate(
        endless  # type: ignore[arg-type]
    )
    assert result.fatal is not None and "never closes" in result.fatal
    assert endless.served < 64 * 1024 * 1024


def test_empty_and_header_only_files() -> None:
    empty, _ = run(SHIPPED["uploadapi.data"], b"")
    assert empty.fatal is not None and "empty" in empty.fatal
    header_only, sink = run(SHIPPED["transactions"], SHIPPED_HEADER_TRANSACTIONS)
    assert header_only.fatal is None and header_only.rows_total == 0 and sink.rows == []


SHIPPED_HEADER_TRANSACTIONS = (
    ",".join(SHIPPED["transactions"].table_schema.names).encode() + b"\r\n"
)


def test_optional_header_policy_takes_the_first_row_as_data_when_it_is_not_a_header() -> None:
    data = b"U1,12/05/2024,09:00,12/05/2024,17:00\nU2,31/02/2024,09:00,12/05/2024,17:00\n"
    report, sink = run(SHIPPED["uploadapi.data"], data)
    assert found(report) == [(2, "StartDate", "type-error")]
    assert [r["__row"] for r in sink.rows] == [1]
    spaced = (
        b" reference , STARTDATE,StartTime,EndDate,endtime\nU1,12/05/2024,09:00,12/05/2024,17:00\n"
    )
    report, sink = run(SHIPPED["uploadapi.data"], spaced)
    assert report.errors == [] and [r["__row"] for r in sink.rows] == [2]


@pytest.mark.parametrize(
    ("policy", "header", "codes", "fatal"),
    [
        ("exact", "a,b,c", [], False),
        ("exact", "b,a,c", ["incorrect-label", "incorrect-label"], True),
        ("exact", "a,b", ["missing-label"], True),
        ("exact", "a,b,c,d", ["extra-label"], True),
        ("exact", "a,,c", ["blank-label"], True),
        ("exact", "a,b,c,a", ["duplicate-label", "extra-label"], True),
        ("any-order", "c,a,b", [], False),
        ("any-order", "c,a,b,d", ["extra-label"], True),
        ("any-order", "c,a", ["missing-label"], True),
        ("ignore-extra", "d,c,a,b", [], False),
        ("ignore-extra", "d,c,a", ["missing-label"], True),
    ],
)
def test_header_policies(policy: str, header: str, codes: list[str], fatal: bool) -> None:
    dataset = schema(
        {"name": "a", "type": "integer"}, {"name": "b"}, {"name": "c"}, headerPolicy=policy
    )
    cells = {"a": "1", "b": "x", "c": "y", "d": "extra"}
    row = ",".join(cells.get(label, "") for label in header.split(","))
    report, sink = run(dataset, f"{header}\n{row}\n".encode())
    assert sorted(e.code for e in report.errors) == sorted(codes)
    assert (report.fatal is not None) == fatal
    if not fatal:
        assert sink.rows == [{"a": 1, "b": "x", "c": "y", "__row": 2}]


def test_types_and_constraints() -> None:
    dataset = schema(
        {"name": "i", "type": "integer", "constraints": {"minimum": 1, "maximum": 10}},
        {"name": "n", "type": "number"},
        {"name": "b", "type": "boolean"},
        {"name": "d", "type": "date", "constraints": {"minimum": "2020-01-01"}},
        {"name": "y", "type": "year"},
        {"name": "s", "constraints": {"minLength": 2, "maxLength": 3, "pattern": "[a-z]+"}},
        {"name": "e", "type": "integer", "constraints": {"enum": [1, 2]}},
        {"name": "t", "type": "datetime"},
        {"name": "r", "constraints": {"required": True}},
    )
    header = b"i,n,b,d,y,s,e,t,r\n"
    good = b"5,1.5e3,true,2021-03-04,1999,abc,2,2025-01-01T10:00:00Z,x\n"
    bad = b"0,1.2.3,maybe,2019-12-31,99,A,3,2025-13-01T00:00:00,\n"
    worse = b"11,NaN,1,not-a-date,2024,abcd,x,2025-01-01 10:00,\n"
    report, sink = run(dataset, header + good + bad + worse)
    assert found(report) == [
        (3, "i", "constraint-error"), (3, "n", "type-error"), (3, "b", "type-error"),
        (3, "d", "constraint-error"), (3, "y", "type-error"), (3, "s", "constraint-error"),
        (3, "e", "constraint-error"), (3, "t", "type-error"), (3, "r", "constraint-error"),
        (4, "i", "constraint-error"), (4, "n", "type-error"), (4, "d", "type-error"),
        (4, "s", "constraint-error"), (4, "e", "type-error"), (4, "t", "type-error"),
        (4, "r", "constraint-error"),
    ]  # fmt: skip
    assert len(sink.rows) == 1 and sink.rows[0]["i"] == 5 and sink.rows[0]["b"] is True


def test_missing_values_pass_everything_but_required() -> None:
    dataset = parse_dataset_type(
        json.dumps({"name": "t", "schema": {"fields": [
            {"name": "a", "type": "integer", "constraints": {"minimum": 5}},
            {"name": "b", "constraints": {"required": True}},
        ], "missingValues": ["", "NA"]}})
    )  # fmt: skip
    report, sink = run(dataset, b"a,b\nNA,x\n7,NA\n")
    assert found(report) == [(3, "b", "constraint-error")]
    assert sink.rows == [{"a": None, "b": "x", "__row": 2}]


def test_unique_across_blocks_reports_every_repeat_after_the_first() -> None:
    dataset = schema(
        {"name": "id", "constraints": {"unique": True}}, {"name": "n", "type": "integer"}
    )
    lines = [f"id{i % 700},{i}" for i in range(2000)]
    data = ("id,n\n" + "\n".join(lines) + "\n").encode()
    report, sink = run(dataset, data, block_size=4096)  # many blocks
    repeats = [e for e in report.errors if e.code == "unique-error"]
    assert report.error_count == 1300
    assert repeats[0].row == 702 and repeats[0].value == "id0"
    assert report.duplicate_rows[:2] == [702, 703]
    assert report.rows_rejected == 1300
    assert len(sink.rows) == 2000  # the sink's owner drops duplicate_rows


def test_error_cap_counts_everything_and_flags_truncation() -> None:
    dataset = schema({"name": "n", "type": "integer"})
    data = b"n\n" + b"x\n" * 50 + b"1\n"
    report, _ = run(dataset, data, error_cap=10)
    assert len(report.errors) == 10 and report.error_count == 50
    assert report.errors_truncated is True
    assert [e.row for e in report.errors] == list(range(2, 12))


def test_max_bad_records_allows_partial_imports() -> None:
    base = {"name": "t", "schema": {"fields": [{"name": "n", "type": "integer"}]}}
    data = b"n\n1\nx\n2\ny\n"
    strict, _ = run(parse_dataset_type(json.dumps(base)), data)
    assert strict.fatal is not None and "too many bad rows" in strict.fatal
    assert strict.rows_imported == 0
    lenient, sink = run(parse_dataset_type(json.dumps({**base, "maxBadRecords": 2})), data)
    assert lenient.fatal is None and lenient.rows_imported == 2
    assert [r["n"] for r in sink.rows] == [1, 2]


def test_values_are_cut_to_100_characters() -> None:
    dataset = schema({"name": "n", "type": "integer"})
    report, _ = run(dataset, b"n\n" + b"9" * 30 + b"x" * 200 + b"\n")
    assert len(report.errors[0].value or "") == 100
