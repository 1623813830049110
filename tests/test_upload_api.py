"""The Upload API (SPEC §5, seed 004): UploadData, processing, GetResults."""

from __future__ import annotations

import io
import json
import uuid
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from landingzone.db.tables import submissions
from tests.conftest import Credentials, Harness, build_harness, make_settings

DATA_HEADER = "Reference,StartDate,StartTime,EndDate,EndTime"
EVENT_HEADER = (
    "Reference,EventStartDate,EventStartTime,EventEndDate,EventEndTime,Description,TimeReference"
)
# Seed 004's example, as printed, with the credentials substituted below.
SEED_EXAMPLE = """{
"Name": "Sample submission 1",
"Data": "Reference,StartDate,StartTime,EndDate,EndTime\\r\\nUser1,12/05/2024,09:00,12/05/2024,17:00",
"EventData": "Reference,EventStartDate,EventStartTime,EventEndDate,EventEndTime,Description,TimeReference\\r\\nUser1,12/05/2024,09:05,12/05/2024,09:30,Meeting,0",
"Username": "5471E010-DDEE-4C98-FF8F-08DB2245E372",
"Key": "90CBF21C-33D4-4C32-944A-22A0C416DF89",
"Overwrite": "false"
}"""  # noqa: E501


class Uploader:
    """One customer's client speaking the Upload API through the test client."""

    def __init__(self, harness: Harness, customer: str, timezone: str = "UTC") -> None:
        harness.services.admin.create_customer(customer, timezone)
        self.harness = harness
        self.creds: Credentials = harness.new_client(customer)
        self.headers = harness.auth(self.creds, "platform_upload_api")

    def body(self, name: str, data: str, events: str | None = None, **extra: Any) -> dict[str, Any]:
        body: dict[str, Any] = {"Name": name, "Data": data, "Key": self.creds.api_key, **extra}
        if events is not None:
            body["EventData"] = events
        return body

    def submit(self, name: str, data: str, events: str | None = None, **extra: Any) -> str:
        response = self.harness.http.post(
            "/UploadData", json=self.body(name, data, events, **extra), headers=self.headers
        )
        assert response.status_code == 200, response.text
        token = response.json()
        assert isinstance(token, str)
        return token

    def get(self, token: str, data_key: str, path: str = "/GetResults") -> Any:
        params = {"token": token, "dataKey": data_key, "key": self.creds.api_key}
        return self.harness.http.get(path, params=params, headers=self.headers)

    def results(self, token: str) -> list[dict[str, Any]]:
        response = self.get(token, "tableofresultids")
        assert response.status_code == 200, response.text
        rows: list[dict[str, Any]] = response.json()
        return rows

    def feedback(self, token: str) -> list[dict[str, Any]]:
        response = self.get(token, "feedback")
        assert response.status_code == 200, response.text
        entries: list[dict[str, Any]] = response.json()
        return entries

    def status(self, token: str) -> str:
        response = self.get(token, "status")
        assert response.status_code == 200, response.text
        status: str = response.json()
        return status


def process(harness: Harness) -> int:
    runner = harness.services.pipeline()
    done = 0
    while runner.run_once():
        done += 1
    return done


def csv(*lines: str) -> str:
    return "\r\n".join(lines)


@pytest.fixture
def uploader(harness: Harness) -> Uploader:
    return Uploader(harness, "acme")


# -- the seed's example, end to end ----------------------------------------------------------


def test_the_seed_example_works_unchanged(harness: Harness, uploader: Uploader) -> None:
    body = SEED_EXAMPLE.replace(
        "5471E010-DDEE-4C98-FF8F-08DB2245E372", uploader.creds.client_id.upper()
    ).replace("90CBF21C-33D4-4C32-944A-22A0C416DF89", uploader.creds.api_key)
    response = harness.http.post(
        "/UploadData",
        content=body.encode(),
        headers={**uploader.headers, "Content-Type": "application/json"},
    )
    assert response.status_code == 200, response.text
    token = response.json()
    assert str(uuid.UUID(token)) == token
    assert uploader.status(token) == "pending"
    assert uploader.get(token, "tableofresultids").status_code == 409
    assert process(harness) == 1
    assert uploader.status(token) == "completedsuccessfully"
    assert uploader.feedback(token) == []
    [result] = uploader.results(token)
    assert result == {
        "ResultId": result["ResultId"],
        "Row": 2,
        "Reference": "User1",
        "Start": "2024-05-12T09:00:00+00:00",
        "End": "2024-05-12T17:00:00+00:00",
        "DurationMinutes": 480,
        "EventCount": 1,
        "EventMinutes": 25,
    }
    assert str(uuid.UUID(result["ResultId"])) == result["ResultId"]
    # "Overwrite": "false" must not overwrite: the same body again is a conflict.
    again = harness.http.post(
        "/api/UploadData",
        content=body.encode(),
        headers={**uploader.headers, "Content-Type": "application/json"},
    )
    assert again.status_code == 409
    assert again.json()["success"] is False and "Overwrite" in again.json()["message"]


def test_aliases_under_api(harness: Harness, uploader: Uploader) -> None:
    response = harness.http.post(
        "/api/UploadData",
        json=uploader.body("n", csv(DATA_HEADER, "a,01/01/2024,10:00,01/01/2024,11:00")),
        headers=uploader.headers,
    )
    assert response.status_code == 200
    process(harness)
    answer = uploader.get(response.json(), "status", path="/api/GetResults")
    assert answer.status_code == 200 and answer.json() == "completedsuccessfully"


# -- UploadData: authentication and the body ---------------------------------------------


def test_the_scope_is_required(harness: Harness, uploader: Uploader) -> None:
    headers = harness.auth(uploader.creds, "files.read")
    body = uploader.body("n", csv(DATA_HEADER))
    response = harness.http.post("/UploadData", json=body, headers=headers)
    assert response.status_code == 403
    assert "platform_upload_api" in response.json()["message"]
    assert harness.http.post("/UploadData", json=body).status_code == 401


def test_key_and_username_must_be_the_callers(harness: Harness, uploader: Uploader) -> None:
    other = harness.new_client("acme")
    data = csv(DATA_HEADER, "a,01/01/2024,10:00,01/01/2024,11:00")
    cases = [
        (uploader.body("n", data, Key=other.api_key), 401, "Key"),
        (uploader.body("n", data, Key="nope"), 401, "Key"),
        (uploader.body("n", data, Username=other.client_id), 401, "Username"),
    ]
    for body, status, word in cases:
        response = harness.http.post("/UploadData", json=body, headers=uploader.headers)
        assert response.status_code == status, body
        assert word in response.json()["message"]
        assert response.headers["www-authenticate"] == 'Bearer realm="landingzone"'
    assert harness.services.submissions.name_exists(1, "n") is False
    ok = uploader.body("n", data, Username=f"  {uploader.creds.client_id.upper()} ")
    assert harness.http.post("/UploadData", json=ok, headers=uploader.headers).status_code == 200


@pytest.mark.parametrize(
    ("value", "overwrites"),
    [(True, True), (False, False), ("true", True), ("TRUE", True), ("False", False),
     ("false", False), (None, False)],
)  # fmt: skip
def test_overwrite_accepts_booleans_and_their_strings(
    harness: Harness, uploader: Uploader, value: Any, overwrites: bool
) -> None:
    data = csv(DATA_HEADER, "a,01/01/2024,10:00,01/01/2024,11:00")
    uploader.submit("n", data)
    response = harness.http.post(
        "/UploadData", json=uploader.body("n", data, Overwrite=value), headers=uploader.headers
    )
    assert response.status_code == (200 if overwrites else 409), response.text


@pytest.mark.parametrize(
    ("body", "word"),
    [
        ({"Overwrite": "yes"}, "Overwrite"),
        ({"Overwrite": 1}, "Overwrite"),
        ({"TimeZone": "Mars/Olympus"}, "TimeZone"),
        ({"TimeZone": "../../etc/passwd"}, "TimeZone"),
        ({"Name": ""}, "Name"),
        ({"Name": None}, "Name"),
        ({"Data": None}, "Data"),
        ({"Data": ["a"]}, "Data"),
        ({"Key": None}, "Key"),
        ({"EventData": 5}, "EventData"),
    ],
)
def test_bad_bodies_are_422_and_store_nothing(
    harness: Harness, uploader: Uploader, body: dict[str, Any], word: str
) -> None:
    full = uploader.body("n", csv(DATA_HEADER)) | body
    full = {k: v for k, v in full.items() if v is not None}
    response = harness.http.post("/UploadData", json=full, headers=uploader.headers)
    assert response.status_code == 422, response.text
    assert word in response.json()["message"]
    with harness.services.engine.connect() as conn:
        assert conn.execute(select(submissions.c.id)).first() is None


def test_a_body_that_is_not_a_json_object_is_422(harness: Harness, uploader: Uploader) -> None:
    for raw in (b"{not json", b"[1, 2]", b"\xff\xfe"):
        response = harness.http.post("/UploadData", content=raw, headers=uploader.headers)
        assert response.status_code == 422
        assert "JSON" in response.json()["message"]


def test_the_body_is_json_whatever_its_content_type(harness: Harness, uploader: Uploader) -> None:
    raw = json.dumps(uploader.body("n", csv(DATA_HEADER))).encode()
    for content_type in ("text/plain", "application/x-www-form-urlencoded"):
        response = harness.http.post(
            "/UploadData", content=raw, headers={**uploader.headers, "Content-Type": content_type}
        )
        assert response.status_code == 200, (content_type, response.text)
        raw = json.dumps(uploader.body("m", csv(DATA_HEADER))).encode()


def test_the_scope_is_checked_before_the_body(harness: Harness, uploader: Uploader) -> None:
    headers = harness.auth(uploader.creds, "files.read")
    response = harness.http.post("/UploadData", content=b"{not json", headers=headers)
    assert response.status_code == 403
    assert "platform_upload_api" in response.json()["message"]


def test_time_zone_names_are_accepted(harness: Harness, uploader: Uploader) -> None:
    data = csv(DATA_HEADER, "a,01/01/2024,10:00,01/01/2024,11:00")
    assert uploader.submit("n", data, TimeZone="America/New_York")


def test_an_oversized_body_is_413_before_it_is_read(tmp_path: Path) -> None:
    settings = make_settings(
        tmp_path / "data", f"sqlite:///{tmp_path / 'm.db'}", upload_api_max_body=4096
    )
    for harness in build_harness(settings):
        uploader = Uploader(harness, "acme")
        big = uploader.body("n", "x" * 5000)
        response = harness.http.post("/UploadData", json=big, headers=uploader.headers)
        assert response.status_code == 413
        assert "4096" in response.json()["message"]

        raw = json.dumps(big).encode()

        def chunks(raw: bytes = raw) -> Any:  # no Content-Length: counted while streaming
            for i in range(0, len(raw), 1000):
                yield raw[i : i + 1000]

        streamed = harness.http.post("/UploadData", content=chunks(), headers=uploader.headers)
        assert streamed.status_code == 413
        assert harness.services.submissions.name_exists(1, "n") is False
        small = uploader.body("n", csv(DATA_HEADER))
        assert harness.http.post("/UploadData", json=small, headers=uploader.headers).is_success


# -- processing: the checks ------------------------------------------------------------------


def test_every_rule_is_reported_in_feedback(harness: Harness, uploader: Uploader) -> None:
    data = csv(
        DATA_HEADER,
        "a,31/02/2024,09:00,01/03/2024,10:00",  # no 31 February
        "b,01/03/2024,24:00,01/03/2024,23:00",  # hh:mm stops at 23:59
        ",01/03/2024,09:00,01/03/2024,10:00",  # Reference is required
        "c,01/03/2024,09:00,01/03/2024",  # a missing column
        "d,2024-03-01,09:00,01/03/2024,10:00",  # not DD/MM/YYYY
    )
    events = csv(EVENT_HEADER, "a,01/03/2024,09:00,01/03/2024,09:10,Call,3")
    token = uploader.submit("bad", data, events)
    process(harness)
    assert uploader.status(token) == "failed"
    found = {(e["dataset"], e["row"], e["column"], e["code"]) for e in uploader.feedback(token)}
    assert found == {
        ("Data", 2, "StartDate", "type-error"),
        ("Data", 3, "StartTime", "type-error"),
        ("Data", 4, "Reference", "constraint-error"),
        ("Data", 5, "EndTime", "missing-cell"),
        ("Data", 6, "StartDate", "type-error"),
        ("EventData", 2, "TimeReference", "constraint-error"),
    }
    for entry in uploader.feedback(token):
        assert entry["message"]
    response = uploader.get(token, "tableofresultids")
    assert response.status_code == 409
    assert "feedback" in response.json()["message"]


def test_cross_row_rules_end_before_start_and_unknown_references(
    harness: Harness, uploader: Uploader
) -> None:
    data = csv(
        DATA_HEADER,
        "a,01/03/2024,09:00,01/03/2024,08:59",
        "b,02/03/2024,09:00,01/03/2024,10:00",
        "c,01/03/2024,09:00,01/03/2024,09:00",  # zero length is fine
    )
    events = csv(
        EVENT_HEADER,
        "c,01/03/2024,09:00,01/03/2024,08:00,Late,0",
        "nobody,01/03/2024,09:00,01/03/2024,10:00,Ghost,1",
    )
    token = uploader.submit("cross", data, events)
    process(harness)
    assert uploader.status(token) == "failed"
    found = {(e["dataset"], e["row"], e["column"], e["code"]) for e in uploader.feedback(token)}
    assert found == {
        ("Data", 2, "EndDate", "end-before-start"),
        ("Data", 3, "EndDate", "end-before-start"),
        ("EventData", 2, "EventEndDate", "end-before-start"),
        ("EventData", 3, "Reference", "unknown-reference"),
    }


def test_one_round_of_feedback_lists_format_order_and_reference_errors_together(
    harness: Harness, uploader: Uploader
) -> None:
    data = csv(
        DATA_HEADER,
        "a,31/02/2024,09:00,01/03/2024,10:00",  # a format error
        "b,02/03/2024,09:00,01/03/2024,10:00",  # parses, ends before it starts
        "c,01/03/2024,09:00,01/03/2024,10:00",  # fine
    )
    events = csv(
        EVENT_HEADER,
        "c,01/03/2024,09:00,01/03/2024,9:xx,Broken,0",  # a format error
        "c,01/03/2024,09:30,01/03/2024,09:10,Late,0",  # parses, ends before it starts
        "nobody,01/03/2024,09:00,01/03/2024,10:00,Ghost,1",  # an unknown Reference
        # Row a was rejected for its date, yet it names the Reference: not unknown.
        "a,01/03/2024,09:00,01/03/2024,09:10,Call,0",
        # Rejected for its TimeReference, and its Reference is unknown: both at once.
        "ghost,01/03/2024,09:00,01/03/2024,09:10,Boo,7",
    )
    token = uploader.submit("all-at-once", data, events)
    process(harness)
    assert uploader.status(token) == "failed"
    found = {(e["dataset"], e["row"], e["column"], e["code"]) for e in uploader.feedback(token)}
    assert found == {
        ("Data", 2, "StartDate", "type-error"),
        ("Data", 3, "EndDate", "end-before-start"),
        ("EventData", 2, "EventEndTime", "type-error"),
        ("EventData", 3, "EventEndDate", "end-before-start"),
        ("EventData", 4, "Reference", "unknown-reference"),
        ("EventData", 6, "TimeReference", "constraint-error"),
        ("EventData", 6, "Reference", "unknown-reference"),
    }


def test_feedback_is_in_row_order_and_capped_across_every_check(tmp_path: Path) -> None:
    settings = make_settings(tmp_path / "data", f"sqlite:///{tmp_path / 'm.db'}", error_cap=3)
    for harness in build_harness(settings):
        uploader = Uploader(harness, "acme")
        backwards = [f"r{i},02/03/2024,09:00,01/03/2024,10:00" for i in range(4)]
        data = csv(DATA_HEADER, *backwards[:2], "bad,99/03/2024,09:00,01/03/2024,10:00",
                   *backwards[2:])  # fmt: skip
        token = uploader.submit("capped", data)
        process(harness)
        entries = [(e["row"], e["code"]) for e in uploader.feedback(token)]
        # Rows 2-6: one format error (row 4) and four ends before starts; three listed.
        assert entries == [
            (2, "end-before-start"),
            (3, "end-before-start"),
            (4, "type-error"),
            (None, "too-many-errors"),
        ]
        assert "2 more errors in Data" in uploader.feedback(token)[-1]["message"]


def test_references_of_rejected_rows_are_read_with_any_line_end(
    harness: Harness, uploader: Uploader
) -> None:
    # No header, LF line ends, a quoted Reference: the references still read right.
    data = '"x, y",31/02/2024,09:00,01/03/2024,10:00\nz,01/03/2024,09:00,01/03/2024,10:00\n'
    events = csv(EVENT_HEADER, '"x, y",01/03/2024,09:00,01/03/2024,09:10,Call,0')
    token = uploader.submit("quoted", data, events)
    process(harness)
    found = {(e["dataset"], e["row"], e["code"]) for e in uploader.feedback(token)}
    assert found == {("Data", 1, "type-error")}


def test_a_quote_that_never_closes_skips_the_reference_check(
    harness: Harness, uploader: Uploader
) -> None:
    # Longer than Python csv's field size limit: the References cannot be read.
    data = csv(DATA_HEADER, "a,31/02/2024,09:00,01/03/2024,10:00", 'b,"' + "x" * 200_000)
    events = csv(EVENT_HEADER, "a,01/03/2024,09:00,01/03/2024,09:10,Call,0")
    token = uploader.submit("unclosed", data, events)
    process(harness)
    assert uploader.status(token) == "failed"
    codes = {(e["dataset"], e["code"]) for e in uploader.feedback(token)}
    assert ("EventData", "unknown-reference") not in codes
    assert ("Data", "source-error") in codes


def test_date_and_time_messages_name_the_format_in_words(
    harness: Harness, uploader: Uploader
) -> None:
    token = uploader.submit("words", csv(DATA_HEADER, "a,2024-03-01,9h,01/03/2024,10:00"))
    process(harness)
    messages = {e["column"]: e["message"] for e in uploader.feedback(token)}
    assert messages["StartDate"] == (
        "Value is not a valid date in format DD/MM/YYYY (e.g. 31/12/2024)."
    )
    assert messages["StartTime"] == "Value is not a valid time in format hh:mm (e.g. 17:30)."
    assert not any("%" in message for message in messages.values())


def test_the_header_row_is_optional_and_matched_loosely(
    harness: Harness, uploader: Uploader
) -> None:
    loose = " reference , STARTDATE,StartTime ,enddate,EndTime"
    with_header = uploader.submit("h", "\n".join([loose, "a,01/03/2024,09:00,01/03/2024,10:00"]))
    without = uploader.submit(
        "n", "a,01/03/2024,09:00,01/03/2024,10:00\nb,1/3/2024,9:00,1/3/2024,10:00\n"
    )
    process(harness)
    assert [r["Row"] for r in uploader.results(with_header)] == [2]
    rows = uploader.results(without)
    assert [(r["Row"], r["Reference"], r["DurationMinutes"]) for r in rows] == [
        (1, "a", 60), (2, "b", 60),
    ]  # fmt: skip


def test_a_failed_name_can_be_fixed_with_overwrite(harness: Harness, uploader: Uploader) -> None:
    bad = uploader.submit("fixme", csv(DATA_HEADER, "a,31/02/2024,09:00,01/03/2024,10:00"))
    process(harness)
    assert uploader.status(bad) == "failed"
    good = uploader.submit(
        "fixme", csv(DATA_HEADER, "a,29/02/2024,09:00,01/03/2024,10:00"), Overwrite=True
    )
    process(harness)
    assert uploader.status(good) == "completedsuccessfully"
    assert uploader.results(good)[0]["DurationMinutes"] == 25 * 60


# -- results ---------------------------------------------------------------------------------


def test_events_count_for_every_record_they_overlap_clipped(
    harness: Harness, uploader: Uploader
) -> None:
    data = csv(
        DATA_HEADER,
        "u1,12/05/2024,09:00,12/05/2024,12:00",
        "u1,12/05/2024,11:00,12/05/2024,17:00",
        "u1,31/05/2024,22:00,01/06/2024,02:00",  # across midnight and the month end
        "u2,12/05/2024,09:00,12/05/2024,17:00",
    )
    events = csv(
        EVENT_HEADER,
        "u1,12/05/2024,08:00,12/05/2024,11:30,Long,0",  # 09:00-11:30 and 11:00-11:30
        "u1,12/05/2024,12:00,12/05/2024,12:00,Instant,0",  # instant: only the second record
        "u1,31/05/2024,23:30,01/06/2024,00:45,Night,0",
        "u1,12/05/2024,17:00,12/05/2024,18:00,After,0",  # touches the end: no overlap
        "u2,12/05/2024,10:00,12/05/2024,10:30,Other,0",
    )
    token = uploader.submit("overlap", data, events)
    process(harness)
    assert uploader.status(token) == "completedsuccessfully", uploader.feedback(token)
    rows = uploader.results(token)
    summary = [(r["Row"], r["DurationMinutes"], r["EventCount"], r["EventMinutes"]) for r in rows]
    assert summary == [(2, 180, 1, 150), (3, 360, 2, 30), (4, 240, 1, 75), (5, 480, 1, 30)]
    assert rows[2]["Start"] == "2024-05-31T22:00:00+00:00"
    assert rows[2]["End"] == "2024-06-01T02:00:00+00:00"


def test_time_references_and_daylight_saving(harness: Harness) -> None:
    paris = Uploader(harness, "paris", timezone="Europe/Paris")
    data = csv(
        DATA_HEADER,
        "spring,31/03/2024,00:00,31/03/2024,06:00",  # clocks go 02:00 -> 03:00: 5 hours
        "autumn,27/10/2024,00:00,27/10/2024,06:00",  # clocks go 03:00 -> 02:00: 7 hours
        "summer,12/07/2024,09:00,12/07/2024,17:00",  # Paris is UTC+2
    )
    events = csv(
        EVENT_HEADER,
        "summer,12/07/2024,09:00,12/07/2024,10:00,Paris clock,0",  # 07:00-08:00 UTC
        "summer,12/07/2024,09:00,12/07/2024,10:00,UTC clock,1",  # 11:00-12:00 Paris
        "summer,12/07/2024,02:00,12/07/2024,03:30,New York clock,2",  # 08:00-09:30 Paris
        "summer,12/07/2024,06:00,12/07/2024,07:30,UTC before,1",  # 08:00-09:30 Paris
    )
    token = paris.submit("dst", data, events, TimeZone="America/New_York")
    process(harness)
    assert paris.status(token) == "completedsuccessfully", paris.feedback(token)
    rows = {r["Reference"]: r for r in paris.results(token)}
    assert rows["spring"]["DurationMinutes"] == 300
    assert rows["spring"]["End"] == "2024-03-31T06:00:00+02:00"
    assert rows["autumn"]["DurationMinutes"] == 420
    assert rows["autumn"]["Start"] == "2024-10-27T00:00:00+02:00"
    assert rows["autumn"]["End"] == "2024-10-27T06:00:00+01:00"
    summer = rows["summer"]
    assert summer["Start"] == "2024-07-12T09:00:00+02:00"
    # Paris clock 60; UTC clock 60; New York 02:00-03:30 EDT = 08:00-09:30 Paris -> 30;
    # UTC 06:00-07:30 = 08:00-09:30 Paris -> 30.
    assert (summer["EventCount"], summer["EventMinutes"]) == (4, 180)


def test_a_skipped_wall_clock_time_reads_with_the_earlier_offset(harness: Harness) -> None:
    paris = Uploader(harness, "paris", timezone="Europe/Paris")
    token = paris.submit("gap", csv(DATA_HEADER, "a,31/03/2024,01:30,31/03/2024,02:30"))
    process(harness)
    [row] = paris.results(token)
    # 02:30 does not exist that night; read as 02:30+01:00, the instant 03:30+02:00.
    assert row["End"] == "2024-03-31T03:30:00+02:00"
    assert row["DurationMinutes"] == 60


def test_result_ids_are_stable_per_submission(harness: Harness, uploader: Uploader) -> None:
    data = csv(
        DATA_HEADER, "a,01/03/2024,09:00,01/03/2024,10:00", "b,01/03/2024,09:00,01/03/2024,10:00"
    )
    first = uploader.submit("one", data)
    second = uploader.submit("two", data)
    process(harness)
    ids = [r["ResultId"] for r in uploader.results(first)]
    assert ids == [r["ResultId"] for r in uploader.results(first)]
    assert len(set(ids)) == 2
    assert set(ids).isdisjoint(r["ResultId"] for r in uploader.results(second))


def test_overwrite_replaces_results_only_once_it_completes(
    harness: Harness, uploader: Uploader
) -> None:
    old = uploader.submit("ds", csv(DATA_HEADER, "a,01/03/2024,09:00,01/03/2024,10:00"))
    process(harness)
    new = uploader.submit(
        "ds", csv(DATA_HEADER, "a,01/03/2024,09:00,01/03/2024,11:00"), Overwrite="true"
    )
    # Until the Overwrite completes, the earlier token's results stay readable.
    assert uploader.status(new) == "pending"
    assert uploader.results(old)[0]["DurationMinutes"] == 60
    process(harness)
    assert uploader.results(new)[0]["DurationMinutes"] == 120
    replaced = uploader.get(old, "tableofresultids")
    assert replaced.status_code == 404
    assert new in replaced.json()["message"]
    # A failing Overwrite leaves the current results in place, for good.
    failing = uploader.submit(
        "ds", csv(DATA_HEADER, "a,01/03/2024,09:00,01/03/2024,08:00"), Overwrite=True
    )
    process(harness)
    assert uploader.status(failing) == "failed"
    assert uploader.results(new)[0]["DurationMinutes"] == 120


def test_an_older_submission_completing_late_does_not_replace_a_newer_one(
    harness: Harness, uploader: Uploader
) -> None:
    services = harness.services
    first = uploader.submit("race", csv(DATA_HEADER, "a,01/03/2024,09:00,01/03/2024,10:00"))
    slow = services.submissions.claim("slow", 60)
    assert slow is not None and slow.token == first
    second = uploader.submit(
        "race", csv(DATA_HEADER, "a,01/03/2024,09:00,01/03/2024,11:00"), Overwrite=True
    )
    process(harness)  # the second completes first
    runner = services.pipeline()
    assert runner._submission_job.run(slow) is True
    assert uploader.results(second)[0]["DurationMinutes"] == 120
    assert uploader.get(first, "tableofresultids").status_code == 404


# -- GetResults ------------------------------------------------------------------------------


def test_get_results_errors(harness: Harness, uploader: Uploader) -> None:
    token = uploader.submit("n", csv(DATA_HEADER, "a,01/03/2024,09:00,01/03/2024,10:00"))
    assert uploader.get(token, "feedback").status_code == 409
    process(harness)
    assert uploader.get(token, "STATUS").json() == "completedsuccessfully"
    unknown_key = uploader.get(token, "everything")
    assert unknown_key.status_code == 400 and "tableofresultids" in unknown_key.json()["message"]
    assert uploader.get(str(uuid.uuid4()), "status").status_code == 404
    assert uploader.get("not-a-token", "status").status_code == 404
    http, headers = harness.http, uploader.headers
    params = {"token": token, "dataKey": "status"}
    missing = http.get("/GetResults", params=params, headers=headers)
    assert missing.status_code == 400 and "key" in missing.json()["message"]
    wrong = http.get("/GetResults", params=params | {"key": "x"}, headers=headers)
    assert wrong.status_code == 401
    assert (
        http.get("/GetResults", params=params | {"key": uploader.creds.api_key}).status_code == 401
    )
    other = Uploader(harness, "globex")
    assert other.get(token, "status").status_code == 404
    assert other.get(token, "tableofresultids").status_code == 404


def test_a_hundred_thousand_rows(harness: Harness, uploader: Uploader) -> None:
    lines = [DATA_HEADER]
    for i in range(100_000):
        day = 1 + i % 28
        lines.append(f"user{i % 5000},{day:02d}/02/2024,08:00,{day:02d}/02/2024,{9 + i % 8:02d}:30")
    events = [EVENT_HEADER]
    for i in range(10_000):
        day = 1 + i % 28
        events.append(f"user{i % 5000},{day:02d}/02/2024,09:00,{day:02d}/02/2024,09:20,e,0")
    token = uploader.submit("big", "\r\n".join(lines), "\r\n".join(events))
    process(harness)
    assert uploader.status(token) == "completedsuccessfully", uploader.feedback(token)[:3]
    rows = uploader.results(token)
    assert len(rows) == 100_000
    assert [r["Row"] for r in rows[:3]] == [2, 3, 4]
    assert rows[0]["DurationMinutes"] == 90
    assert sum(r["EventCount"] for r in rows) >= 10_000
    assert all(r["EventMinutes"] == 20 * r["EventCount"] for r in rows)


def test_cleanup_keeps_every_object_a_submission_refers_to(
    harness: Harness, uploader: Uploader, monkeypatch: pytest.MonkeyPatch
) -> None:
    data = csv(DATA_HEADER, "a,01/03/2024,09:00,01/03/2024,10:00")
    ok = uploader.submit("ok", data, csv(EVENT_HEADER, "a,01/03/2024,09:00,01/03/2024,09:10,c,0"))
    bad = uploader.submit("bad", csv(DATA_HEADER, "a,31/02/2024,09:00,01/03/2024,10:00"))
    process(harness)
    stray = harness.services.store.put(io.BytesIO(b"nobody's"))
    # Every object is old.
    monkeypatch.setattr("landingzone.domain.housekeeping.ORPHAN_GRACE_SECONDS", -1)
    assert harness.services.housekeeping.cleanup() == (0, 1)
    assert stray not in set(harness.services.store.storage_ids())
    assert len(uploader.results(ok)) == 1
    assert uploader.feedback(bad)[0]["code"] == "type-error"
