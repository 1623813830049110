"""No secret, token, API key or URL signature reaches the server's log (SPEC §7)."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import parse_qsl, urlsplit

import httpx

from tests.e2e.server import ServerProcess


def test_secrets_never_appear_in_logs(tmp_path: Path) -> None:
    server = ServerProcess(tmp_path / "data", env_overrides={"LZ_LOG_LEVEL": "debug"}).start()
    try:
        assert server.demo is not None
        client_id = server.demo["client_id"]
        secret = server.demo["client_secret"]
        api_key = server.demo["api_key"]
        token = server.token(client_id, secret)
        form = httpx.post(
            f"{server.url}/oauth2/token",
            data={
                "grant_type": "client_credentials",
                "client_id": client_id,
                "client_secret": secret,
            },
        )
        token2 = form.json()["access_token"]
        wrong = httpx.post(
            f"{server.url}/oauth2/token",
            data={
                "grant_type": "client_credentials",
                "client_id": client_id,
                "client_secret": secret + "x",
            },
        )
        assert wrong.status_code == 401
        url = server.upload_urls(token, "a.csv")["a.csv"]
        signature = dict(parse_qsl(urlsplit(url).query))["X-Lz-Signature"]
        assert httpx.put(url, content=b"1").status_code == 200
        assert httpx.put(url, content=b"2").status_code == 403
        tampered = url.replace("a.csv?", "b.csv?")
        assert httpx.put(tampered, content=b"3").status_code == 403
        # Parameter names percent-encoded: the server decodes them, so must redaction.
        encoded_url = server.upload_urls(token, "c.csv")["c.csv"]
        encoded_signature = dict(parse_qsl(urlsplit(encoded_url).query))["X-Lz-Signature"]
        encoded_url = encoded_url.replace("X-Lz-Signature=", "X%2DLz%2DSignature=")
        assert httpx.put(encoded_url, content=b"4").status_code == 200
        httpx.get(f"{server.url}/GetResults?token=x&dataKey=status&%6Bey={api_key}")
        # Secrets in query strings, where a careless client might put them.
        httpx.get(f"{server.url}/GetResults", params={"token": token, "key": api_key})
        httpx.get(f"{server.url}/healthz", headers={"Authorization": f"Bearer {token2}"})
        # 1 MB of empty form fields at LZ_LOG_LEVEL=debug: not a line per field.
        lines_before = len(server.logs().splitlines())
        empty_fields = httpx.post(
            f"{server.url}/oauth2/token",
            content=b"&" * 1_000_000,
            headers={"Content-Type": "application/x-www-form-urlencoded"},
            auth=(client_id, secret),
        )
        assert empty_fields.status_code == 400
        assert len(server.logs().splitlines()) - lines_before < 20
    finally:
        server.stop()
    logs = server.logs()
    assert "PUT /o/log-connector-data/demo/myAppId/a.csv" in logs  # the access log is there
    assert "X%2DLz%2DSignature=[REDACTED]" in logs and "%6Bey=[REDACTED]" in logs
    for value in (secret, api_key, token, token2, signature, encoded_signature):
        assert value not in logs
