"""Frictionless as an oracle: generated schemas and CSVs with planted faults.

Hypothesis builds a small Table Schema (2 to 6 fields of every type we check,
with constraints) and a CSV of valid rows, then plants faults: wrong types,
constraint violations, duplicates of unique values, empty required cells,
missing and extra cells, blank rows, and "edge" values on which the two tools
disagree by design. Our ``Validator`` and frictionless-py validate the same
bytes against the same schema, and the sets of ``(row, field, error code)``
must be equal.

Where the two differ on purpose, the difference is documented in
docs/datasets.md, section "Differences from Frictionless", and normalised
here, each normalisation naming its entry. Everything else must match.
"""

from __future__ import annotations

import csv
import io
import json
import re
import string
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any

import frictionless
import pytest
from frictionless.formats import CsvControl
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from landingzone.validation.schema import DatasetTypeError, parse_dataset_type
from landingzone.validation.validator import Validator

Triple = tuple[int, str | None, str]

STRUCTURE = frozenset({"missing-cell", "extra-cell", "blank-row"})
CELL = frozenset({"type-error", "constraint-error"})
TEXT = st.text(alphabet="abcxyz019 ,\"'é\n", min_size=1, max_size=8)
WORD = st.text(alphabet=string.ascii_lowercase, min_size=1, max_size=4)

# Doc entries in docs/datasets.md, "Differences from Frictionless".
DOC_CELL_COUNT = "Rows with the wrong number of cells"
DOC_BLANK_EXTRA = "Blank rows with extra cells"
DOC_EMPTY = "Empty cells when missingValues lacks the empty string"
DOC_ONE_ERROR = "One error per cell"
DOC_PATTERN = "pattern"
DOC_INTEGER = "Integers"
DOC_NUMBER = "Numbers"
DOC_YEAR = "Years"
DOC_DATE = "Dates and times in a format"
DOC_TIME = "Times in the default format"
DOC_DIGITS = "ASCII digits"
DOCS = Path(__file__).resolve().parents[2] / "docs" / "datasets.md"


@dataclass
class FieldCase:
    """One generated field: its descriptor and the values that pass or fail it."""

    descriptor: dict[str, Any]
    valid: st.SearchStrategy[str]
    bad_type: list[str] = field(default_factory=list)  # both tools: type-error
    violations: list[str] = field(default_factory=list)  # right type, breaks a constraint
    edges: list[tuple[str, bool, str]] = field(default_factory=list)  # (value, we accept, doc)
    respell: Callable[[str], str] | None = None  # another spelling of the same value

    @property
    def name(self) -> str:
        return str(self.descriptor["name"])

    @property
    def unique(self) -> bool:
        return bool(self.descriptor.get("constraints", {}).get("unique"))

    @property
    def required(self) -> bool:
        return bool(self.descriptor.get("constraints", {}).get("required"))


# -- fields, one builder per type ------------------------------------------------


def base(name: str, kind: str, draw: st.DrawFn, unique: bool) -> dict[str, Any]:
    constraints: dict[str, Any] = {}
    if draw(st.booleans()):
        constraints["required"] = True
    if unique:
        constraints["unique"] = True
    return {"name": name, "type": kind, "constraints": constraints}


STRING_PATTERNS: dict[str, list[str]] = {
    "[a-z]+": ["ABC", "ab1", "ab\n", "é"],
    "[A-Z]{2}[0-9]{3}": ["AB12", "ab123", "AB1234"],
    "(ab|cd)-[0-9]+": ["ab-", "ef-1", "ab-1x"],
    "ab|cd": ["abx", "xcd", "abcd"],  # top-level alternation: see DOC_PATTERN
}


@st.composite
def string_field(draw: st.DrawFn, name: str, unique: bool) -> FieldCase:
    d = base(name, "string", draw, unique)
    c = d["constraints"]
    choice = draw(st.sampled_from(["none", "enum", "pattern", "length"]))
    if choice == "enum" and not unique:
        values = draw(st.lists(WORD, min_size=1, max_size=4, unique=True))
        c["enum"] = values
        return FieldCase(d, st.sampled_from(values), violations=["zzzzz", values[0].upper()])
    if choice == "pattern":
        pattern = "[a-z]+" if unique else draw(st.sampled_from(sorted(STRING_PATTERNS)))
        c["pattern"] = pattern
        return FieldCase(d, st.from_regex(pattern, fullmatch=True), [], STRING_PATTERNS[pattern])
    if choice == "length":
        low = draw(st.integers(0, 3))
        high = draw(st.integers(max(low, 3 if unique else 1), 6))
        c["minLength"], c["maxLength"] = low, high
        violations = ["a" * (high + 1), "é" * (high + 1)] + (["a" * (low - 1)] if low > 1 else [])
        return FieldCase(
            d, st.text("abcxyz019 ,é", min_size=max(low, 1), max_size=high), [], violations
        )
    return FieldCase(d, TEXT)


@st.composite
def integer_field(draw: st.DrawFn, name: str, unique: bool) -> FieldCase:
    d = base(name, "integer", draw, unique)
    c = d["constraints"]
    low = draw(st.integers(-500, 500))
    high = low + draw(st.integers(100 if unique else 0, 1000))
    violations = []
    if not unique and draw(st.booleans()):
        values = draw(st.lists(st.integers(-50, 50), min_size=1, max_size=4, unique=True))
        c["enum"] = values
        valid = st.sampled_from(values).map(str)
        violations.append(str(max(values) + 1))
    else:
        valid = st.integers(low, high).map(str)
        if draw(st.booleans()):
            c["minimum"] = low
            violations += [str(low - 1), str(low - 1000)]
        if draw(st.booleans()):
            c["maximum"] = high
            violations += [str(high + 1)]
    bad = ["abc", "1.5", "1e3", "--1", "12a", "0x1F", "true", "½", "1,000"]
    edges = [
        (" 7", False, DOC_INTEGER),
        ("7 ", False, DOC_INTEGER),
        ("1_000", False, DOC_INTEGER),
        ("99999999999999999999", False, DOC_INTEGER),
        ("\u0663", False, DOC_DIGITS),
    ]
    return FieldCase(d, valid, bad, violations, edges, respell_integer)


def respell_integer(value: str) -> str:
    return "-0" + value[1:] if value.startswith("-") else "+0" + value


def respell_number(value: str) -> str:
    return value + "0" if "." in value else value + ".0"


def drop_leading_zeros(value: str) -> str:
    return re.sub(r"(?<![0-9])0(?=[0-9])", "", value)


@st.composite
def number_field(draw: st.DrawFn, name: str, unique: bool) -> FieldCase:
    d = base(name, "number", draw, unique)
    c = d["constraints"]
    low = draw(st.integers(-2000, 2000))  # quarters: exact in binary and in decimal
    high = low + draw(st.integers(100 if unique else 0, 4000))
    violations = []
    if not unique and draw(st.booleans()):
        values = draw(st.lists(st.integers(-20, 20), min_size=1, max_size=4, unique=True))
        c["enum"] = [v / 4 for v in values]
        valid = st.sampled_from(values).map(lambda k: repr(k / 4))
        violations.append(repr((max(values) + 1) / 4))
    else:
        valid = st.integers(low, high).map(lambda k: repr(k / 4))
        if draw(st.booleans()):
            c["minimum"] = low / 4
            violations += [repr((low - 1) / 4), f"{low / 4 - 1000:e}"]
        if draw(st.booleans()):
            c["maximum"] = high / 4
            violations += [repr((high + 1) / 4)]
    bad = ["abc", "1.2.3", "1,5", "e5", "--1", "1e", ".", "0x10", "1.5f"]
    edges = [
        ("NaN", False, DOC_NUMBER),
        ("Infinity", False, DOC_NUMBER),
        ("-inf", False, DOC_NUMBER),
        (" 1.5", False, DOC_NUMBER),
        ("2.5 ", False, DOC_NUMBER),
        ("1_000.5", False, DOC_NUMBER),
        ("\u0661\u066b\u0665", False, DOC_DIGITS),
    ]
    return FieldCase(d, valid, bad, violations, edges, respell_number)


@st.composite
def boolean_field(draw: st.DrawFn, name: str, unique: bool) -> FieldCase:
    d = base(name, "boolean", draw, False)
    trues, falses = ["true", "True", "TRUE", "1"], ["false", "False", "FALSE", "0"]
    bad = ["yes", "t", "2", "tRUE", "on", " true", "false "]
    if draw(st.booleans()):
        allowed = draw(st.booleans())
        d["constraints"]["enum"] = [allowed]
        ok, ko = (trues, falses) if allowed else (falses, trues)
        return FieldCase(d, st.sampled_from(ok), bad, ko)
    return FieldCase(d, st.sampled_from(trues + falses), bad)


DATE_FORMATS = ["default", "%d/%m/%Y", "%m/%d/%Y", "%d.%m.%Y", "%Y%m%d"]


@st.composite
def date_field(draw: st.DrawFn, name: str, unique: bool) -> FieldCase:
    d = base(name, "date", draw, unique)
    c = d["constraints"]
    d["format"] = fmt = draw(st.sampled_from(DATE_FORMATS))
    pyfmt = "%Y-%m-%d" if fmt == "default" else fmt
    low = draw(st.dates(date(1950, 1, 1), date(2040, 1, 1)))
    high = low + timedelta(days=draw(st.integers(100 if unique else 0, 3000)))
    valid = st.dates(low, high).map(lambda v: v.strftime(pyfmt))
    violations = []
    if draw(st.booleans()):
        c["minimum"] = low.strftime(pyfmt)
        violations += [(low - timedelta(days=1)).strftime(pyfmt)]
    if draw(st.booleans()):
        c["maximum"] = high.strftime(pyfmt)
        violations += [(high + timedelta(days=400)).strftime(pyfmt)]

    def fill(y: str, m: str, d: str) -> str:
        return pyfmt.replace("%Y", y).replace("%m", m).replace("%d", d)

    good = fill("2024", "05", "12")
    bad = [
        fill("2023", "02", "29"),
        fill("2024", "13", "01"),
        fill("2024", "00", "10"),
        fill("2024", "05", "32"),
        fill("02024", "05", "12"),
        good + "x",
        "abc",
        "12/05/2024" if fmt == "default" else "2024-05-12",
    ]
    if fmt != "%Y%m%d":
        # Python's strptime backtracks between adjacent numbers (see DOC_DATE).
        bad += [fill("24", "05", "12"), fill("999", "05", "12"), " " + good, good + " "]
    edges = [(fill("\u0662\u0660\u0662\u0664", "05", "12"), False, DOC_DIGITS)]
    if fmt == "%Y%m%d":
        edges += [("2024512", False, DOC_DATE), ("240512", False, DOC_DATE)]
        return FieldCase(d, valid, bad, violations, edges)
    return FieldCase(d, valid, bad, violations, edges, drop_leading_zeros)


@st.composite
def time_field(draw: st.DrawFn, name: str, unique: bool) -> FieldCase:
    d = base(name, "time", draw, unique)
    c = d["constraints"]
    fmt = draw(st.sampled_from(["default", "%H:%M"]))
    if fmt != "default":
        d["format"] = fmt
    pyfmt = "%H:%M:%S" if fmt == "default" else fmt
    step = timedelta(seconds=1 if fmt == "default" else 60)
    low = draw(st.times(time(1, 0), time(12, 0)))
    low = low.replace(second=low.second if fmt == "default" else 0, microsecond=0)
    span = draw(st.integers(200 if unique else 0, 600)) * step
    start = datetime.combine(date(2000, 1, 1), low)
    valid = st.integers(0, span // step).map(lambda k: (start + k * step).strftime(pyfmt))
    violations = []
    if draw(st.booleans()):
        c["minimum"] = start.strftime(pyfmt)
        violations += [(start - step).strftime(pyfmt)]
    if draw(st.booleans()):
        c["maximum"] = (start + span).strftime(pyfmt)
        violations += [(start + span + step).strftime(pyfmt)]
    if fmt == "default":
        bad = ["12:60:00", "25:00:00", "noon", "12:00", "12:00:00:00", " 12:00:00", "12:00:00 "]
        edges = [
            ("9:05:07", True, DOC_TIME),
            ("09:05:07.5", False, DOC_TIME),
            ("24:00:00", False, DOC_TIME),
        ]
        if not violations:
            # Frictionless raises TypeError comparing a time with an offset to a bound.
            edges += [("09:05:07Z", False, DOC_TIME), ("09:05:07+01:00", False, DOC_TIME)]
    else:
        bad = ["24:00", "12:60", "noon", "12h00", "12:00:00", "1200", " 12:00", "12:00 "]
        edges = [("\u0661\u0662:\u0660\u0660", False, DOC_DIGITS)]
        return FieldCase(d, valid, bad, violations, edges, drop_leading_zeros)
    return FieldCase(d, valid, bad, violations, edges)


@st.composite
def year_field(draw: st.DrawFn, name: str, unique: bool) -> FieldCase:
    d = base(name, "year", draw, unique)
    c = d["constraints"]
    low = draw(st.integers(1900, 2000))
    high = low + draw(st.integers(100 if unique else 0, 200))
    violations = []
    if draw(st.booleans()):
        c["minimum"] = low
        violations.append(str(low - 1))
    if draw(st.booleans()):
        c["maximum"] = high
        violations.append(str(high + 1))
    bad = ["abc", "20245", "99", "2024.0", "-2024", "MMXX"]
    edges = [
        ("+123", False, DOC_YEAR),
        (" 123", False, DOC_YEAR),
        ("1_00", False, DOC_YEAR),
        ("\u0662\u0660\u0662\u0664", False, DOC_DIGITS),
    ]
    return FieldCase(d, st.integers(low, high).map(str), bad, violations, edges)


BUILDERS = {  # Hypothesis favours the first: boolean, the least interesting, is last
    "string": string_field,
    "date": date_field,
    "integer": integer_field,
    "time": time_field,
    "number": number_field,
    "year": year_field,
    "boolean": boolean_field,
}


# -- the whole case: schema, rows, planted faults ----------------------------------


@dataclass
class Case:
    fields: list[FieldCase]
    missing_values: list[str]
    rows: list[list[str]]
    edges: dict[tuple[int, int], tuple[str, bool, str]]  # (row index, field) -> edge
    eol: str
    final_newline: bool
    block_size: int
    planted: list[str]

    @property
    def width(self) -> int:
        return len(self.fields)

    def descriptor(self) -> dict[str, Any]:
        return {
            "fields": [f.descriptor for f in self.fields],
            "missingValues": self.missing_values,
        }

    def csv_bytes(self, rows: list[list[str]] | None = None) -> bytes:
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator=self.eol)
        writer.writerow([f.name for f in self.fields])
        writer.writerows(self.rows if rows is None else rows)
        text = buffer.getvalue()
        if not self.final_newline:
            text = text.removesuffix(self.eol)
        return text.encode()

    def empty(self, cell: str) -> bool:
        return cell == "" or cell in self.missing_values


FAULTS = [
    "type",
    "constraint",
    "duplicate",
    "respell",
    "empty",
    "missing",
    "extra",
    "blank",
    "edge",
]


def applies(kind: str, f: FieldCase) -> bool:
    return {
        "type": bool(f.bad_type),
        "constraint": bool(f.violations),
        # Edges not in unique fields: a value read differently would also change
        # which later rows are duplicates.
        "edge": bool(f.edges) and not f.unique,
        "empty": True,
        "duplicate": f.unique,
        "respell": f.respell is not None,
    }[kind]


@st.composite
def cases(draw: st.DrawFn) -> Case:
    width = draw(st.integers(2, 6))
    missing_values = draw(st.sampled_from([[""], ["", "NA"], ["NA"]]))
    fields = []
    for j in range(width):
        kind = draw(st.sampled_from(list(BUILDERS)))
        unique = kind != "boolean" and draw(st.integers(0, 3)) == 0
        fields.append(draw(BUILDERS[kind](f"f{j}", unique)))
    count = draw(st.integers(5, 40))
    columns = [
        draw(st.lists(f.valid, min_size=count, max_size=count, unique=f.unique)) for f in fields
    ]
    rows = [[columns[j][i] for j in range(width)] for i in range(count)]
    edges: dict[tuple[int, int], tuple[str, bool, str]] = {}
    planted = []
    for _ in range(draw(st.integers(1, 10))):
        kind = draw(st.sampled_from(FAULTS))
        i = draw(st.integers(0, count - 1))
        row = rows[i]
        if kind == "missing":
            rows[i] = row[: draw(st.integers(1, width - 1))]
        elif kind == "extra":
            extra = st.sampled_from(["", "x", "9", "a b", "NA"])
            rows[i] = row + draw(st.lists(extra, min_size=1, max_size=2))
        elif kind == "blank":
            empty = draw(st.sampled_from(missing_values))
            rows[i] = draw(
                st.sampled_from(
                    [
                        [],  # an empty line
                        [empty] * width,
                        [""] * (width - 1),
                        [empty] * (width + 1),
                        [""] * width + ["x"],  # see DOC_BLANK_EXTRA
                    ]
                )
            )
        else:
            eligible = [j for j, f in enumerate(fields) if applies(kind, f)]
            if len(row) != width or not eligible:
                continue  # the row lost its shape, or no field takes this fault
            j = draw(st.sampled_from(eligible))
            f = fields[j]
            if kind == "type":
                row[j] = draw(st.sampled_from(f.bad_type))
            elif kind == "constraint":
                row[j] = draw(st.sampled_from(f.violations))
            elif kind == "edge":
                edges[(i, j)] = edge = draw(st.sampled_from(f.edges))
                row[j] = edge[0]
            elif kind == "empty":
                row[j] = draw(st.sampled_from(missing_values))
            else:  # duplicate or respell: the value of another row, or another spelling
                source = draw(st.integers(0, count - 2))
                source += source >= i  # any other row
                if len(rows[source]) != width:
                    continue
                if bool(f.violations) and draw(st.booleans()):
                    # A value breaking a constraint still takes part in `unique`.
                    rows[source][j] = draw(st.sampled_from(f.violations))
                value = rows[source][j]
                row[j] = f.respell(value) if f.respell and kind == "respell" else value
            kind += f" {f.name}"
        planted.append(f"{kind} row {i + 2}")
    return Case(
        fields=fields,
        missing_values=missing_values,
        rows=rows,
        edges={
            k: v for k, v in edges.items() if len(rows[k[0]]) == width and rows[k[0]][k[1]] == v[0]
        },
        eol=draw(st.sampled_from(["\n", "\r\n"])),
        final_newline=draw(st.booleans()),
        block_size=draw(st.sampled_from([256, 1 << 20])),
        planted=planted,
    )


# -- the two tools ------------------------------------------------------------------


def run_ours(schema: dict[str, Any], data: bytes, block_size: int = 1 << 20) -> set[Triple]:
    dataset = parse_dataset_type({"name": "oracle", "schema": schema, "headerPolicy": "exact"})
    validator = Validator(dataset, error_cap=10**6, block_size=block_size)
    # Sets: DOC_ONE_ERROR, frictionless may report a cell once per broken constraint.
    return {(e.row, e.field, e.code) for e in validator.validate(io.BytesIO(data)).errors}


def run_frictionless(schema: dict[str, Any], data: bytes) -> set[Triple]:
    descriptor: dict[str, Any] = json.loads(json.dumps(schema))
    for f in descriptor["fields"]:
        pattern = f.get("constraints", {}).get("pattern")
        if pattern is not None:
            # DOC_PATTERN: frictionless matches "^" + pattern + "$", so "ab|cd" accepts
            # "abx" and "$" accepts a final newline. We match the whole value; so does
            # this wrapping, for frictionless.
            f["constraints"]["pattern"] = f"(?:{pattern})\\Z"
    resource = frictionless.Resource(
        data=data,
        format="csv",
        encoding="utf-8",
        schema=frictionless.Schema.from_descriptor(descriptor),
        # Pinned: frictionless sniffs skipInitialSpace from the data (a `", "` cell turns it
        # on), and RFC 4180, like us, keeps a leading space as part of the value.
        dialect=frictionless.Dialect(
            controls=[CsvControl(delimiter=",", skip_initial_space=False)]
        ),
    )
    report = resource.validate(limit_errors=10**6)
    return {
        (getattr(e, "row_number", 0), getattr(e, "field_name", None) or None, e.type)
        for e in report.tasks[0].errors
    }


def ours(case: Case) -> set[Triple]:
    return run_ours(case.descriptor(), case.csv_bytes(), case.block_size)


def theirs_raw(case: Case, data: bytes) -> set[Triple]:
    return run_frictionless(case.descriptor(), data)


def theirs(case: Case) -> set[Triple]:
    """Frictionless' errors, normalised for the documented differences."""
    width = case.width
    misshapen = {i for i, row in enumerate(case.rows) if len(row) != width}
    found = theirs_raw(case, case.csv_bytes())
    if misshapen:
        # DOC_CELL_COUNT: frictionless also checks the cells of a row with the wrong
        # number of cells, and their values take part in `unique`. We report only
        # the structure errors for such a row, and ignore its values: so the
        # other rows' errors are taken from a run where these rows are blank.
        blanked = [[] if i in misshapen else row for i, row in enumerate(case.rows)]
        rows = {i + 2 for i in misshapen}
        found = {t for t in found if t[0] in rows and t[2] in STRUCTURE} | {
            t for t in theirs_raw(case, case.csv_bytes(blanked)) if t[0] not in rows
        }
    for i in misshapen:
        row = case.rows[i]
        fields_blank = all(map(case.empty, row[:width]))
        if len(row) > width and fields_blank and not all(map(case.empty, row[width:])):
            # DOC_BLANK_EXTRA: frictionless calls the row blank when its fields'
            # cells are; we report the extra cells that hold values.
            found.discard((i + 2, None, "blank-row"))
            found.add((i + 2, None, "extra-cell"))
    if "" not in case.missing_values:
        for i, row in enumerate(case.rows):
            if all(map(case.empty, row)) and "" in row:
                # DOC_EMPTY: a row of empty cells (",,") is blank for us, whatever the
                # missingValues; without "" in them frictionless checks the cells as values.
                found = {t for t in found if t[0] != i + 2} | {(i + 2, None, "blank-row")}
    return found


def drop_edges(case: Case, errors: set[Triple]) -> set[Triple]:
    cells = {(i + 2, case.fields[j].name) for i, j in case.edges}
    return {t for t in errors if not (t[2] in CELL and (t[0], t[1]) in cells)}


def describe(case: Case) -> str:
    return (
        f"schema: {json.dumps(case.descriptor())}\n"
        f"planted: {case.planted}\nedges: {case.edges}\n"
        f"csv:\n{case.csv_bytes().decode()}"
    )


@settings(
    max_examples=60,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(cases())
def test_same_errors_as_frictionless(case: Case) -> None:
    mine = ours(case)
    # DOC edges (DOC_INTEGER, DOC_NUMBER, DOC_YEAR, DOC_DATE, DOC_TIME, DOC_DIGITS):
    # values the two tools read differently on purpose. We must give exactly the
    # documented verdict; then the cell is left out of the comparison.
    for (i, j), (value, accepted, doc) in case.edges.items():
        flagged = (i + 2, case.fields[j].name, "type-error") in mine
        assert flagged != accepted, f"{value!r} in {case.fields[j].descriptor}: see {doc}"
    expected = drop_edges(case, theirs(case))
    actual = drop_edges(case, mine)
    assert actual == expected, (
        f"only ours: {sorted(actual - expected, key=str)}\n"
        f"only frictionless: {sorted(expected - actual, key=str)}\n{describe(case)}"
    )


# -- what the oracle found, as fixed examples ---------------------------------------------


@pytest.mark.parametrize(
    ("schema", "data", "errors"),
    [
        pytest.param(
            {"fields": [{"name": "a"}, {"name": "b"}, {"name": "c"}]},
            b"a,b,c\n1,2,3\n,\n,,,\n",
            {(3, None, "blank-row"), (4, None, "blank-row")},
            id="blank rows with too few or too many cells",
        ),
        pytest.param(
            {
                "fields": [{"name": "a"}, {"name": "b", "type": "integer"}],
                "missingValues": ["", "NA"],
            },
            b"a,b\nx,1\nNA,NA\nNA,\n",
            {(3, None, "blank-row"), (4, None, "blank-row")},
            id="a row of missing values is blank",
        ),
        pytest.param(
            {
                "fields": [
                    {"name": "a", "type": "integer", "constraints": {"unique": True, "maximum": 9}}
                ]
            },
            b"a\n10\n10\n",
            {(2, "a", "constraint-error"), (3, "a", "constraint-error"), (3, "a", "unique-error")},
            id="a value breaking a constraint still takes part in unique",
        ),
        pytest.param(
            {"fields": [{"name": "d", "type": "date", "format": "%d/%m/%Y"}]},
            b"d\n12/5/24\n12/05/999\n12/05/2024 \n 12/05/2024\n1/5/2024\n",
            {
                (2, "d", "type-error"),
                (3, "d", "type-error"),
                (4, "d", "type-error"),
                (5, "d", "type-error"),
            },
            id="a date needs a four-digit year and no surrounding space",
        ),
        pytest.param(
            {"fields": [{"name": "t", "type": "time", "format": "%H:%M"}]},
            b"t\n9:05\n09:05 \n 09:05\n",
            {(3, "t", "type-error"), (4, "t", "type-error")},
            id="a time with surrounding space",
        ),
    ],
)
def test_found_by_the_oracle(schema: dict[str, Any], data: bytes, errors: set[Triple]) -> None:
    assert run_ours(schema, data) == errors
    assert run_frictionless(schema, data) == errors


@pytest.mark.parametrize("pattern", ["(?=a)a", "(a)\\1", "(?<!x)a"])
def test_patterns_python_accepts_but_duckdb_cannot_run_are_refused(pattern: str) -> None:
    re.compile(pattern)  # fine for Python, and so for frictionless: see DOC_PATTERN
    document = {
        "name": "t",
        "schema": {"fields": [{"name": "a", "constraints": {"pattern": pattern}}]},
    }
    with pytest.raises(DatasetTypeError, match="RE2 syntax"):
        parse_dataset_type(document)


@pytest.mark.parametrize(
    ("field", "message"),
    [
        ({"type": "date", "format": "%d/%m/%Y%"}, "Trailing format character"),
        ({"type": "date", "constraints": {"minimum": "2020-13-01"}}, "minimum: '2020-13-01'"),
        (
            {"type": "date", "format": "%d/%m/%Y", "constraints": {"maximum": "2020-01-01"}},
            "maximum",
        ),
        ({"type": "year", "constraints": {"minimum": 500}}, "'500' is not a valid year"),
        ({"type": "integer", "constraints": {"enum": [1, 2.5]}}, "enum: '2.5'"),
        ({"type": "boolean", "constraints": {"enum": ["yes"]}}, "enum: 'yes'"),
    ],
)
def test_formats_and_constraint_values_must_be_usable(field: dict[str, Any], message: str) -> None:
    """A format DuckDB cannot read failed every file; an unreadable bound turned its check
    off in silence (frictionless raises), an unreadable enum member the whole enum."""
    document = {"name": "t", "schema": {"fields": [{"name": "a", **field}]}}
    with pytest.raises(DatasetTypeError, match=re.escape(message)):
        parse_dataset_type(document)


def test_every_normalised_difference_is_documented() -> None:
    section = DOCS.read_text(encoding="utf-8").split("## Differences from Frictionless")[1]
    bullets = section.replace("`", "")
    names = [value for name, value in globals().items() if name.startswith("DOC_")]
    assert len(names) >= 10
    missing = [name for name in names if f"- **{name}**" not in bullets]
    assert not missing, f"docs/datasets.md, Differences from Frictionless, lacks {missing}"
