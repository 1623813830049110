"""The token endpoint (SPEC §2) and bearer authentication on API routes."""

from __future__ import annotations

import base64
import json
import time
from pathlib import Path

import jwt
import pytest

from landingzone.auth import credentials
from landingzone.auth.keys import Keys
from tests.conftest import TEST_SECRET_KEY, Harness, basic, build_harness, make_settings

UPLOAD = "/services/push/v1/customer/apps/myAppId/upload?filenames=a.csv"


def test_basic_auth_with_url_encoded_secret_issues_a_bearer_token(harness: Harness) -> None:
    creds = harness.tenant("acme")
    response = harness.http.post(
        "/oauth2/token",
        data={"grant_type": "client_credentials"},
        headers={"Authorization": basic(creds)},
    )
    assert response.status_code == 200
    body = response.json()
    assert body["token_type"] == "Bearer"
    assert body["expires_in"] == 3600
    assert set(body["scope"].split()) == {
        "connector.write",
        "files.write",
        "files.read",
        "platform_upload_api",
    }
    assert response.headers["cache-control"] == "no-store"
    assert "refresh_token" not in body
    claims = jwt.decode(body["access_token"], options={"verify_signature": False})
    assert claims["sub"] == creds.client_id
    assert claims["exp"] - claims["iat"] == 3600


def test_secret_with_reserved_characters_must_be_url_encoded_in_basic(harness: Harness) -> None:
    creds = harness.tenant("acme")
    # Our secrets are URL-safe, but a '+' sent unencoded would mean a space: the
    # server decodes form-style as RFC 6749 §2.3.1 and seed 004 require.
    raw = f"{creds.client_id}:{creds.client_secret}+"
    header = "Basic " + base64.b64encode(raw.encode()).decode()
    response = harness.http.post(
        "/oauth2/token",
        data={"grant_type": "client_credentials"},
        headers={"Authorization": header},
    )
    assert response.status_code == 401


def test_form_credentials_and_connect_token_alias(harness: Harness) -> None:
    creds = harness.tenant("acme")
    response = harness.http.post(
        "/connect/token",
        data={
            "grant_type": "client_credentials",
            "client_id": creds.client_id,
            "client_secret": creds.client_secret,
            "scope": "connector.write",
        },
    )
    assert response.status_code == 200
    assert response.json()["scope"] == "connector.write"


def test_uri_form_scopes_are_stripped_of_the_prefix(harness: Harness) -> None:
    creds = harness.tenant("acme")
    token = harness.token(creds, "https://api.productiv.com/connector.write files.read")
    claims = jwt.decode(token, options={"verify_signature": False})
    assert claims["scope"] == "connector.write files.read"


@pytest.mark.parametrize(
    ("data", "status", "error"),
    [
        ({}, 400, "invalid_request"),
        ({"grant_type": "password"}, 400, "unsupported_grant_type"),
        ({"grant_type": "client_credentials", "scope": "nope"}, 400, "invalid_scope"),
        ({"grant_type": "client_credentials", "scope": "admin"}, 400, "invalid_scope"),
    ],
)
def test_rfc6749_errors_carry_common_fields(
    harness: Harness, data: dict[str, str], status: int, error: str
) -> None:
    harness.tenant("acme")
    limited = harness.new_client("acme", ["connector.write"])
    response = harness.http.post(
        "/oauth2/token", data=data, headers={"Authorization": basic(limited)}
    )
    assert response.status_code == status
    body = response.json()
    assert body["error"] == error
    assert body["error_description"] == body["message"]
    assert body["code"] == str(status)
    assert body["success"] is False
    assert response.headers["cache-control"] == "no-store"


def test_both_basic_and_body_credentials_is_invalid_request(harness: Harness) -> None:
    creds = harness.tenant("acme")
    response = harness.http.post(
        "/oauth2/token",
        data={"grant_type": "client_credentials", "client_secret": creds.client_secret},
        headers={"Authorization": basic(creds)},
    )
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_request"


def test_json_body_is_invalid_request(harness: Harness) -> None:
    response = harness.http.post("/oauth2/token", json={"grant_type": "client_credentials"})
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_request"


def test_unknown_client_and_wrong_secret_get_the_same_answer_and_work(
    harness: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    creds = harness.tenant("acme")
    calls: list[str] = []
    real = credentials.secret_matches

    def spy(pepper: bytes, secret: str, stored: str) -> bool:
        calls.append(stored)
        return real(pepper, secret, stored)

    monkeypatch.setattr(credentials, "secret_matches", spy)
    answers = []
    for client_id, secret in [(creds.client_id, "wrong"), ("no-such-client", "wrong")]:
        response = harness.http.post(
            "/oauth2/token",
            data={
                "grant_type": "client_credentials",
                "client_id": client_id,
                "client_secret": secret,
            },
        )
        answers.append(
            (response.status_code, response.json(), response.headers["www-authenticate"])
        )
    assert answers[0] == answers[1]
    assert answers[0][0] == 401
    assert answers[0][1] == {
        "code": "401",
        "message": "Client authentication failed: check client_id and client_secret.",
        "success": False,
        "error": "invalid_client",
        "error_description": "Client authentication failed: check client_id and client_secret.",
    }
    assert answers[0][2] == 'Basic realm="landingzone"'
    # Both paths computed and compared one HMAC: the same work, so the same time.
    assert len(calls) == 2


def test_missing_client_credentials_is_invalid_client(harness: Harness) -> None:
    response = harness.http.post("/oauth2/token", data={"grant_type": "client_credentials"})
    assert response.status_code == 401
    assert response.json()["error"] == "invalid_client"


def test_no_token_is_401_with_bearer_challenge(harness: Harness) -> None:
    harness.tenant("acme")
    response = harness.http.get(UPLOAD)
    assert response.status_code == 401
    assert response.headers["www-authenticate"] == 'Bearer realm="landingzone"'
    assert response.json()["success"] is False


@pytest.mark.parametrize("mangle", ["tamper", "garbage", "basic-scheme", "other-key"])
def test_bad_tokens_are_401_invalid_token(harness: Harness, mangle: str) -> None:
    creds = harness.tenant("acme")
    token = harness.token(creds)
    if mangle == "tamper":
        header, payload, sig = token.split(".")
        claims = jwt.decode(token, options={"verify_signature": False})
        claims["scope"] = "admin"
        payload = base64.urlsafe_b64encode(json.dumps(claims).encode()).decode().rstrip("=")
        auth = f"Bearer {header}.{payload}.{sig}"
    elif mangle == "garbage":
        auth = "Bearer not-a-token"
    elif mangle == "basic-scheme":
        auth = f"Basic {token}"
    else:
        forged = jwt.encode(
            jwt.decode(token, options={"verify_signature": False}), "x" * 32, algorithm="HS256"
        )
        auth = f"Bearer {forged}"
    response = harness.http.get(UPLOAD, headers={"Authorization": auth})
    assert response.status_code == 401
    assert 'error="invalid_token"' in response.headers["www-authenticate"]
    assert response.json() == {
        "code": "401",
        "message": response.json()["message"],
        "success": False,
    }


def test_expired_token_is_401(harness: Harness) -> None:
    creds = harness.tenant("acme")
    key = Keys.derive(TEST_SECRET_KEY.encode()).token
    now = int(time.time())
    claims = {
        "iss": "landingzone",
        "sub": creds.client_id,
        "cus": 1,
        "scope": "connector.write",
        "iat": now - 7200,
        "exp": now - 3600,
    }
    token = jwt.encode(claims, key, algorithm="HS256")
    response = harness.http.get(UPLOAD, headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 401
    assert "expired" in response.json()["message"]


def test_token_without_scope_is_403_insufficient_scope(harness: Harness) -> None:
    harness.tenant("acme")
    reader = harness.new_client("acme", ["files.read"])
    response = harness.http.get(UPLOAD, headers=harness.auth(reader))
    assert response.status_code == 403
    assert 'error="insufficient_scope"' in response.headers["www-authenticate"]
    assert response.json()["code"] == "403"


def test_disabled_client_tokens_stop_working_at_once(harness: Harness) -> None:
    creds = harness.tenant("acme")
    headers = harness.auth(creds)
    assert harness.http.get(UPLOAD, headers=headers).status_code == 200
    harness.services.admin.disable_client(creds.client_id)
    response = harness.http.get(UPLOAD, headers=headers)
    assert response.status_code == 401
    assert 'error="invalid_token"' in response.headers["www-authenticate"]
    token_response = harness.http.post(
        "/oauth2/token",
        data={"grant_type": "client_credentials"},
        headers={"Authorization": basic(creds)},
    )
    assert token_response.status_code == 401


def test_token_ttl_setting(tmp_path: Path) -> None:
    settings = make_settings(tmp_path / "d", f"sqlite:///{tmp_path / 'm.db'}", token_ttl=120)
    for harness in build_harness(settings):
        creds = harness.tenant("acme")
        response = harness.http.post(
            "/oauth2/token",
            data={"grant_type": "client_credentials"},
            headers={"Authorization": basic(creds)},
        )
        assert response.json()["expires_in"] == 120


def test_token_endpoint_rate_limit_is_per_address_and_client_and_not_cached(
    tmp_path: Path,
) -> None:
    settings = make_settings(
        tmp_path / "d", f"sqlite:///{tmp_path / 'm.db'}", rate_limit=1, rate_limit_burst=2
    )
    for harness in build_harness(settings):
        creds = harness.tenant("acme")
        data = {"grant_type": "client_credentials"}
        headers = {"Authorization": basic(creds)}
        for _ in range(2):
            assert harness.http.post("/oauth2/token", data=data, headers=headers).status_code == 200
        limited = harness.http.post("/oauth2/token", data=data, headers=headers)
        assert limited.status_code == 429
        assert limited.headers["cache-control"] == "no-store"
        assert int(limited.headers["retry-after"]) >= 1
        other = harness.new_client("acme")
        response = harness.http.post(
            "/oauth2/token", data=data, headers={"Authorization": basic(other)}
        )
        assert response.status_code == 200


def test_uri_form_scope_is_answered_in_the_form_it_was_asked(harness: Harness) -> None:
    """requests-oauthlib compares the answered scope with the asked one, string for string."""
    creds = harness.tenant("acme")
    asked = "https://api.productiv.com/connector.write files.read"
    response = harness.http.post(
        "/oauth2/token",
        data={"grant_type": "client_credentials", "scope": asked},
        headers={"Authorization": basic(creds)},
    )
    assert response.status_code == 200
    assert response.json()["scope"] == asked


def test_seed_004_literal_content_type_is_accepted(harness: Harness) -> None:
    creds = harness.tenant("acme")
    response = harness.http.post(
        "/oauth2/token",
        content=b"grant_type=client_credentials",
        headers={"Authorization": basic(creds), "content-type": "x-www-form-urlencoded"},
    )
    assert response.status_code == 200, response.text
    assert response.json()["token_type"] == "Bearer"


def assert_oauth_error(response: object, status: int, error: str) -> None:
    import httpx

    assert isinstance(response, httpx.Response)
    assert response.status_code == status, response.text
    body = response.json()
    assert body["error"] == error
    assert body["error_description"] == body["message"]
    assert body["code"] == str(status)
    assert response.headers["cache-control"] == "no-store"


@pytest.mark.parametrize(
    "body",
    [
        b"grant_type=client_credentials&scope=%ff%fe",  # not UTF-8 once unescaped
        "grant_type=client_credentials&scope=é".encode(),  # raw non-ASCII byte
        b"&".join(b"f%d=1" % i for i in range(500)),  # far more fields than a token request
    ],
)
def test_form_parser_errors_are_rfc6749_invalid_request(harness: Harness, body: bytes) -> None:
    creds = harness.tenant("acme")
    response = harness.http.post(
        "/oauth2/token",
        content=body,
        headers={
            "Authorization": basic(creds),
            "content-type": "application/x-www-form-urlencoded",
        },
    )
    assert_oauth_error(response, 400, "invalid_request")


def test_every_token_endpoint_error_has_the_rfc6749_shape(harness: Harness) -> None:
    creds = harness.tenant("acme")
    assert_oauth_error(harness.http.get("/oauth2/token"), 405, "invalid_request")
    too_big = harness.http.post(
        "/oauth2/token",
        content=b"grant_type=client_credentials&x=" + b"a" * (2 * 1024 * 1024),
        headers={"Authorization": basic(creds), "content-type": "x-www-form-urlencoded"},
    )
    assert_oauth_error(too_big, 413, "invalid_request")
    bad_length = harness.http.post(
        "/oauth2/token",
        content=b"grant_type=client_credentials",
        headers={"content-length": "12abc", "content-type": "x-www-form-urlencoded"},
    )
    assert_oauth_error(bad_length, 400, "invalid_request")
