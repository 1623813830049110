"""The HTTP layer's wiring: the use-cases an app is given, built from the services."""

from __future__ import annotations

from typing import TYPE_CHECKING

from landingzone.api.context import ApiContext
from landingzone.auth.signing import UrlSigner
from landingzone.auth.tokens import TokenService
from landingzone.db.audit_group import GroupCommitAudit
from landingzone.domain.access import AccessService
from landingzone.domain.analytics import SummaryService
from landingzone.domain.downloads import DownloadService
from landingzone.domain.files import FilesService
from landingzone.domain.push import PushService
from landingzone.domain.uploadapi import UploadApiService
from landingzone.domain.uploads import UploadService
from landingzone.ratelimit import RateLimiter

if TYPE_CHECKING:
    from landingzone.bootstrap.services import Services


def api_context(services: Services) -> ApiContext:
    """What the HTTP app is given; each app builds one."""
    settings, keys, tenants = services.settings, services.keys, services.tenants
    # The embedded endpoint verifies its own URLs whatever issues new ones.
    embedded = UrlSigner(keys.url, settings.effective_public_url)
    signer = services.backend.presigner or embedded
    tokens = TokenService(keys.token, settings.token_ttl)
    ttl = settings.upload_url_ttl
    return ApiContext(
        access=AccessService(tenants, tokens, keys.pepper, settings.scope_uri_prefix),
        push=PushService(
            tenants,
            services.objects,
            services.files,
            services.dataset_repo,
            signer,
            ttl,
            GroupCommitAudit(services.engine),
        ),
        uploads=UploadService(
            services.targets, services.backend.staging, embedded, settings.max_object_size
        ),
        files=FilesService(
            tenants, services.dataset_repo, services.files, signer, ttl, services.retirement
        ),
        limiter=RateLimiter(
            settings.rate_limit_storage, settings.rate_limit, settings.rate_limit_burst
        ),
        summary=SummaryService(
            tenants, services.dataset_repo, services.files, services.backend.analytics
        ),
        upload_api=UploadApiService(tenants, services.submissions, services.store, keys.pepper),
        downloads=DownloadService(
            tenants,
            services.objects,
            services.files,
            services.store,
            services.backend.download_links,
            services.audit,
        ),
        idempotency=services.idempotency,
        users=services.users,
        datasets=services.datasets,
        catalog=services.catalog,
        admin=services.admin,
        audit_log=services.audit_log,
        body_idle_timeout=settings.body_idle_timeout,
        max_json_body=settings.max_json_body,
        upload_api_max_body=settings.upload_api_max_body,
        readiness_checks={"database": services.ping_database, "storage": services.store.ping},
    )
