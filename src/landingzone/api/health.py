"""Liveness and readiness probes (SPEC §8)."""

from __future__ import annotations

import logging

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from landingzone.api.context import context
from landingzone.api.errors import error_response

router = APIRouter(tags=["health"])
log = logging.getLogger(__name__)


@router.get("/healthz", summary="Liveness: the process answers")
async def healthz() -> JSONResponse:
    return JSONResponse({"status": "ok"})


@router.get("/readyz", summary="Readiness: database and storage reachable")
def readyz(request: Request) -> JSONResponse:
    failed = []
    for name, check in context(request).readiness_checks.items():
        try:
            check()
        except Exception:
            log.warning("readiness check %s failed", name, exc_info=True)
            failed.append(name)
    if failed:
        return error_response(503, f"Not ready: {', '.join(failed)} unreachable.")
    return JSONResponse(
        {"status": "ready", "checks": dict.fromkeys(context(request).readiness_checks, "ok")}
    )
