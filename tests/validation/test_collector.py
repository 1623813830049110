"""The error collector (validation/collector.py) and the block checker's connection."""

from __future__ import annotations

import duckdb
import pytest

from landingzone.validation.block import BlockChecker
from landingzone.validation.collector import ErrorCollector
from landingzone.validation.header import align
from landingzone.validation.report import TYPE_ERROR, CellError, Report
from landingzone.validation.schema import parse_dataset_type


def error(row: int, column: int | None = 1) -> CellError:
    return CellError.make(row, column, "f", "v", TYPE_ERROR, "bad")


def test_the_first_errors_in_row_order_are_kept_whatever_order_they_come_in() -> None:
    collector = ErrorCollector(3)
    collector.add([error(9), error(4)])
    collector.add([error(2, 2), error(7)], count=10)  # counted more than it built
    collector.add([error(2, None)])
    report = collector.fill(Report())
    assert [(e.row, e.column) for e in report.errors] == [(2, None), (2, 2), (4, 1)]
    assert report.error_count == 13
    assert report.errors_truncated


def test_memory_stays_within_twice_the_cap() -> None:
    collector = ErrorCollector(2)
    for row in range(100, 0, -1):
        collector.add([error(row)])
        assert len(collector._kept) <= 4
    assert [e.row for e in collector.errors()] == [1, 2]


def test_without_an_order_errors_are_kept_as_added() -> None:
    collector = ErrorCollector(2, order=None)
    collector.add([error(1, 3), error(1, 1), error(1, 2)])
    report = collector.fill(Report())
    assert [e.column for e in report.errors] == [3, 1]
    assert report.errors_truncated


def test_nothing_is_truncated_under_the_cap() -> None:
    collector = ErrorCollector(5)
    collector.add([error(1), error(2)])
    report = collector.fill(Report())
    assert report.error_count == 2 and not report.errors_truncated


def test_the_block_checker_closes_its_connection() -> None:
    dataset = parse_dataset_type(
        {"name": "n", "schema": {"fields": [{"name": "n", "type": "integer"}]}}
    )
    alignment = align(["n"], dataset.table_schema, dataset.header_policy)
    with BlockChecker(dataset.table_schema, alignment, 10) as checker:
        result = checker.check(b"1\nx\n")
        cursor = checker._cursor()
    assert result.records == 2 and [e.row for e in result.errors] == [2]
    with pytest.raises(duckdb.ConnectionException):
        cursor.execute("SELECT 1")
