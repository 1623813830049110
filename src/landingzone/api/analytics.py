"""The analytics summary of a dataset type for the caller's customer (SPEC §4)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Request
from fastapi.responses import JSONResponse

from landingzone.api.context import context
from landingzone.api.deps import authorize
from landingzone.api.files import READERS
from landingzone.api.query import only_params

router = APIRouter(prefix="/analytics/datasets", tags=["analytics"])


@router.get("/{datasetType}/summary", summary="Imported rows per file and per upload day")
def summary(
    dataset_type: Annotated[str, Path(alias="datasetType")], request: Request
) -> JSONResponse:
    principal = authorize(request, READERS)
    only_params(request, set())
    return JSONResponse(context(request).summary.summary(principal.customer_id, dataset_type))
