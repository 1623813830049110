"""The workers' and the operator's wiring: a validation runner and the CLI's facade."""

from __future__ import annotations

from functools import partial
from typing import TYPE_CHECKING

from landingzone.auth.keys import SECRET_KEY_FILE
from landingzone.db import migrate
from landingzone.db.facts import FactRepository
from landingzone.domain.installation import SecretKeyCheck
from landingzone.domain.integrity import IntegrityService
from landingzone.domain.operator import Operator
from landingzone.pipeline.job import ValidationJob
from landingzone.pipeline.runner import PipelineRunner, RunnerSettings
from landingzone.pipeline.submission_job import SubmissionJob

if TYPE_CHECKING:
    from landingzone.bootstrap.services import Services


def pipeline(services: Services, workers: int | None = None) -> PipelineRunner:
    """A validation runner; each process that validates builds one and starts it."""
    settings = services.settings
    job = ValidationJob(
        files=services.files,
        objects=services.objects,
        datasets=services.dataset_repo,
        tenants=services.tenants,
        store=services.store,
        analytics=services.backend.analytics,
        error_cap=settings.error_cap,
        spool_dir=settings.spool_dir,
        retirement=services.retirement,
    )
    submission_job = SubmissionJob(
        submissions=services.submissions,
        datasets=services.dataset_repo,
        store=services.store,
        error_cap=settings.error_cap,
    )
    runner_settings = RunnerSettings(
        workers=settings.validation_workers if workers is None else workers,
        lease_seconds=settings.validation_lease,
        max_attempts=settings.validation_max_attempts,
        landing_seconds=settings.s3_poll_seconds,
    )
    return PipelineRunner(
        services.files, job, services.submissions, submission_job, runner_settings,
        services.lander, services.retirement,
    )  # fmt: skip


def operator(services: Services) -> Operator:
    """The facade the server commands are given."""
    settings = services.settings
    key_source = (
        "LZ_SECRET_KEY" if settings.secret_key else str(settings.data_dir / SECRET_KEY_FILE)
    )
    return Operator(
        key=SecretKeyCheck(FactRepository(services.engine), services.keys.fingerprint, key_source),
        tenants=services.tenants,
        admin=services.admin,
        audit_log=services.audit_log,
        datasets=services.datasets,
        users=services.users,
        catalog=services.catalog,
        integrity=IntegrityService(services.tenants, services.objects, services.store),
        housekeeping=services.housekeeping,
        ping_store=services.store.ping,
        migrate=services.migrate,
        schema_is_current=partial(migrate.is_current, services.engine),
        worker=services.pipeline,
        close=services.engine.dispose,
        demo=settings.demo,
        scope_uri_prefix=settings.scope_uri_prefix,
    )
