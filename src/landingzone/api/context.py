"""What the HTTP layer is given by the composition root: use-cases, not infrastructure."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from starlette.requests import HTTPConnection

from landingzone.domain.access import AccessService
from landingzone.domain.admin import AdminService
from landingzone.domain.analytics import SummaryService
from landingzone.domain.audit_log import AuditLogService
from landingzone.domain.catalog import CatalogService
from landingzone.domain.datasets import DatasetService
from landingzone.domain.downloads import DownloadService
from landingzone.domain.files import FilesService
from landingzone.domain.idempotency import IdempotencyService
from landingzone.domain.push import PushService
from landingzone.domain.uploadapi import UploadApiService
from landingzone.domain.uploads import UploadService
from landingzone.domain.users import UserService
from landingzone.ratelimit import RateLimiter


@dataclass(frozen=True)
class ApiContext:
    access: AccessService
    push: PushService
    uploads: UploadService
    files: FilesService
    summary: SummaryService
    upload_api: UploadApiService
    users: UserService
    datasets: DatasetService
    catalog: CatalogService  # the operator's view of every customer's files and submissions
    admin: AdminService
    audit_log: AuditLogService
    upload_api_max_body: int
    limiter: RateLimiter
    # Stored bytes read back by their owners and by operators.
    downloads: DownloadService
    # Idempotency-Key claims and replays of the two creating POSTs (api/idempotency.py).
    idempotency: IdempotencyService
    # Each check raises when its dependency is unreachable (GET /readyz).
    readiness_checks: dict[str, Callable[[], None]]
    # Seconds a request body may stall between chunks before it is answered and closed.
    body_idle_timeout: float = 30.0
    # Largest body of the other JSON and form routes (token, Files API upload).
    max_json_body: int = 1024 * 1024


def context(connection: HTTPConnection) -> ApiContext:
    ctx: ApiContext = connection.app.state.context
    return ctx
