"""Secret redaction in log lines: the safety net behind the access log's own redaction."""

from __future__ import annotations

import io
import logging
from collections.abc import Iterator

import pytest

from landingzone.logs import REDACTED, RedactingFilter, configure_logging, redact, redact_query
from tests.conftest import Harness


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
        # Names as the server decodes them: percent-encoded, '+' for space, any case.
        ("GET /GetResults?token=t&dataKey=status&%6Bey=apikey123", "apikey123"),
        ("GET /o/k?X-Lz-Upload=u&X%2DLz%2DSignature=s3cr3tsig", "s3cr3tsig"),
        ("GET /o/k?x%2dlz%2dsignature=s3cr3tsig&a=b", "s3cr3tsig"),
        ("form grant_type=x&client%5Fsecret=hunter2", "hunter2"),
        ("form grant_type=x&%63%6C%69%65%6E%74_secret=hunter2", "hunter2"),
        ("GET /x?KEY=apikey123", "apikey123"),
        ("GET /x?X-Amz-Security-Token=FwoGZXIvYXdzE", "FwoGZXIvYXdzE"),
        ("GET /x?api%5Fkey=apikey123", "apikey123"),
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


def test_redact_query_decodes_parameter_names() -> None:
    query = "X-Lz-Upload=abc&X%2DLz%2DSignature=sig&%6Bey=k&%6Beyboard=fine&filenames=%6Bey"
    assert redact_query(query) == (
        f"X-Lz-Upload=abc&X%2DLz%2DSignature={REDACTED}&%6Bey={REDACTED}"
        "&%6Beyboard=fine&filenames=%6Bey"
    )


def test_redact_leaves_harmless_pairs_alone() -> None:
    line = "GET /x?filenames=a.csv&monkey=1&keys=2&type=users 200"
    assert redact(line) == line


@pytest.fixture
def debug_log() -> Iterator[io.StringIO]:
    """LZ_LOG_LEVEL=debug as the server configures it, into a buffer."""
    root = logging.getLogger()
    saved = (root.level, list(root.handlers))
    configure_logging("debug")
    stream = io.StringIO()
    for handler in root.handlers:
        if isinstance(handler, logging.StreamHandler):
            handler.setStream(stream)
    try:
        yield stream
    finally:
        root.handlers[:] = saved[1]
        root.setLevel(saved[0])
        for name in ("python_multipart", "multipart"):
            logging.getLogger(name).setLevel(logging.NOTSET)


def test_debug_logging_of_a_1mb_form_is_not_a_line_per_field(
    sqlite_harness: Harness, debug_log: io.StringIO
) -> None:
    form = {"content-type": "application/x-www-form-urlencoded"}
    for body in (b"&" * 1_000_000, b"grant_type=client_credentials" + b"&&x=1" * 200_000):
        response = sqlite_harness.http.post("/oauth2/token", content=body, headers=form)
        assert 400 <= response.status_code < 500
    lines = debug_log.getvalue().splitlines()
    assert not [line for line in lines if "python_multipart" in line]
    assert len(lines) < 50, lines[:5]


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
