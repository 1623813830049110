"""The cheaper whole-value matches give exactly regexp_full_match's answer."""

from __future__ import annotations

import duckdb
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from landingzone.domain.datasets import shipped_datasets
from landingzone.validation.shapes import ISO_DATETIME_USUAL, full_match, parse
from landingzone.validation.sql import ISO_DATETIME_RE, NUMBER_RE, YEAR_RE, format_regex

SHIPPED_PATTERNS = sorted(
    {
        spec.constraints.pattern
        for dataset in shipped_datasets()
        for spec in dataset.table_schema.fields
        if spec.constraints.pattern
    }
)
FORMATS = ["%d/%m/%Y", "%H:%M", "%Y-%m-%d", "%d.%m.%Y %H:%M:%S", "%m/%d/%y", "%I:%M %p"]
PATTERNS = [
    *SHIPPED_PATTERNS,
    *(format_regex(f) for f in FORMATS),
    YEAR_RE,
    NUMBER_RE,
    "[+-][0-9]{2}",
    "[-+]{1,2}x",
    "AB-[0-9]{2,4}",
    "[a-f0-9]{8}",
    "[A-Za-z0-9_-]{1,64}",
    r"\d{3}",
    "[A-Z]{2,}",
]
# Every character the patterns care about, and some they must refuse.
ALPHABET = "0123456789AZaz_-+.:/ ,TZé!*?[]^\\pPM"


def agree(pattern: str, values: list[str], usual: tuple[str, ...] = ()) -> None:
    db = duckdb.connect()
    rows = db.execute(
        f"SELECT v, regexp_full_match(v, ?) AS expected, {full_match('v', pattern, usual)} "
        "AS cheap FROM unnest(?::VARCHAR[]) AS t(v)",
        [pattern, values],
    ).fetchall()
    wrong = [(v, expected, cheap) for v, expected, cheap in rows if expected != cheap]
    assert not wrong, f"{pattern}: {wrong[:5]}"


@pytest.mark.parametrize("pattern", PATTERNS)
@settings(max_examples=60, deadline=None)
@given(data=st.data())
def test_cheaper_match_agrees_with_the_regular_expression(
    pattern: str, data: st.DataObject
) -> None:
    # Strings the pattern accepts (each count of each atom) mixed with arbitrary ones.
    matching = st.from_regex(pattern.replace(r"\d", "[0-9]"), fullmatch=True)
    values = data.draw(
        st.lists(matching | st.text(ALPHABET, max_size=22), min_size=1, max_size=200)
    )
    atoms = parse(pattern)
    if atoms:  # the value the GLOB is built around, so both branches run
        values.append("".join(a.glob.strip("[]")[:1] * a.most for a in atoms))
    agree(pattern, values)


@settings(max_examples=100, deadline=None)
@given(
    values=st.lists(
        st.from_regex(ISO_DATETIME_RE, fullmatch=True) | st.text(ALPHABET, max_size=30),
        min_size=1,
        max_size=100,
    )
)
def test_iso_datetime_usual_forms_agree(values: list[str]) -> None:
    usual = ["2025-01-31T23:59:59Z", "2025-01-31T23:59:59+01:00"]
    agree(ISO_DATETIME_RE, [*values, *usual], ISO_DATETIME_USUAL)


def test_which_patterns_get_cheaper_forms() -> None:
    assert full_match("v", "[A-Z]{3}") == "(v GLOB '[A-Z][A-Z][A-Z]')"
    shape = full_match("v", format_regex("%d/%m/%Y"))
    assert shape.startswith("(CASE WHEN v GLOB '[0-9][0-9]/[0-9][0-9]/[0-9][0-9][0-9][0-9]'")
    assert "regexp_full_match" in shape
    # Groups, alternation, classes like \d and unbounded counts stay regular expressions.
    for pattern in (NUMBER_RE, r"\d{3}", "[A-Z]{2,}", "a|b", "[^@]+"):
        assert full_match("v", pattern) == f"regexp_full_match(v, '{pattern}')"
    # A long variable-length id: checking the usual case would cost more than it saves.
    assert full_match("v", "[A-Za-z0-9_-]{1,64}").startswith("regexp_full_match")
