"""Pins the common error body of SPEC §7 on every kind of JSON error, FastAPI's own included."""

from __future__ import annotations

import ast
import errno
import string
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from landingzone import errors
from landingzone.api.errors import JSON_ANSWERS, json_answer
from landingzone.api.objects import S3_ANSWERS
from landingzone.errors import (
    AlreadyExists,
    ClientRejected,
    DomainError,
    IdempotencyKeyInUse,
    IdempotencyKeyReused,
    InsufficientScope,
    InvalidCursor,
    InvalidDocument,
    InvalidFileName,
    InvalidIdempotencyKey,
    InvalidInput,
    InvalidToken,
    MissingArgument,
    NameTaken,
    NoResults,
    NotFound,
    NotStored,
    Reason,
    ResultsNotReady,
    ScopeRefused,
    UnknownDatasetType,
    UnknownResultKind,
    UnsupportedFileType,
    WrongCredentials,
    WrongState,
)
from landingzone.storage import local
from tests.conftest import Harness, build_harness, make_settings

UPLOAD = "/services/push/v1/customer/apps/myAppId/upload"


def assert_error_shape(response_json: dict[str, object], status: int, oauth: bool = False) -> None:
    # The token endpoint adds RFC 6749's two fields to every error, its 405 included.
    extra = {"error", "error_description"} if oauth else set()
    assert set(response_json) == {"code", "message", "success"} | extra
    assert response_json["code"] == str(status)
    assert response_json["success"] is False
    assert isinstance(response_json["message"], str) and response_json["message"]


@pytest.mark.parametrize(
    ("method", "path", "auth", "status"),
    [
        ("GET", f"{UPLOAD}", True, 400),
        ("GET", f"{UPLOAD}?filenames=a", False, 401),
        ("GET", "/services/push/v1/customer/apps/other/upload?filenames=a", True, 404),
        ("GET", "/no/such/route", False, 404),
        ("POST", UPLOAD, True, 405),
        ("DELETE", "/oauth2/token", False, 405),
    ],
)
def test_error_bodies_have_exactly_the_common_fields(
    sqlite_harness: Harness, method: str, path: str, auth: bool, status: int
) -> None:
    headers = sqlite_harness.auth(sqlite_harness.tenant("acme")) if auth else {}
    response = sqlite_harness.http.request(method, path, headers=headers)
    assert response.status_code == status
    assert response.headers["content-type"] == "application/json"
    assert_error_shape(response.json(), status, oauth=path == "/oauth2/token")
    assert "detail" not in response.json()


def test_insufficient_scope_and_rate_limit_shapes(tmp_path: Path) -> None:
    settings = make_settings(
        tmp_path / "d", f"sqlite:///{tmp_path / 'm.db'}", rate_limit=1, rate_limit_burst=1
    )
    for harness in build_harness(settings):
        harness.tenant("acme")
        reader = harness.new_client("acme", ["files.read"])
        forbidden = harness.http.get(f"{UPLOAD}?filenames=a", headers=harness.auth(reader))
        assert forbidden.status_code == 403
        assert_error_shape(forbidden.json(), 403)
        writer = harness.new_client("acme", ["connector.write"])
        headers = harness.auth(writer)
        harness.http.get(f"{UPLOAD}?filenames=a", headers=headers)
        limited = harness.http.get(f"{UPLOAD}?filenames=a", headers=headers)
        assert limited.status_code == 429
        assert_error_shape(limited.json(), 429)


def test_unexpected_exceptions_are_a_500_in_the_common_shape(
    sqlite_harness: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    headers = sqlite_harness.auth(sqlite_harness.tenant("acme"))
    push = sqlite_harness.http.app.api.state.context.push  # type: ignore[attr-defined]

    def boom(*_args: object) -> None:
        raise RuntimeError("boom")

    monkeypatch.setattr(push, "upload_urls", boom)
    quiet = TestClient(sqlite_harness.http.app, raise_server_exceptions=False)
    response = quiet.get(f"{UPLOAD}?filenames=a", headers=headers)
    assert response.status_code == 500
    assert_error_shape(response.json(), 500)
    assert "boom" not in response.json()["message"]


def test_every_domain_error_has_a_json_answer() -> None:
    """A DomainError subclass without a row (its own or an ancestor's) would be a 500."""

    def subclasses(cls: type[DomainError]) -> list[type[DomainError]]:
        found = cls.__subclasses__()
        return found + [deeper for sub in found for deeper in subclasses(sub)]

    for cls in subclasses(DomainError):
        assert any(ancestor in JSON_ANSWERS for ancestor in cls.__mro__), cls.__name__


def placeholders(template: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(template) if name}


def test_every_upload_refusal_has_an_s3_answer() -> None:
    assert set(S3_ANSWERS) == set(Reason)
    for reason, answer in S3_ANSWERS.items():
        # The S3 message only uses details the domain gives with that reason (its log phrase).
        assert placeholders(answer.message) <= placeholders(reason.value), reason
        assert 400 <= answer.status < 600, reason


def test_the_api_fills_in_the_words_it_adds() -> None:
    taken = json_answer(NameTaken("q3"))
    assert (taken.status, taken.message) == (
        409,
        "A submission named 'q3' already exists: send \"Overwrite\": true to replace it, "
        "or choose another Name.",
    )
    scope = json_answer(InsufficientScope("files.read"))
    assert scope.headers == {
        "WWW-Authenticate": 'Bearer realm="landingzone", error="insufficient_scope", '
        'scope="files.read"'
    }


# The JSON table's rows, as clients and docs/errors.md know them.
PINNED_JSON_ANSWERS = {
    InvalidInput: (400, "{message}", {}, None),
    MissingArgument: (400, "Missing '{argument}': pass at least one ?{argument}=NAME.", {}, None),
    InvalidCursor: (400, "Invalid cursor: pass the nextCursor of the previous page.", {}, None),
    ScopeRefused: (400, "{message}", {}, "invalid_scope"),
    ClientRejected: (
        401,
        "{message}",
        {"WWW-Authenticate": 'Basic realm="landingzone"'},
        "invalid_client",
    ),
    InvalidToken: (
        401,
        "{message}",
        {"WWW-Authenticate": 'Bearer realm="landingzone", error="invalid_token"'},
        None,
    ),
    WrongCredentials: (401, "{message}", {"WWW-Authenticate": 'Bearer realm="landingzone"'}, None),
    InsufficientScope: (
        403,
        "The access_token lacks the '{scope}' scope: request a token with scope={scope}.",
        {
            "WWW-Authenticate": (
                'Bearer realm="landingzone", error="insufficient_scope", scope="{scope}"'
            )
        },
        None,
    ),
    NotFound: (404, "{message}", {}, None),
    AlreadyExists: (409, "{message}", {}, None),
    NameTaken: (
        409,
        "A submission named '{name}' already exists: send \"Overwrite\": true to replace it, "
        "or choose another Name.",
        {},
        None,
    ),
    WrongState: (409, "{message}", {}, None),
    UnknownResultKind: (400, "Unknown dataKey '{kind}': send one of {kinds}.", {}, None),
    ResultsNotReady: (
        409,
        "The submission is {status}: ask for dataKey=status until it is completedsuccessfully "
        "or failed, then for the output.",
        {},
        None,
    ),
    NoResults: (
        409,
        "The submission failed, so it has no results: read dataKey=feedback, fix the data, "
        'and send it again with the same Name and "Overwrite": true.',
        {},
        None,
    ),
    InvalidDocument: (422, "{message}", {}, None),
    UnknownDatasetType: (422, "Unknown datasetType '{name}': use one of {known}.", {}, None),
    InvalidFileName: (422, "Invalid file.name {quoted}: it {problem}.", {}, None),
    UnsupportedFileType: (
        422,
        "Unsupported file.type '{file_type}': use one of {supported}.",
        {},
        None,
    ),
    NotStored: (503, "{message}", {"Retry-After": "30"}, None),
    InvalidIdempotencyKey: (
        400,
        "Invalid Idempotency-Key header: {problem}. Send 1 to 255 visible ASCII characters, "
        "e.g. a UUID, bare or in double quotes.",
        {},
        None,
    ),
    IdempotencyKeyReused: (
        422,
        "This Idempotency-Key was already used for a different request (another body or "
        "another route) in the last 24 hours: send a new key with a new request.",
        {},
        None,
    ),
    IdempotencyKeyInUse: (
        409,
        "A request with this Idempotency-Key is in progress: retry after Retry-After seconds "
        "to get its answer.",
        {"Retry-After": "1"},
        None,
    ),
}


def test_the_json_answers_are_pinned() -> None:
    rows = {
        cls: (row.status, row.message, dict(row.headers), row.oauth_error)
        for cls, row in JSON_ANSWERS.items()
    }
    assert rows == PINNED_JSON_ANSWERS


def test_upload_api_refusals_on_the_wire(
    sqlite_harness: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    sqlite_harness.services.admin.create_customer("acme", "UTC")
    creds = sqlite_harness.new_client("acme")
    headers = sqlite_harness.auth(creds, "platform_upload_api")
    body = {"Name": "q3", "Data": "Reference\r\nA", "Key": creds.api_key}
    assert sqlite_harness.http.post("/UploadData", json=body, headers=headers).status_code == 200

    taken = sqlite_harness.http.post("/UploadData", json=body, headers=headers)
    assert (taken.status_code, taken.json()["message"]) == (
        409,
        "A submission named 'q3' already exists: send \"Overwrite\": true to replace it, "
        "or choose another Name.",
    )
    wrong_key = sqlite_harness.http.post(
        "/UploadData", json={**body, "Key": "nope"}, headers=headers
    )
    assert wrong_key.status_code == 401
    assert wrong_key.headers["www-authenticate"] == 'Bearer realm="landingzone"'

    def full(fd: int, block: bytes) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(local, "_write_all", full)
    refused = sqlite_harness.http.post("/UploadData", json={**body, "Name": "q4"}, headers=headers)
    assert refused.status_code == 503
    assert refused.headers["retry-after"] == "30"
    assert_error_shape(refused.json(), 503)
    assert refused.json()["message"].startswith("The data could not be stored (")
    assert refused.json()["message"].endswith("); nothing was submitted: retry later.")


def test_the_domain_and_the_repositories_raise_no_wire_errors() -> None:
    """``domain/`` and ``db/`` import only catalog errors: the wire dialects live in ``api/``."""
    source = Path(__file__).resolve().parents[1] / "src" / "landingzone"
    offenders = []
    for module in sorted([*(source / "domain").glob("*.py"), *(source / "db").glob("*.py")]):
        for node in ast.walk(ast.parse(module.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.module == "landingzone.errors":
                for alias in node.names:
                    imported = getattr(errors, alias.name)
                    if isinstance(imported, type) and issubclass(imported, errors.ApiError):
                        offenders.append(f"{module.relative_to(source)}: {alias.name}")
    assert not offenders, offenders
