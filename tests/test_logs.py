"""Secret redaction in log lines: the safety net behind the access log's own redaction."""

from __future__ import annotations

import logging

import pytest

from landingzone.logs import REDACTED, RedactingFilter, redact, redact_query


@pytest.mark.parametrize(
    ("line", "secret"),
    [
        ("Authorization: Bearer abc.def.ghi", "abc.def.ghi"),
        ("header Basic dXNlcjpwYXNzd29yZA==", "dXNlcjpwYXNzd29yZA=="),
        ("token eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ4In0.c2lnbmF0dXJl seen", "eyJhbGciOiJIUzI1NiJ9"),
        ("GET /o/k?X-Lz-Upload=u&X-Lz-Signature=s3cr3tsig", "s3cr3tsig"),
        ("GET /GetResults?token=t0k&dataKey=status&key=apikey123", "apikey123"),
        ("form client_secret=hunter2&grant_type=x", "hunter2"),
        ("{'client_secret': 'hunter2'}", "hunter2"),
    ],
)
def test_redact_removes_secrets(line: str, secret: str) -> None:
    cleaned = redact(line)
    assert secret not in cleaned
    assert REDACTED in cleaned


def test_redact_query_keeps_harmless_parameters() -> None:
    query = "X-Lz-Upload=abc&X-Lz-Expires=1&X-Lz-Signature=sig&filenames=a.csv&key=k"
    assert redact_query(query) == (
        f"X-Lz-Upload=abc&X-Lz-Expires=1&X-Lz-Signature={REDACTED}&filenames=a.csv&key={REDACTED}"
    )


def test_filter_scrubs_arguments_and_tracebacks(caplog: pytest.LogCaptureFixture) -> None:
    logger = logging.getLogger("test.redaction")
    logger.addFilter(RedactingFilter())
    try:
        with caplog.at_level(logging.INFO, logger="test.redaction"):
            logger.info("calling with %s", "Bearer supersecrettoken")
            try:
                raise ValueError("bad client_secret=hunter2")
            except ValueError:
                logger.exception("failed")
    finally:
        logger.filters.clear()
    text = caplog.text
    assert "supersecrettoken" not in text
    assert "hunter2" not in text
    assert "ValueError" in text
