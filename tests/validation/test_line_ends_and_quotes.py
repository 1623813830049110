"""Line ends and quotes as Python's csv, pyarrow and Frictionless read them (issue 12).

CR-only line ends (classic Mac, Excel "CSV (Macintosh)") end records, and a
quote inside an unquoted cell (``27" monitor``) is a literal character: the
block cutter and the parser agree on every record, also across the blocks of
files larger than one block.
"""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Any

from landingzone.validation.chunker import Block, Chunker, scan
from landingzone.validation.report import Report
from landingzone.validation.schema import DatasetType, parse_dataset_type
from landingzone.validation.validator import Validator
from tests.validation.test_validator import Collect


def dataset(*names: str, unique: str | None = None, max_bad: int = 0) -> DatasetType:
    fields = [
        {"name": n, **({"constraints": {"unique": True}} if n == unique else {})} for n in names
    ]
    return parse_dataset_type(
        json.dumps({"name": "t", "schema": {"fields": fields}, "maxBadRecords": max_bad})
    )


def run(
    kind: DatasetType, data: bytes, tmp_path: Path | None = None, **options: Any
) -> tuple[Report, Collect]:
    sink = Collect()
    path = None
    if tmp_path is not None:
        path = tmp_path / "f.csv"
        path.write_bytes(data)
    report = Validator(kind, **options).validate(io.BytesIO(data), sink, path)
    return report, sink


def python_csv(data: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(data.decode("utf-8"), newline="")))


def test_cr_only_line_ends_are_read_as_line_ends() -> None:
    data = b"id,name\r1,Ann\r2,Bob\r3,Cy"
    report, sink = run(dataset("id", "name"), data)
    assert report.fatal is None and report.errors == []
    assert report.rows_total == 3
    assert [(r["id"], r["name"], r["__row"]) for r in sink.rows] == [
        ("1", "Ann", 2),
        ("2", "Bob", 3),
        ("3", "Cy", 4),
    ]


def test_cr_only_file_with_a_quoted_cr_keeps_it_in_the_cell() -> None:
    data = b'id,note\r1,"two\rlines"\r2,x\r'
    report, sink = run(dataset("id", "note"), data, block_size=5)
    assert report.fatal is None and report.rows_total == 2
    assert [r["note"] for r in sink.rows] == ["two\rlines", "x"]


def test_cr_only_file_over_the_fast_path_threshold(tmp_path: Path) -> None:
    rows = b"".join(b"%d,name %d\r" % (i, i) for i in range(400_000))
    data = b"id,name\r" + rows
    assert len(data) > 4 * 1024 * 1024
    report, sink = run(dataset("id", "name", unique="id"), data, tmp_path)
    assert report.fatal is None and report.errors == []
    assert report.rows_total == 400_000 == len(sink.rows)
    assert sink.rows[-1] == {"id": "399999", "name": "name 399999", "__row": 400_001}


def test_a_cr_at_a_block_end_before_a_line_feed_is_not_a_line_end() -> None:
    data = b"id,name\r\n1,a\r\n2,b\r\n"
    for size in range(1, len(data) + 1):
        report, sink = run(dataset("id", "name"), data, block_size=size)
        assert report.errors == [] and report.rows_total == 2, size
        assert [r["name"] for r in sink.rows] == ["a", "b"]


def test_a_stray_quote_in_an_unquoted_cell_is_a_literal_character() -> None:
    data = b'id,item\n1,27" monitor\n2,"quoted, with comma"\n3,5" x 7" photo\n4,ab"\n'
    report, sink = run(dataset("id", "item"), data)
    assert report.fatal is None and report.errors == []
    assert [r["item"] for r in sink.rows] == [row[1] for row in python_csv(data)[1:]]
    assert sink.rows[0]["item"] == '27" monitor'


def test_stray_quotes_do_not_move_record_ends_in_a_multi_block_file() -> None:
    """Over 3 MiB: multi-line quoted cells, stray quotes, blocks cut at true record ends."""
    lines = []
    for i in range(150_000):
        if i % 7 == 0:
            lines.append(f'{i},27" monitor,"a quoted\nnote {i}, over two lines"\n')
        elif i % 11 == 0:
            lines.append(f'{i},"say ""hi""\r\nthere",5" x 7"\n')
        else:
            lines.append(f"{i},plain {i},x\n")
    data = ("id,a,b\n" + "".join(lines)).encode()
    assert len(data) > 3 * 1024 * 1024
    expected = python_csv(data)[1:]
    report, sink = run(dataset("id", "a", "b"), data)
    assert report.fatal is None and report.errors == []
    assert report.rows_total == len(expected) == 150_000
    assert [[r["id"], r["a"], r["b"]] for r in sink.rows] == expected


def test_blocks_end_where_python_csv_ends_records() -> None:
    data = b'h\n"a\nb"\n27" x\n"c""\nd"\ne"\n"f\rg"\rlast'
    records = python_csv(data)
    chunker = Chunker(io.BytesIO(data), block_size=3)
    assert chunker.first_record() == b"h"
    count = 1
    for block in chunker.blocks():
        assert isinstance(block, Block)
        found = scan(block.data)
        count += len(found.ends) + (0 if block.data.endswith((b"\n", b"\r")) else 1)
        assert not found.inside_quotes
    assert count == len(records)


def test_every_row_with_the_wrong_cell_count_in_a_large_file_with_a_unique_field(
    tmp_path: Path,
) -> None:
    """Was 'Row group size cannot be 0' from the fast path's Parquet writer."""
    name = b"n" * 40
    data = b"id,name\n" + b"".join(b"%d,%s,extra\n" % (i, name) for i in range(90_000))
    assert len(data) >= 4 * 1024 * 1024
    report, sink = run(dataset("id", "name", unique="id", max_bad=10**9), data, tmp_path)
    assert report.fatal is None
    assert report.rows_total == 90_000 == report.rows_rejected == report.error_count
    assert report.errors[0].code == "extra-cell" and report.errors[0].row == 2
    assert sink.rows == []
    short = b"id,name\n" + b"".join(b"%d%s\n" % (i, name) for i in range(100_000))
    assert len(short) >= 4 * 1024 * 1024
    report, _ = run(dataset("id", "name", unique="id"), short, tmp_path)
    assert report.fatal is not None and "too many bad rows" in report.fatal
    assert report.errors[0].code == "missing-cell"


def test_tab_separated_records_with_stray_quotes_and_tabs_inside_quotes() -> None:
    dataset = parse_dataset_type(
        json.dumps({"name": "t", "schema": {"fields": [{"name": "a"}, {"name": "b"}]}})
    )
    body = b'a\tb\r27" monitor\t"x\ty"\r"two\nlines"\t,\r'
    collect = Collect()
    report = Validator(dataset, delimiter="\t").validate(io.BytesIO(body), collect)
    assert report.fatal is None and report.errors == [], report.errors
    rows = [{"a": row["a"], "b": row["b"]} for row in collect.rows]
    assert rows == [{"a": '27" monitor', "b": "x\ty"}, {"a": "two\nlines", "b": ","}]
