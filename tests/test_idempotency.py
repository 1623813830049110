"""Idempotency-Key on POST /analytics/files/upload and POST /UploadData (SPEC §4).

A retry with the same key answers the first answer again, byte for byte, and creates
nothing; the same key with another request is 422; keys are the client's; a key lasts
24 hours; of two racing requests with one key only one runs. Both databases.
"""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import httpx
import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import func, select, update

from landingzone.api.files import UploadRequest
from landingzone.api.openapi_operations import IDEMPOTENCY_KEY_PATTERN
from landingzone.db.idempotency import IdempotencyRepository
from landingzone.db.tables import files, idempotency_keys, submissions
from landingzone.domain.idempotency import (
    Claim,
    IdempotencyService,
    StoredAnswer,
    fingerprint,
    parse_key,
)
from landingzone.errors import IdempotencyKeyInUse, IdempotencyKeyReused, InvalidIdempotencyKey
from landingzone.timeutil import utcnow
from tests.conftest import Harness

UPLOAD = "/analytics/files/upload"
BODY = {"datasetType": "transactions", "file": {"name": "tx_2025-01-01.csv", "type": "csv"}}
REPLAYED = "Idempotent-Replayed"


def count(harness: Harness, table: Any) -> int:
    with harness.services.engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(table)).scalar_one())


def files_api(harness: Harness, customer: str = "acme") -> dict[str, str]:
    harness.services.datasets.install_shipped()
    return harness.auth(harness.tenant(customer))


def post(
    harness: Harness, headers: dict[str, str], key: str | None, body: Any = None
) -> httpx.Response:
    extra = {} if key is None else {"Idempotency-Key": key}
    response: httpx.Response = harness.http.post(
        UPLOAD, json=BODY if body is None else body, headers={**headers, **extra}
    )
    return response


def age_keys(harness: Harness, by: timedelta) -> None:
    """Move every key's first use back in time (the 24 hours, the claim's lease)."""
    with harness.services.engine.begin() as conn:
        rows = conn.execute(select(idempotency_keys.c.id, idempotency_keys.c.created_at)).all()
        for row_id, created in rows:
            conn.execute(
                update(idempotency_keys)
                .where(idempotency_keys.c.id == row_id)
                .values(created_at=created - by)
            )


# -- replay -------------------------------------------------------------------------------


def test_a_retry_replays_the_first_answer_and_creates_no_second_file(harness: Harness) -> None:
    headers = files_api(harness)
    first = post(harness, headers, "retry-1")
    assert first.status_code == 201, first.text
    assert REPLAYED not in first.headers
    # The same request, its members in another order and spaced otherwise: the same request.
    raw = json.dumps(
        {"file": {"type": "csv", "name": "tx_2025-01-01.csv"}, "datasetType": "transactions"},
        indent=2,
    )
    again = harness.http.post(
        UPLOAD,
        content=raw,
        headers={**headers, "Idempotency-Key": "retry-1", "Content-Type": "application/json"},
    )
    assert again.status_code == 201
    assert again.content == first.content
    assert again.headers["content-type"] == first.headers["content-type"]
    assert again.headers[REPLAYED] == "true"
    assert count(harness, files) == 1
    # The replayed URL is the one the first answer gave: it still takes the upload.
    put = harness.http.put(again.json()["uploadUrl"], content=b"transaction_id\r\ntx_1\r\n")
    assert put.status_code == 200


def test_the_quoted_form_of_the_draft_names_the_same_key(harness: Harness) -> None:
    headers = files_api(harness)
    first = post(harness, headers, "abc-123")
    quoted = post(harness, headers, '"abc-123"')
    assert quoted.status_code == 201
    assert quoted.content == first.content and quoted.headers[REPLAYED] == "true"
    assert count(harness, files) == 1


def test_upload_data_replays_its_token_under_both_paths(harness: Harness) -> None:
    harness.services.admin.create_customer("acme")
    creds = harness.new_client("acme")
    headers = {**harness.auth(creds, "platform_upload_api"), "Idempotency-Key": "sub-1"}
    body = {"Name": "week 1", "Data": "Reference,StartDate,StartTime,EndDate,EndTime\r\n"
            "U1,12/05/2024,09:00,12/05/2024,17:00", "Key": creds.api_key}  # fmt: skip
    first = harness.http.post("/UploadData", json=body, headers=headers)
    assert first.status_code == 200, first.text
    # "false" and false are the same Overwrite: the request as the route reads it counts.
    again = harness.http.post(
        "/api/UploadData", json={**body, "Overwrite": "false"}, headers=headers
    )
    assert again.status_code == 200
    assert again.content == first.content and again.headers[REPLAYED] == "true"
    assert count(harness, submissions) == 1
    # Without the key the same body is a new request: its Name exists, so 409.
    plain = {k: v for k, v in headers.items() if k != "Idempotency-Key"}
    assert harness.http.post("/UploadData", json=body, headers=plain).status_code == 409
    # Nothing of the request is kept: not the Key, not the Data, only a fingerprint.
    with harness.services.engine.connect() as conn:
        row = conn.execute(select(idempotency_keys)).one()
    assert len(row.fingerprint) == 64 and int(row.fingerprint, 16) >= 0
    assert creds.api_key not in repr(tuple(row)) and "U1" not in repr(tuple(row))
    assert bytes(row.body) == first.content and row.status == 200


def test_a_retried_correction_replays_instead_of_conflicting(harness: Harness) -> None:
    headers = files_api(harness)
    original = post(harness, headers, None).json()["id"]
    correction = {**BODY, "replaces": original}
    first = post(harness, headers, "fix-1", correction)
    assert first.status_code == 201, first.text
    assert first.json()["replaces"] == original
    # Without the key a second correction of the same file is refused while the first is
    # unfinished; with it, the retry is the first correction's answer.
    again = post(harness, headers, "fix-1", correction)
    assert again.status_code == 201 and again.headers[REPLAYED] == "true"
    assert again.content == first.content
    assert post(harness, headers, None, correction).status_code == 409
    assert post(harness, headers, "fix-1", BODY).status_code == 422  # replaces counts
    assert count(harness, files) == 2


def test_without_the_header_every_request_creates_a_file(harness: Harness) -> None:
    headers = files_api(harness)
    ids = {post(harness, headers, None).json()["id"] for _ in range(2)}
    assert len(ids) == 2
    assert count(harness, files) == 2
    assert count(harness, idempotency_keys) == 0


# -- refusals -------------------------------------------------------------------------------


def test_the_same_key_with_another_body_is_422_and_changes_nothing(harness: Harness) -> None:
    headers = files_api(harness)
    assert post(harness, headers, "k").status_code == 201
    other = {**BODY, "file": {"name": "other.csv", "type": "csv"}}
    refused = post(harness, headers, "k", other)
    assert refused.status_code == 422
    assert refused.json()["success"] is False
    assert "Idempotency-Key was already used for a different request" in refused.json()["message"]
    assert count(harness, files) == 1
    # Another route with the key is another request too (the key is the client's).
    creds = harness.new_client("acme")
    files_headers = harness.auth(creds)
    assert post(harness, files_headers, "k2").status_code == 201
    upload_data = harness.http.post(
        "/UploadData",
        json={"Name": "n", "Data": "x", "Key": creds.api_key},
        headers={**harness.auth(creds, "platform_upload_api"), "Idempotency-Key": "k2"},
    )
    assert upload_data.status_code == 422
    assert "another route" in upload_data.json()["message"]
    assert count(harness, submissions) == 0
    # The first request still replays.
    assert post(harness, headers, "k").headers[REPLAYED] == "true"


@pytest.mark.parametrize(
    ("value", "problem"),
    [
        ("", "it is empty"),
        ('""', "it is empty"),
        ("x" * 256, "longer than 255"),
        ("two words", "not visible ASCII"),
        ('"abc', "opening quote is not closed"),
        ('"a"b"', "unescaped quote"),
        ('"a\\n"', "backslash escapes"),
    ],
)
def test_a_bad_key_is_400_naming_the_header(harness: Harness, value: str, problem: str) -> None:
    headers = files_api(harness)
    refused = post(harness, headers, value)
    assert refused.status_code == 400, refused.text
    message = refused.json()["message"]
    assert message.startswith("Invalid Idempotency-Key header:") and problem in message
    assert count(harness, files) == 0 and count(harness, idempotency_keys) == 0


def test_a_non_ascii_key_and_two_keys_are_400(harness: Harness) -> None:
    headers = files_api(harness)
    non_ascii = harness.http.post(
        UPLOAD, json=BODY, headers=[*headers.items(), ("Idempotency-Key", "caf\u00e9".encode())]
    )
    assert non_ascii.status_code == 400
    assert "Idempotency-Key" in non_ascii.json()["message"]
    two = harness.http.post(
        UPLOAD,
        json=BODY,
        headers=[*headers.items(), ("Idempotency-Key", "a"), ("Idempotency-Key", "b")],
    )
    assert two.status_code == 400
    assert "Send one Idempotency-Key header" in two.json()["message"]
    assert count(harness, files) == 0 and count(harness, idempotency_keys) == 0


def test_a_key_of_255_characters_is_taken(harness: Harness) -> None:
    headers = files_api(harness)
    key = "~" * 255
    first = post(harness, headers, key)
    assert first.status_code == 201
    assert post(harness, headers, key).content == first.content
    assert count(harness, files) == 1


def test_a_failed_request_is_not_kept_and_its_key_can_be_used_again(harness: Harness) -> None:
    headers = files_api(harness)
    failed = post(harness, headers, "k", {**BODY, "datasetType": "nope"})
    assert failed.status_code == 422
    assert count(harness, idempotency_keys) == 0
    # The corrected request under the same key runs (the refusal changed nothing).
    fixed = post(harness, headers, "k")
    assert fixed.status_code == 201 and REPLAYED not in fixed.headers
    assert post(harness, headers, "k").headers[REPLAYED] == "true"
    assert count(harness, files) == 1


# -- scope ---------------------------------------------------------------------------------


def test_keys_are_each_clients_own(harness: Harness) -> None:
    acme = files_api(harness, "acme")
    first = post(harness, acme, "shared")
    other_tenant = harness.auth(harness.tenant("globex"))
    theirs = post(harness, other_tenant, "shared")
    assert theirs.status_code == 201 and REPLAYED not in theirs.headers
    assert theirs.json()["id"] != first.json()["id"]
    assert "/globex/" in theirs.json()["uploadUrl"]
    # Another client of the same customer: its own keys too.
    second_client = harness.auth(harness.new_client("acme"))
    mine = post(harness, second_client, "shared")
    assert mine.status_code == 201 and REPLAYED not in mine.headers
    assert count(harness, files) == 3
    assert post(harness, acme, "shared").content == first.content


# -- time --------------------------------------------------------------------------------


def test_an_expired_key_runs_the_request_again(harness: Harness) -> None:
    headers = files_api(harness)
    first = post(harness, headers, "daily")
    age_keys(harness, timedelta(hours=24, seconds=1))
    again = post(harness, headers, "daily")
    assert again.status_code == 201 and REPLAYED not in again.headers
    assert again.json()["id"] != first.json()["id"]
    assert count(harness, files) == 2
    assert count(harness, idempotency_keys) == 1  # the expired row was taken over
    # Expired, even another body under the key is a new request.
    age_keys(harness, timedelta(hours=25))
    assert (
        post(
            harness, headers, "daily", {**BODY, "file": {"name": "b.csv", "type": "csv"}}
        ).status_code
        == 201
    )


def test_expired_keys_are_purged_and_young_ones_kept(harness: Harness) -> None:
    headers = files_api(harness)
    post(harness, headers, "old-1")
    post(harness, headers, "old-2")
    age_keys(harness, timedelta(hours=24, minutes=1))
    post(harness, headers, "young")
    assert harness.services.idempotency.purge_expired() == 2
    with harness.services.engine.connect() as conn:
        assert conn.execute(select(idempotency_keys.c.key)).scalars().all() == ["young"]


# -- concurrency -------------------------------------------------------------------------


def blocking_create(
    harness: Harness, monkeypatch: pytest.MonkeyPatch
) -> tuple[threading.Event, threading.Event]:
    """Make the Files API's create wait until released; returns (entered, release)."""
    service = harness.http.app.api.state.context.files  # type: ignore[attr-defined]
    original: Callable[..., Any] = service.create
    entered, release = threading.Event(), threading.Event()

    def create(*args: Any, **kwargs: Any) -> Any:
        entered.set()
        assert release.wait(30)
        return original(*args, **kwargs)

    monkeypatch.setattr(service, "create", create)
    return entered, release


def test_a_retry_while_the_first_runs_is_409_then_replays(
    harness: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    headers = files_api(harness)
    entered, release = blocking_create(harness, monkeypatch)
    answers: list[httpx.Response] = []
    first = threading.Thread(target=lambda: answers.append(post(harness, headers, "slow")))
    first.start()
    assert entered.wait(30)
    busy = post(harness, headers, "slow")
    assert busy.status_code == 409
    assert busy.headers["Retry-After"] == "1"
    assert "in progress" in busy.json()["message"]
    release.set()
    first.join(30)
    assert answers[0].status_code == 201
    replay = post(harness, headers, "slow")
    assert replay.content == answers[0].content and replay.headers[REPLAYED] == "true"
    assert count(harness, files) == 1


def test_a_claim_whose_request_died_is_taken_over_after_its_lease(harness: Harness) -> None:
    headers = files_api(harness)
    client_id = harness.services.tenants.list_clients()[0].client_id
    # A request claimed the key and its process was killed before it answered.
    document = UploadRequest.model_validate(BODY).model_dump(mode="json")
    claim = harness.services.idempotency.begin(client_id, "k", "files.upload", document)
    assert isinstance(claim, Claim)
    assert post(harness, headers, "k").status_code == 409
    age_keys(harness, timedelta(minutes=10))
    taken = post(harness, headers, "k")
    assert taken.status_code == 201 and REPLAYED not in taken.headers
    assert post(harness, headers, "k").content == taken.content
    assert count(harness, files) == 1


def test_racing_requests_with_one_key_create_one_file(harness: Harness) -> None:
    headers = files_api(harness)
    racers = 6
    barrier = threading.Barrier(racers)
    answers: list[httpx.Response] = []
    lock = threading.Lock()

    def race() -> None:
        barrier.wait(30)
        response = post(harness, headers, "race")
        with lock:
            answers.append(response)

    threads = [threading.Thread(target=race) for _ in range(racers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert len(answers) == racers
    assert {a.status_code for a in answers} <= {201, 409}, [a.text for a in answers]
    created = [a for a in answers if a.status_code == 201]
    assert created and all(a.content == created[0].content for a in created)
    assert count(harness, files) == 1
    assert count(harness, idempotency_keys) == 1


# -- the rule itself -----------------------------------------------------------------------


def test_the_fingerprint_is_of_the_value_and_the_operation() -> None:
    same = fingerprint("op", {"a": 1, "b": ["x", None, True]})
    assert same == fingerprint("op", {"b": ["x", None, True], "a": 1})
    assert same != fingerprint("other", {"a": 1, "b": ["x", None, True]})
    assert fingerprint("op", {"a": "1"}) != fingerprint("op", {"a": 1})
    assert fingerprint("op", {"a": True}) != fingerprint("op", {"a": 1})
    assert fingerprint("op", ["ab", "c"]) != fingerprint("op", ["a", "bc"])
    assert fingerprint("op", "\ud800") != fingerprint("op", "\ud801")  # lone surrogates hash


def test_parse_key_takes_the_bare_and_the_quoted_form() -> None:
    assert (
        parse_key("8e03978e-40d5-43e8-bc93-6894a57f9324") == "8e03978e-40d5-43e8-bc93-6894a57f9324"
    )
    assert parse_key('"8e03978e"') == "8e03978e"
    assert parse_key('"a\\"b\\\\c"') == 'a"b\\c'
    with pytest.raises(InvalidIdempotencyKey):
        parse_key('"a b"')


KEY_CHARS = st.sampled_from([*(chr(c) for c in range(0x1F, 0x80)), "é", "\u00a0"])


@given(
    st.one_of(
        st.text(KEY_CHARS, max_size=260), st.builds('"{}"'.format, st.text(KEY_CHARS, max_size=258))
    )
)
def test_the_documented_pattern_is_what_the_server_takes(value: str) -> None:
    try:
        parse_key(value)
        taken = True
    except InvalidIdempotencyKey:
        taken = False
    assert bool(re.fullmatch(IDEMPOTENCY_KEY_PATTERN, value)) == taken


def test_the_service_on_its_own_clock(harness: Harness) -> None:
    """The 24 hours and the claim's lease, on an injected clock (both databases)."""
    now = [utcnow()]
    service = IdempotencyService(IdempotencyRepository(harness.services.engine), lambda: now[0])
    answer = StoredAnswer(201, "application/json", b'{"id":"x"}')
    claim = service.begin("client-a", "k", "op", {"a": 1})
    assert isinstance(claim, Claim)
    with pytest.raises(IdempotencyKeyInUse):
        service.begin("client-a", "k", "op", {"a": 1})
    service.finish(claim, answer)
    now[0] += timedelta(hours=23, minutes=59)
    assert service.begin("client-a", "k", "op", {"a": 1}) == answer
    with pytest.raises(IdempotencyKeyReused):
        service.begin("client-a", "k", "op", {"a": 2})
    assert isinstance(service.begin("client-b", "k", "op", {"a": 2}), Claim)
    now[0] += timedelta(minutes=1)
    assert isinstance(service.begin("client-a", "k", "op", {"a": 2}), Claim)  # expired
    # client-b's claim never answered: after the lease a retry takes it over.
    now[0] += timedelta(minutes=10)
    taken = service.begin("client-b", "k", "op", {"a": 2})
    assert isinstance(taken, Claim)
    service.finish(taken, StoredAnswer(503, "application/json", b"{}"))  # released
    assert isinstance(service.begin("client-b", "k", "op", {"a": 3}), Claim)
    now[0] += timedelta(hours=25)
    assert service.purge_expired() == 2
    assert count(harness, idempotency_keys) == 0
