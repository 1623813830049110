"""The SDK's Upload API: upload_data waits for the verdict; results reads the outputs."""

from __future__ import annotations

from pathlib import Path

import pytest

from landingzone.client import Client, LandingzoneClientError
from tests.client.test_sdk_push import FAST, InProcess
from tests.conftest import Harness

DATA = "Reference,StartDate,StartTime,EndDate,EndTime\r\nUser1,12/05/2024,09:00,12/05/2024,17:00"
EVENTS = (
    "Reference,EventStartDate,EventStartTime,EventEndDate,EventEndTime,Description,"
    "TimeReference\r\nUser1,12/05/2024,09:05,12/05/2024,09:30,Meeting,0"
)


def client(harness: Harness, with_key: bool = True) -> Client:
    creds = harness.tenant("acme")
    lz = Client("http://testserver", creds.client_id, creds.client_secret,
                api_key=creds.api_key if with_key else None,
                transport=InProcess(harness), retry=FAST)  # fmt: skip
    runner = harness.services.pipeline()

    def sleep(_: float) -> None:  # the worker runs while we "wait"
        runner.run_once()

    lz.upload_api._sleep = sleep
    return lz


def test_upload_data_waits_and_results_read_the_table(harness: Harness, tmp_path: Path) -> None:
    with client(harness) as lz:
        events = tmp_path / "events.csv"
        events.write_text(EVENTS)
        done = lz.upload_data("May", DATA, events, time_zone="Europe/Paris")
        assert done.status == "completedsuccessfully" and done.feedback == []
        table = lz.results(done.token, "tableofresultids")
        assert isinstance(table, list)
        [row] = table
        assert (row["DurationMinutes"], row["EventCount"], row["EventMinutes"]) == (480, 1, 25)
        again = lz.upload_data("May", DATA.replace("17:00", "18:00"), overwrite=True)
        assert lz.results(again.token, "status") == "completedsuccessfully"
        with pytest.raises(LandingzoneClientError) as conflict:
            lz.upload_data("May", DATA)
        assert conflict.value.status == 409 and "Overwrite" in conflict.value.message


def test_a_failed_submission_comes_with_its_feedback(harness: Harness) -> None:
    with client(harness) as lz:
        failed = lz.upload_data("bad", DATA.replace("12/05/2024,17:00", "31/02/2024,17:00"))
    assert failed.status == "failed"
    assert [(f["dataset"], f["row"], f["column"]) for f in failed.feedback] == [
        ("Data", 2, "EndDate")
    ]


def test_without_an_api_key_the_error_says_so(harness: Harness) -> None:
    with client(harness, with_key=False) as lz, pytest.raises(LandingzoneClientError) as missing:
        lz.upload_data("n", DATA)
    assert "API key" in str(missing.value)


def test_a_wrong_key_is_not_mistaken_for_an_expired_token(harness: Harness) -> None:
    creds = harness.tenant("acme")
    transport = InProcess(harness)
    lz = Client("http://testserver", creds.client_id, creds.client_secret, api_key="wrong",
                transport=transport, retry=FAST)  # fmt: skip
    with lz, pytest.raises(LandingzoneClientError) as refused:
        lz.upload_data("n", DATA, wait=False)
    assert refused.value.status == 401 and "Key" in refused.value.message
    assert transport.seen["token"] == 1
