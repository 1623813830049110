"""The Idempotency-Key header on the creating POSTs (SPEC §4): claim, run, record or replay.

A route wraps the call that does its work in ``idempotent``: without the header the
call just runs; with it, the first request runs and a retry gets the first answer
again, byte for byte, marked ``Idempotent-Replayed: true`` (Stripe's header; the IETF
draft names none). The rules are the domain's (``domain/idempotency.py``).
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from fastapi import Request
from fastapi.responses import Response
from pydantic import BaseModel

from landingzone.api.context import context
from landingzone.domain.access import Principal
from landingzone.domain.idempotency import StoredAnswer, parse_key
from landingzone.errors import BadRequest

log = logging.getLogger(__name__)

IDEMPOTENCY_KEY = "Idempotency-Key"
REPLAYED = "Idempotent-Replayed"


def idempotent(
    request: Request,
    principal: Principal,
    operation: str,
    document: BaseModel,
    run: Callable[[], Response],
) -> Response:
    """``run()``'s answer, or the answer of the first request with the same key.

    ``operation`` names the route (its aliases share it); ``document`` is the request
    as the route read it, whose fingerprint tells a retry from another request. Call
    it after authentication: the key belongs to ``principal``'s client.
    """
    values = request.headers.getlist(IDEMPOTENCY_KEY)
    if not values:
        return run()
    if len(values) > 1:
        raise BadRequest(
            f"Send one {IDEMPOTENCY_KEY} header, not {len(values)}: one key names one request."
        )
    key = parse_key(values[0])
    keys = context(request).idempotency
    outcome = keys.begin(principal.client_id, key, operation, document.model_dump(mode="json"))
    if isinstance(outcome, StoredAnswer):
        return Response(
            outcome.body,
            status_code=outcome.status,
            media_type=outcome.media_type or None,
            headers={REPLAYED: "true"},
        )
    try:
        response = run()
    except BaseException:
        try:
            keys.release(outcome)
        except Exception:
            # The request's own error is the one to answer; the claim lapses on its own.
            log.warning("could not release an idempotency key after a failed request")
        raise
    answer = StoredAnswer(response.status_code, response.media_type or "", bytes(response.body))
    try:
        keys.finish(outcome, answer)
    except Exception:
        # The work is done: answer it. Unrecorded, the key's claim lapses after its lease
        # (a retry meanwhile is 409), as when a process dies mid-request.
        log.warning("could not record the answer of a request with an idempotency key")
    return response
