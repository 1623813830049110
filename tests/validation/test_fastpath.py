"""The fast path (validation/fastpath.py): answers for plain files, never changes a verdict."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest
from hypothesis import HealthCheck, Phase, given, settings

from landingzone.domain.datasets import shipped_datasets
from landingzone.validation import fastpath
from landingzone.validation.block import BlockChecker
from landingzone.validation.fastpath import FastPath, plain
from landingzone.validation.header import align, split_record
from landingzone.validation.report import DEFAULT_ERROR_CAP, Report
from landingzone.validation.schema import DatasetType, parse_dataset_type
from landingzone.validation.validator import Validator
from tests.validation.test_oracle import Case, cases

TX_HEADER = (
    "transaction_id,created_at,amount,currency,status,payment_method,"
    "merchant_reference,customer_id,fee,country"
)


class Collect:
    def __init__(self) -> None:
        self.tables: list[pa.Table] = []
        self.restarts = 0

    def write(self, table: pa.Table) -> None:
        self.tables.append(table)

    def restart(self) -> None:
        self.tables.clear()
        self.restarts += 1

    def rows(self) -> list[dict[str, Any]]:
        return [row for table in self.tables for row in table.to_pylist()]


def transactions() -> DatasetType:
    return {d.name: d for d in shipped_datasets()}["transactions"]


def tx(i: int, amount: str = "10.50") -> str:
    return f"tx{i},2025-01-01T10:00:00Z,{amount},EUR,succeeded,card,ref {i},cus_{i},0.10,FR"


def both(
    dataset: DatasetType, data: bytes, tmp_path: Path, **options: Any
) -> tuple[Report, Collect, Report, Collect]:
    """(with the fast path, its sink, exact only, its sink) for the same bytes."""
    path = tmp_path / "file.csv"
    path.write_bytes(data)
    fast_sink, exact_sink = Collect(), Collect()
    with path.open("rb") as source:
        fast = Validator(dataset, fast_path_min_bytes=0, **options).validate(
            source, fast_sink, path
        )
    exact = Validator(dataset, fast_path_min_bytes=None, **options).validate(
        io.BytesIO(data), exact_sink
    )
    return fast, fast_sink, exact, exact_sink


def assert_same(fast: Report, fast_sink: Collect, exact: Report, exact_sink: Collect) -> None:
    """The same report and the same rows written, in the same order."""
    assert fast == exact
    assert fast_sink.rows() == exact_sink.rows()


def fast_only(dataset: DatasetType, data: bytes, tmp_path: Path) -> Report | None:
    path = tmp_path / "fast.csv"
    path.write_bytes(data)
    first = data.split(b"\n", 1)[0].decode("utf-8-sig").rstrip("\r")  # as the Chunker
    alignment = align(split_record(first), dataset.table_schema, dataset.header_policy)
    columns = list(range(len(dataset.table_schema.fields)))
    with BlockChecker(dataset.table_schema, alignment, DEFAULT_ERROR_CAP) as checker:
        fast_path = FastPath(dataset, checker.check, DEFAULT_ERROR_CAP)
        return fast_path.run(path, alignment, columns, None)


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (b"a,b\r\n1,2\r\n3,4\r\n", True),
        (b"a,b\n1,2\n3,4", True),
        (b'a,b\n1,"2"\n', False),  # a quote
        (b"a,b\n1,\x002\n", False),  # NUL
        (b"a,b\n1,2\n\n3,4\n", True),  # a blank line is a bad row like any other
        (b"a,b\r\n1,2\r\n\r\n3,4\r\n", True),
        (b"a,b\r1,2\r", False),  # carriage returns alone
        (b"a,b\n1,2\r3,4\n", False),
        (b"a,b\n1,2\n3,4\r", False),  # a carriage return ends the file
        (b'"a",b\n1,2\n', False),  # a quote in the header
        (b"a,b\n1,\xe92\n", False),  # invalid UTF-8
        (b"a,b\n1,\xc3\xa92\n", True),  # valid UTF-8
    ],
)
def test_plain(tmp_path: Path, data: bytes, expected: bool) -> None:
    path = tmp_path / "f.csv"
    path.write_bytes(data)
    assert plain(path) is expected


@pytest.mark.parametrize("pattern", [b"\n\n", b"\n\r\n", b"\r\n", b"\rx", b"\xc3\xa9", b"\xc3x"])
@pytest.mark.parametrize("offset", [-2, -1, 0, 1])
def test_plain_sees_patterns_across_feed_blocks(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, pattern: bytes, offset: int
) -> None:
    monkeypatch.setattr(fastpath, "FEED_BLOCK", 16)
    data = b"a,b\n" + b"1" * (32 + offset - 4) + pattern + b"2,3\n"
    path = tmp_path / "f.csv"
    path.write_bytes(data)
    assert plain(path) is (pattern not in (b"\rx", b"\xc3x"))


def test_a_valid_plain_file_takes_the_fast_path_with_the_same_rows(tmp_path: Path) -> None:
    data = "\r\n".join([TX_HEADER, *(tx(i) for i in range(3000))]).encode() + b"\r\n"
    assert fast_only(transactions(), data, tmp_path) == Report(rows_total=3000)
    fast, fast_sink, exact, exact_sink = both(transactions(), data, tmp_path)
    assert fast == exact
    assert fast_sink.restarts == 0
    assert fast_sink.rows() == exact_sink.rows()
    assert fast_sink.rows()[0]["__row"] == 2 and fast_sink.rows()[-1]["__row"] == 3001
    fast_schema = pa.concat_tables(fast_sink.tables).schema
    assert fast_schema == pa.concat_tables(exact_sink.tables).schema


@pytest.mark.parametrize(
    ("fault", "reason"),
    [
        (lambda rows: rows.__setitem__(2500, tx(2499, amount="12,5")), "an extra cell"),
        (lambda rows: rows.__setitem__(2500, tx(2499)[:-3]), "a missing cell"),
        (lambda rows: rows.__setitem__(2500, tx(2499, amount="x")), "a type error"),
        (lambda rows: rows.__setitem__(2500, tx(7)), "a duplicate transaction_id"),
        (lambda rows: rows.insert(2500, ""), "a blank line"),
        (lambda rows: rows.insert(2500, ",,,,,,,,,"), "a row of empty cells"),
        (lambda rows: rows.insert(1, ""), "a blank first row"),
        (lambda rows: rows.append(""), "a blank last row"),
        # DuckDB's CSV reader drops a trailing empty extra cell when empty cells
        # read as NULL; the fast path reads lines whole.
        (lambda rows: rows.__setitem__(2500, tx(2499) + ","), "a trailing empty cell"),
    ],
)
def test_the_fast_path_locates_errors_as_the_exact_path_does(
    tmp_path: Path, fault: Any, reason: str
) -> None:
    rows = [TX_HEADER, *(tx(i) for i in range(3000))]
    fault(rows)
    data = "\n".join(rows).encode() + b"\n"
    fast, fast_sink, exact, exact_sink = both(transactions(), data, tmp_path)
    assert fast.error_count >= 1, reason
    assert fast_only(transactions(), data, tmp_path) is not None, reason
    assert_same(fast, fast_sink, exact, exact_sink)
    assert fast_sink.restarts == 0, reason


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (TX_HEADER + "\n" + '"tx1"' + tx(1)[3:] + "\n", "a quote"),
        (TX_HEADER + "\n" + tx(1) + "\r" + tx(2) + "\n", "a lone carriage return"),
        (TX_HEADER + "\n" + tx(1).replace("ref", "r\xe9f") + "\n", "no"),
    ],
)
def test_what_the_fast_path_cannot_read_defers_to_the_exact_path(
    tmp_path: Path, data: str, reason: str
) -> None:
    encoded = data.encode()
    if reason == "no":  # invalid UTF-8: DuckDB rejects the line, the fast path defers
        encoded = encoded.replace("r\xe9f".encode(), b"r\xe9f")
        reason = "invalid UTF-8"
    assert fast_only(transactions(), encoded, tmp_path) is None, reason
    fast, fast_sink, exact, exact_sink = both(transactions(), encoded, tmp_path)
    assert fast == exact
    assert fast_sink.rows() == exact_sink.rows()


def test_a_bad_row_late_is_located_without_restarting_the_sink(tmp_path: Path) -> None:
    rows = [TX_HEADER, *(tx(i) for i in range(300_000))]
    rows[299_001] = tx(299_000, amount="oops")  # rows[0] is the header
    data = "\n".join(rows).encode()
    fast, fast_sink, exact, exact_sink = both(transactions(), data, tmp_path)
    assert fast_sink.restarts == 0
    assert fast == exact and fast.error_count == 1
    assert [(e.row, e.field) for e in fast.errors] == [(299_002, "amount")]
    assert len(fast_sink.rows()) == len(exact_sink.rows()) == 299_999


def test_repeats_across_batches_are_located(tmp_path: Path) -> None:
    rows = [TX_HEADER, *(tx(i) for i in range(300_000))]
    rows[250_001] = tx(10)  # repeats row 12's id, two Arrow batches later
    rows[250_002] = tx(11, amount="x")  # a bad row that repeats one too
    rows[250_003] = tx(250_002) + ",extra"  # a repeat in a row with too many cells
    data = "\n".join(rows).encode()
    fast, fast_sink, exact, exact_sink = both(transactions(), data, tmp_path)
    assert_same(fast, fast_sink, exact, exact_sink)
    assert fast.duplicate_rows == [250_002]
    assert {(e.row, e.code) for e in fast.errors} == {
        (250_002, "unique-error"), (250_003, "type-error"), (250_003, "unique-error"),
        (250_004, "extra-cell"),
    }  # fmt: skip


def test_a_byte_order_mark_without_a_header_row_defers(tmp_path: Path) -> None:
    dataset = {d.name: d for d in shipped_datasets()}["uploadapi.data"]
    data = "\ufeffa,01/03/2024,09:00,01/03/2024,10:00\nb,01/03/2024,09:00,01/03/2024,10:00\n"
    fast, fast_sink, exact, exact_sink = both(dataset, data.encode(), tmp_path)
    assert fast == exact and fast_sink.rows() == exact_sink.rows()
    headed = "\ufeffReference,StartDate,StartTime,EndDate,EndTime\n" + data[1:]
    assert fast_only(dataset, headed.encode(), tmp_path) == Report(rows_total=2)


@settings(
    max_examples=60,
    deadline=None,
    derandomize=True,
    database=None,
    # No shrinking: every example runs both engines on files, and shrinking one
    # failure took minutes; the failing case is printed whole instead.
    phases=[Phase.explicit, Phase.generate],
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(cases())
def test_the_fast_path_never_changes_a_verdict(tmp_path_factory: Any, case: Case) -> None:
    """The oracle's generated files and schemas: the same report and rows either way."""
    tmp_path = tmp_path_factory.mktemp("fast")
    dataset = parse_dataset_type(
        {"name": "oracle", "schema": case.descriptor(), "headerPolicy": "exact"}
    )
    data = case.csv_bytes()
    fast, fast_sink, exact, exact_sink = both(dataset, data, tmp_path, error_cap=10**6)
    assert_same(fast, fast_sink, exact, exact_sink)
    clean_rows = [row for row in case.rows if len(row) == case.width]
    valid = case.csv_bytes(clean_rows)
    _, _, exact_valid, _ = both(dataset, valid, tmp_path, error_cap=10**6)
    if not exact_valid.error_count and plain(tmp_path / "file.csv"):
        # A valid plain file is the fast path's to answer.
        assert fast_only(dataset, valid, tmp_path) == exact_valid


def test_a_record_over_a_megabyte_is_read_by_both_paths(tmp_path: Path) -> None:
    """pyarrow parses a block in 1 MiB pieces by default, and DuckDB stops at 2 MB lines."""
    rows = [TX_HEADER, *(tx(i) for i in range(100))]
    rows[50] = tx(49).replace("ref 49", "r" * 3_000_000)  # merchant_reference: max 128
    data = "\n".join(rows).encode()
    assert fast_only(transactions(), data, tmp_path) is None  # over the feed's MAX_LINE
    fast, fast_sink, exact, exact_sink = both(transactions(), data, tmp_path)
    assert_same(fast, fast_sink, exact, exact_sink)
    assert [(e.row, e.field, e.code) for e in exact.errors] == [
        (51, "merchant_reference", "constraint-error")
    ]
    assert exact.errors[0].value == "r" * 100 and exact.rows_total == 100


def test_blank_lines_across_feed_blocks_keep_rows_exact(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Small feed blocks: many Arrow batches, which DuckDB's two threads take in turns."""
    monkeypatch.setattr(fastpath, "FEED_BLOCK", 4096)
    rows = [TX_HEADER, *(tx(i) for i in range(300_000))]
    for at in (280_000, 150_000, 1):  # from the end, so the earlier indexes hold
        rows.insert(at, "")
    rows[290_000] = tx(289_996, amount="x")
    data = "\n".join(rows).encode()
    assert fast_only(transactions(), data, tmp_path) is not None
    fast, fast_sink, exact, exact_sink = both(transactions(), data, tmp_path)
    assert_same(fast, fast_sink, exact, exact_sink)
    assert [(e.row, e.code) for e in fast.errors] == [
        (2, "blank-row"), (150_002, "blank-row"), (280_003, "blank-row"), (290_001, "type-error")
    ]  # fmt: skip


def test_a_quote_late_in_the_file_stops_the_fast_path(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(fastpath, "FEED_BLOCK", 4096)
    rows = [TX_HEADER, *(tx(i) for i in range(300_000))]
    rows[299_000] = tx(298_999).replace("ref 298999", '"ref, 298999"')
    data = "\n".join(rows).encode()
    assert fast_only(transactions(), data, tmp_path) is None
    fast, fast_sink, exact, exact_sink = both(transactions(), data, tmp_path)
    assert_same(fast, fast_sink, exact, exact_sink)
    assert fast.error_count == 0 and fast_sink.restarts == 1


def test_extra_and_reordered_columns_take_the_fast_path(tmp_path: Path) -> None:
    """Under ignore-extra a record has as many cells as the header, not as fields."""
    dataset = parse_dataset_type(
        {
            "name": "extra",
            "schema": {
                "fields": [
                    {"name": "id", "type": "integer", "constraints": {"unique": True}},
                    {"name": "label", "type": "string", "constraints": {"required": True}},
                ]
            },
            "headerPolicy": "ignore-extra",
        }
    )
    rows = ["note,label,id", *(f"n{i},l{i},{i}" for i in range(2000))]
    rows[500] = "n,,10"  # a required label missing, and the id of row 12
    rows[900] = "n,l,900,x"  # one cell too many
    data = "\n".join(rows).encode() + b"\n"
    path = tmp_path / "fast.csv"
    path.write_bytes(data)
    alignment = align(split_record(rows[0]), dataset.table_schema, dataset.header_policy)
    with BlockChecker(dataset.table_schema, alignment, DEFAULT_ERROR_CAP) as checker:
        fast_path = FastPath(dataset, checker.check, DEFAULT_ERROR_CAP)
        fast = fast_path.run(path, alignment, [2, 1], None)
    assert fast is not None and fast.rows_rejected == 2
    assert_same(*both(dataset, data, tmp_path))
    assert {(e.row, e.code) for e in fast.errors} == {
        (501, "constraint-error"), (501, "unique-error"), (901, "extra-cell")
    }  # fmt: skip


def test_lines_out_of_order_give_up(tmp_path: Path) -> None:
    feed = fastpath.LineFeed(tmp_path / "unused.csv", has_header=True)
    hashes = fastpath._HashTable(transactions(), tmp_path)
    owner = FastPath(transactions(), lambda data: pytest.fail("no line is checked"), 10)
    main = fastpath._MainPass(owner, feed, 10, hashes, None)
    rows = pa.array([2, 4, 3], pa.int64())
    table = pa.table({"__row": rows, "__bad_line": pa.nulls(3, pa.string()),
                      "__h0": pa.array([1, 2, 3], pa.uint64())})  # fmt: skip
    with pytest.raises(fastpath.GiveUp, match="out of order"):
        main._take(table)
    hashes.close()


@pytest.mark.parametrize(
    ("data", "has_header", "lines"),
    [
        (b"a,b\n1,2\n\n3,4", True, [(2, "1,2\n"), (3, "\n"), (4, "3,4\n")]),
        (b"1,2\r\n\r\n3,4\r\n", False, [(1, "1,2\r\n"), (2, "\r\n"), (3, "3,4\r\n")]),
        (b"a,b", True, []),
        (b"a,b\n", True, []),
    ],
)
def test_the_feed_gives_every_line_its_row(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    data: bytes,
    has_header: bool,
    lines: list[tuple[int, str]],
) -> None:
    monkeypatch.setattr(fastpath, "FEED_BLOCK", 3)  # lines cross blocks
    path = tmp_path / "f.csv"
    path.write_bytes(data)
    feed = fastpath.LineFeed(path, has_header)
    fed = [
        (row, line)
        for batch in feed.batches()
        for line, row in zip(batch["line"].to_pylist(), batch["row"].to_pylist(), strict=True)
    ]
    assert feed.failure is None
    assert fed == lines and feed.lines == len(lines)


def test_both_paths_keep_the_first_errors_in_row_order_past_the_cap(tmp_path: Path) -> None:
    """The repeat on row 3 is kept before the type errors after it, on either path."""
    dataset = parse_dataset_type(
        {
            "name": "ids",
            "schema": {
                "fields": [
                    {"name": "id", "type": "integer", "constraints": {"unique": True}},
                    {"name": "n", "type": "integer"},
                ]
            },
        }
    )
    data = b"id,n\n1,1\n1,2\n2,x\n3,x\n4,x\n"
    fast, fast_sink, exact, exact_sink = both(dataset, data, tmp_path, error_cap=2)
    assert_same(fast, fast_sink, exact, exact_sink)
    assert [(e.row, e.code) for e in exact.errors] == [(3, "unique-error"), (4, "type-error")]
    assert exact.error_count == 4 and exact.errors_truncated
