"""The uploader commands' wording of failures they cannot provoke on demand in an e2e test."""

from __future__ import annotations

from landingzone.cli.uploader.push import file_problem
from landingzone.client import LandingzoneClientError, RetriesExhausted


def test_a_file_that_changed_while_pushed_is_explained() -> None:
    store = "400 BadDigest: The Content-MD5 you specified did not match what we received."
    said = file_problem(store)
    assert said.startswith("the file changed while it was being sent")
    assert "push it again" in said and store in said
    short = "400 IncompleteBody: You did not provide the number of bytes specified."
    assert file_problem(short).startswith("the file changed while it was being sent")
    other = "403 AccessDenied: Request has expired: ask for a new upload URL."
    assert file_problem(other) == other


def test_an_error_names_its_status_once() -> None:
    limited = LandingzoneClientError("Rate limit exceeded.", status=429, code="429")
    assert str(limited) == "429: Rate limit exceeded."
    denied = LandingzoneClientError("Request has expired.", status=403, code="AccessDenied")
    assert str(denied) == "403 AccessDenied: Request has expired."
    assert str(RetriesExhausted("gave up")) == "gave up"
