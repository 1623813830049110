"""Upload API submissions through the pipeline under hard inputs and faults (issue 12)."""

from __future__ import annotations

import hashlib
import logging

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


@pytest.mark.parametrize("which", ["Data", "EventData"])
def test_a_flipped_stored_byte_fails_the_submission_as_stored_object_corrupted(
    harness: Harness, uploader: Uploader, caplog: pytest.LogCaptureFixture, which: str
) -> None:
    data = "\r\n".join([DATA_HEADER, "U1,12/05/2024,09:00,12/05/2024,17:00"])
    events = "\r\n".join([EVENT_HEADER, "U1,12/05/2024,09:05,12/05/2024,09:30,Meeting,0"])
    token = uploader.submit("flipped", data, events)
    column = submissions.c.data_storage_id if which == "Data" else submissions.c.events_storage_id
    with harness.services.engine.connect() as conn:
        storage_id = conn.execute(select(column).where(submissions.c.token == token)).scalar_one()
    path = harness.services.store.local_path(storage_id)
    assert path is not None
    stored = bytearray(path.read_bytes())
    stored[-3] ^= 0x01  # still a valid row ("U1" becomes "U0" or a minute changes): other data
    path.write_bytes(bytes(stored))
    with caplog.at_level(logging.ERROR, logger="landingzone.pipeline.submission_job"):
        assert process(harness) == 1
    assert uploader.status(token) == "failed"
    [entry] = uploader.feedback(token)  # no row-level errors: not the customer's data error
    assert entry["message"].startswith("stored object corrupted")
    assert any(
        r.levelno == logging.ERROR and "stored object corrupted" in r.getMessage()
        for r in caplog.records
    )


def test_intact_submissions_still_complete_with_their_hashes_recorded(
    harness: Harness, uploader: Uploader
) -> None:
    data = "\r\n".join([DATA_HEADER, "U1,12/05/2024,09:00,12/05/2024,17:00"])
    token = uploader.submit("intact", data)
    with harness.services.engine.connect() as conn:
        recorded = conn.execute(
            select(submissions.c.data_sha256, submissions.c.events_sha256).where(
                submissions.c.token == token
            )
        ).one()
    assert recorded == (hashlib.sha256(data.encode()).hexdigest(), None)
    assert process(harness) == 1
    assert uploader.status(token) == "completedsuccessfully"
