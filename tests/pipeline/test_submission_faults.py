"""Upload API submissions through the pipeline under hard inputs and faults (issue 12)."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from landingzone.db.tables import submissions
from tests.conftest import Harness
from tests.test_upload_api import DATA_HEADER, EVENT_HEADER, Uploader, process


@pytest.fixture
def uploader(harness: Harness) -> Uploader:
    return Uploader(harness, "acme")


def test_cr_only_data_and_event_data_are_read_as_lines(
    harness: Harness, uploader: Uploader
) -> None:
    """Excel 'CSV (Macintosh)' line ends: was a _csv.Error and minutes of retries."""
    data = "\r".join(
        [
            DATA_HEADER,
            "U1,12/05/2024,09:00,12/05/2024,17:00",
            "U2,12/05/2024,10:00,12/05/2024,11:00",
        ]
    )
    events = "\r".join([EVENT_HEADER, "U1,12/05/2024,09:05,12/05/2024,09:30,Meeting,0"]) + "\r"
    token = uploader.submit("mac export", data, events)
    assert process(harness) == 1
    assert uploader.status(token) == "completedsuccessfully", uploader.feedback(token)
    rows = uploader.results(token)
    assert [(r["Row"], r["Reference"], r["EventCount"]) for r in rows] == [
        (2, "U1", 1),
        (3, "U2", 0),
    ]


def test_a_stray_quote_in_a_reference_is_a_literal_character(
    harness: Harness, uploader: Uploader
) -> None:
    data = "\r\n".join([DATA_HEADER, 'Desk 27" A,12/05/2024,09:00,12/05/2024,17:00'])
    token = uploader.submit("quote", data)
    process(harness)
    assert uploader.status(token) == "completedsuccessfully", uploader.feedback(token)
    assert uploader.results(token)[0]["Reference"] == 'Desk 27" A'


def test_a_deterministic_failure_fails_the_submission_at_once(
    harness: Harness, uploader: Uploader, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*args: object, **kwargs: object) -> object:
        raise ValueError("results could not be computed")

    monkeypatch.setattr("landingzone.pipeline.submission.result_rows", broken)
    token = uploader.submit("x", "\r\n".join([DATA_HEADER, "U1,12/05/2024,09:00,12/05/2024,17:00"]))
    assert process(harness) == 1
    assert uploader.status(token) == "failed"
    [entry] = uploader.feedback(token)
    assert entry["code"] == "processing-error"
    assert "ValueError: results could not be computed" in entry["message"]
    with harness.services.engine.connect() as conn:
        attempt = conn.execute(
            select(submissions.c.attempt).where(submissions.c.token == token)
        ).scalar()
    assert attempt == 1
