"""Every API answer names its request, in a header and in the access log line."""

from __future__ import annotations

import logging
import re

import pytest

from tests.conftest import Harness


def test_each_api_answer_carries_its_own_request_id_and_the_log_names_it(
    sqlite_harness: Harness, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.INFO, logger="landingzone.access"):
        first = sqlite_harness.http.get("/healthz")
        second = sqlite_harness.http.get("/no/such/route")
    ids = [first.headers["x-lz-request-id"], second.headers["x-lz-request-id"]]
    assert all(re.fullmatch(r"[0-9a-f]{16}", i) for i in ids) and ids[0] != ids[1]
    assert second.status_code == 404
    lines = [r.getMessage() for r in caplog.records if r.name == "landingzone.access"]
    assert any("GET /healthz" in line and line.endswith(ids[0]) for line in lines), lines
    assert any("GET /no/such/route" in line and line.endswith(ids[1]) for line in lines), lines
