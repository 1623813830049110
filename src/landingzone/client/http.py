"""The SDK's HTTP session: tokens fetched and renewed, retries with backoff, typed errors.

Speaks only the wire protocol (SPEC §2, §7): the token endpoint with HTTP Basic
``client_id:urlencode(client_secret)``, bearer tokens, the common JSON error
body and the object store's S3 XML errors.
"""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, TypeVar
from urllib.parse import quote

import httpx
from tenacity import (
    RetryCallState,
    Retrying,
    retry_if_exception_type,
    retry_if_result,
    stop_after_attempt,
    stop_after_delay,
    stop_never,
    wait_exponential,
    wait_random_exponential,
)

from landingzone.client.errors import (
    LandingzoneClientError,
    RetriesExhausted,
    ServerUnreachable,
    error_for,
)

T = TypeVar("T")
# Renew a token this long before it expires, so no request carries a dying one.
RENEW_BEFORE_SECONDS = 60.0
RETRY_AFTER_CAP = 60.0
_S3_CODE = re.compile(rb"<Code>([^<]{1,64})</Code>")
_S3_MESSAGE = re.compile(rb"<Message>([^<]{0,1024})</Message>")
# RFC 6750 §3 challenge parameters: error="insufficient_scope", scope="files.write".
_CHALLENGE = re.compile(r'\b(error|scope)="([^"]{0,256})"')


class Retryable(Exception):
    """An answer worth trying again: 429, 5xx or S3 SlowDown, with the server's Retry-After."""

    def __init__(self, error: LandingzoneClientError, retry_after: float | None) -> None:
        super().__init__(str(error))
        self.error = error
        self.retry_after = retry_after


@dataclass(frozen=True)
class RetryPolicy:
    attempts: int = 6
    backoff_seconds: float = 0.5  # the first wait is up to this, doubling, with full jitter
    max_backoff_seconds: float = 20.0


def poll(
    fetch: Callable[[], T],
    done: Callable[[T], bool],
    *,
    first: float,
    cap: float,
    timeout: float | None,
    sleep: Callable[[float], None],
) -> T:
    """Call ``fetch`` until ``done``, waiting ``first`` seconds then doubling up to ``cap``;
    after ``timeout`` seconds the latest answer is returned, done or not."""
    polling = Retrying(
        retry=retry_if_result(lambda answer: not done(answer)),
        wait=wait_exponential(multiplier=first, max=cap),
        stop=stop_never if timeout is None else stop_after_delay(timeout),
        sleep=sleep,
        retry_error_callback=lambda state: state.outcome.result() if state.outcome else None,
    )
    answer: T = polling(fetch)
    return answer


def describe(response: httpx.Response) -> LandingzoneClientError:
    """The server's error as an exception: JSON bodies (SPEC §7) and S3 XML (SPEC §6)."""
    body = response.content
    code: str | None = None
    message = f"HTTP {response.status_code}"
    if body.lstrip().startswith(b"<"):
        if found := _S3_CODE.search(body):
            code = found.group(1).decode(errors="replace")
        if found := _S3_MESSAGE.search(body):
            message = found.group(1).decode(errors="replace")
    else:
        try:
            document = response.json()
        except ValueError:
            document = None
        if isinstance(document, dict):
            message = str(document.get("message") or document.get("error_description") or message)
            code = str(document.get("error") or document.get("code") or response.status_code)
    # A bearer challenge names the problem more precisely than the JSON body's "code".
    challenge = dict(_CHALLENGE.findall(response.headers.get("www-authenticate", "")))
    code = challenge.get("error", code)
    return error_for(response.status_code, code, message, challenge.get("scope"))


def retry_after(response: httpx.Response) -> float | None:
    value = response.headers.get("retry-after", "")
    return min(float(value), RETRY_AFTER_CAP) if value.isascii() and value.isdigit() else None


def raise_for_answer(response: httpx.Response) -> None:
    """Raise Retryable for 429/5xx, a typed error for other 4xx; return on success."""
    if response.is_success:
        return
    error = describe(response)
    if response.status_code == 429 or response.status_code >= 500:
        raise Retryable(error, retry_after(response))
    raise error


class Session:
    """One client's credentials, token and HTTP connection pool; safe to share across threads."""

    def __init__(
        self,
        base_url: str,
        client_id: str,
        client_secret: str,
        *,
        token_url: str | None = None,
        scopes: list[str] | None = None,
        scope_uri_prefix: str = "",
        transport: httpx.BaseTransport | None = None,
        timeout: float = 60.0,
        retry: RetryPolicy | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.token_url = token_url or f"{self.base_url}/oauth2/token"
        self._client_id = client_id
        self._client_secret = client_secret
        self._scope = " ".join(scope_uri_prefix + s for s in scopes) if scopes else None
        self.http = httpx.Client(transport=transport, timeout=timeout)
        self.retry = retry or RetryPolicy()
        self._sleep = sleep
        self._lock = threading.Lock()
        self._token: str | None = None
        self._expires_at = 0.0

    def close(self) -> None:
        self.http.close()

    # -- tokens -------------------------------------------------------------------------

    def token(self, *, renew: bool = False) -> str:
        with self._lock:
            if renew or self._token is None or time.monotonic() > self._expires_at:
                self._token, lifetime = self._fetch_token()
                self._expires_at = time.monotonic() + max(lifetime - RENEW_BEFORE_SECONDS, 0)
            return self._token

    def _fetch_token(self) -> tuple[str, float]:
        credentials = (quote(self._client_id, safe=""), quote(self._client_secret, safe=""))
        form = {"grant_type": "client_credentials"}
        if self._scope:
            form["scope"] = self._scope

        def ask() -> httpx.Response:
            response = self.http.post(self.token_url, data=form, auth=credentials)
            raise_for_answer(response)
            return response

        document = self.retrying(ask).json()
        return str(document["access_token"]), float(document.get("expires_in", 3600))

    # -- requests -----------------------------------------------------------------------

    def retrying(self, attempt: Callable[[], T]) -> T:
        """Run ``attempt`` with backoff on connection errors and Retryable answers."""
        policy = self.retry
        backoff = wait_random_exponential(
            multiplier=policy.backoff_seconds, max=policy.max_backoff_seconds
        )

        def wait(state: RetryCallState) -> float:
            failure = state.outcome.exception() if state.outcome else None
            if isinstance(failure, Retryable) and failure.retry_after is not None:
                return failure.retry_after
            return float(backoff(state))

        retrying = Retrying(
            stop=stop_after_attempt(policy.attempts),
            wait=wait,
            retry=retry_if_exception_type((Retryable, httpx.TransportError)),
            sleep=self._sleep,
            reraise=True,
        )
        try:
            return retrying(attempt)
        except Retryable as exc:
            raise RetriesExhausted(
                f"gave up after {policy.attempts} attempts: {exc.error}",
                status=exc.error.status,
                code=exc.error.code,
            ) from None
        except httpx.TransportError as exc:
            raise ServerUnreachable(
                f"{self.base_url} did not answer after {policy.attempts} attempts ({exc})"
            ) from None

    def request(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        """An authenticated API call; the token is renewed once if the server refuses it."""

        def attempt() -> httpx.Response:
            for renew in (False, True):
                headers = {"Authorization": f"Bearer {self.token(renew=renew)}"}
                response = self.http.request(
                    method, f"{self.base_url}{path}", headers=headers, **kwargs
                )
                # Only a refused token (RFC 6750 invalid_token) is worth a new one; other
                # 401s (the Upload API's wrong Key) would refuse the new token too.
                challenge = response.headers.get("www-authenticate", "")
                if response.status_code != 401 or renew or "invalid_token" not in challenge:
                    break
            raise_for_answer(response)
            return response

        return self.retrying(attempt)

    @contextmanager
    def streaming(self, method: str, path: str, **kwargs: Any) -> Iterator[httpx.Response]:
        """An authenticated call whose answer's body is read as a stream (a download).

        The token is renewed once if the server refuses it, as in ``request``; an
        error answer is raised as ``request`` raises it (Retryable for 429/5xx: run
        this inside ``retrying``). Redirects are not followed: the caller decides,
        since a redirect to an object store must not carry the bearer token.
        """
        url = f"{self.base_url}{path}"
        for renew in (False, True):
            headers = {"Authorization": f"Bearer {self.token(renew=renew)}"}
            request = self.http.build_request(method, url, headers=headers, **kwargs)
            response = self.http.send(request, stream=True)
            challenge = response.headers.get("www-authenticate", "")
            if response.status_code != 401 or renew or "invalid_token" not in challenge:
                break
            response.close()
        try:
            if not (response.is_success or response.is_redirect):
                response.read()
                raise_for_answer(response)
            yield response
        finally:
            response.close()
