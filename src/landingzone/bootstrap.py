"""Composition root: Settings -> database, storage backend, keys, services, app.

The only module that imports every layer; wiring only, no decisions of its own
(the storage backend is decided in ``storage/backend.py``). Each service is built
once, in ``Services.build``; the HTTP app, the validation pipeline and the
operator's facade are assembled from those. Nothing here runs at import time.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial

from sqlalchemy import Engine, text

from landingzone.api.app import create_asgi_app
from landingzone.api.asgi import LandingzoneApp
from landingzone.api.context import ApiContext
from landingzone.auth.keys import SECRET_KEY_FILE, Keys, load_master_key
from landingzone.auth.passwords import PasswordHashing
from landingzone.auth.signing import UrlSigner
from landingzone.auth.tokens import TokenService
from landingzone.db import migrate
from landingzone.db.audit import AuditRepository
from landingzone.db.datasets import DatasetRepository
from landingzone.db.engine import make_engine
from landingzone.db.facts import FactRepository
from landingzone.db.files import FileRepository
from landingzone.db.objects import ObjectRepository
from landingzone.db.submissions import SubmissionRepository
from landingzone.db.tenants import TenantRepository
from landingzone.db.users import UserRepository
from landingzone.domain.access import AccessService
from landingzone.domain.admin import AdminService
from landingzone.domain.analytics import SummaryService
from landingzone.domain.audit_log import AuditLogService
from landingzone.domain.catalog import CatalogService
from landingzone.domain.datasets import DatasetService
from landingzone.domain.downloads import DownloadService
from landingzone.domain.files import FilesService
from landingzone.domain.housekeeping import Housekeeping
from landingzone.domain.installation import SecretKeyCheck
from landingzone.domain.integrity import IntegrityService
from landingzone.domain.landing import Lander
from landingzone.domain.operator import Operator
from landingzone.domain.push import PushService
from landingzone.domain.targets import UploadTargets
from landingzone.domain.uploadapi import UploadApiService
from landingzone.domain.uploads import UploadService
from landingzone.domain.users import UserService
from landingzone.errors import ConfigurationError
from landingzone.pipeline.job import ValidationJob
from landingzone.pipeline.runner import PipelineRunner, RunnerSettings
from landingzone.pipeline.submission_job import SubmissionJob
from landingzone.ratelimit import RateLimiter
from landingzone.settings import Settings
from landingzone.storage.backend import Backend, open_backend
from landingzone.storage.local import LocalObjectStore
from landingzone.storage.s3 import S3ObjectStore


@dataclass(frozen=True)
class Services:
    """One installation's parts, each built once by ``build``."""

    settings: Settings
    engine: Engine
    keys: Keys
    backend: Backend
    tenants: TenantRepository
    objects: ObjectRepository
    files: FileRepository
    submissions: SubmissionRepository
    dataset_repo: DatasetRepository
    admin: AdminService
    datasets: DatasetService
    users: UserService
    catalog: CatalogService
    targets: UploadTargets
    lander: Lander | None  # lands pre-signed S3 uploads; the local store sees every PUT
    housekeeping: Housekeeping

    @classmethod
    def build(cls, settings: Settings) -> Services:
        """The services, creating the data directory, key and store on first use."""
        # Private from the start: the database and objects are created inside it.
        settings.data_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
        keys = Keys.derive(load_master_key(settings))
        engine = make_engine(settings.effective_database_url)
        tenants = TenantRepository(engine)
        objects = ObjectRepository(engine)
        dataset_repo = DatasetRepository(engine)
        backend = open_backend(settings)
        files = FileRepository(engine, objects, expiry_grace=backend.landing_grace)
        submissions = SubmissionRepository(engine)
        targets = UploadTargets(tenants, objects, files, dataset_repo, backend.store)
        incoming = backend.incoming
        return cls(
            settings=settings,
            engine=engine,
            keys=keys,
            backend=backend,
            tenants=tenants,
            objects=objects,
            files=files,
            submissions=submissions,
            dataset_repo=dataset_repo,
            admin=AdminService(tenants, keys.pepper, settings.scope_uri_prefix),
            datasets=DatasetService(dataset_repo),
            users=UserService(
                UserRepository(engine), tenants, AuditRepository(engine), PasswordHashing()
            ),
            catalog=CatalogService(tenants, dataset_repo, files, submissions),
            targets=targets,
            lander=None
            if incoming is None
            else Lander(incoming, targets, settings.max_object_size),
            housekeeping=Housekeeping(backend.store, [objects, submissions], settings.spool_dir),
        )

    @property
    def store(self) -> LocalObjectStore | S3ObjectStore:
        return self.backend.store

    @property
    def local_store(self) -> LocalObjectStore:
        """The store, when it is the local-disk one (tests and local-only tools)."""
        if self.backend.staging is None:
            raise ConfigurationError("this needs LZ_STORAGE_URL to be a file:// URL")
        return self.backend.staging

    def migrate(self) -> None:
        migrate.upgrade(self.engine)

    def ping_database(self) -> None:
        with self.engine.connect() as conn:
            conn.execute(text("SELECT 1"))

    def pipeline(self, workers: int | None = None) -> PipelineRunner:
        """A validation runner; each process that validates builds one and starts it."""
        settings = self.settings
        job = ValidationJob(
            files=self.files,
            objects=self.objects,
            datasets=self.dataset_repo,
            tenants=self.tenants,
            store=self.store,
            analytics=self.backend.analytics,
            error_cap=settings.error_cap,
            spool_dir=settings.spool_dir,
        )
        submission_job = SubmissionJob(
            submissions=self.submissions,
            datasets=self.dataset_repo,
            store=self.store,
            error_cap=settings.error_cap,
        )
        runner_settings = RunnerSettings(
            workers=settings.validation_workers if workers is None else workers,
            lease_seconds=settings.validation_lease,
            max_attempts=settings.validation_max_attempts,
            landing_seconds=settings.s3_poll_seconds,
        )
        return PipelineRunner(
            self.files, job, self.submissions, submission_job, runner_settings, self.lander
        )

    def api_context(self) -> ApiContext:
        """What the HTTP app is given; each app builds one."""
        settings, keys, tenants = self.settings, self.keys, self.tenants
        # The embedded endpoint verifies its own URLs whatever issues new ones.
        embedded = UrlSigner(keys.url, settings.effective_public_url)
        signer = self.backend.presigner or embedded
        tokens = TokenService(keys.token, settings.token_ttl)
        ttl = settings.upload_url_ttl
        return ApiContext(
            access=AccessService(tenants, tokens, keys.pepper, settings.scope_uri_prefix),
            push=PushService(tenants, self.objects, self.files, self.dataset_repo, signer, ttl),
            uploads=UploadService(
                self.targets, self.backend.staging, embedded, settings.max_object_size
            ),
            files=FilesService(tenants, self.dataset_repo, self.files, signer, ttl),
            limiter=RateLimiter(
                settings.rate_limit_storage, settings.rate_limit, settings.rate_limit_burst
            ),
            summary=SummaryService(tenants, self.dataset_repo, self.files, self.backend.analytics),
            upload_api=UploadApiService(tenants, self.submissions, self.store, keys.pepper),
            downloads=DownloadService(
                tenants,
                self.objects,
                self.files,
                self.store,
                self.backend.download_links,
                AuditRepository(self.engine),
            ),
            users=self.users,
            datasets=self.datasets,
            catalog=self.catalog,
            admin=self.admin,
            audit_log=self.audit_log(),
            body_idle_timeout=settings.body_idle_timeout,
            max_json_body=settings.max_json_body,
            upload_api_max_body=settings.upload_api_max_body,
            readiness_checks={"database": self.ping_database, "storage": self.store.ping},
        )

    def audit_log(self) -> AuditLogService:
        return AuditLogService(AuditRepository(self.engine), self.tenants)

    def operator(self) -> Operator:
        """The facade the server commands are given."""
        settings = self.settings
        key_source = (
            "LZ_SECRET_KEY" if settings.secret_key else str(settings.data_dir / SECRET_KEY_FILE)
        )
        return Operator(
            key=SecretKeyCheck(FactRepository(self.engine), self.keys.fingerprint, key_source),
            tenants=self.tenants,
            admin=self.admin,
            audit_log=self.audit_log(),
            datasets=self.datasets,
            users=self.users,
            catalog=self.catalog,
            integrity=IntegrityService(self.tenants, self.objects, self.store),
            housekeeping=self.housekeeping,
            ping_store=self.store.ping,
            migrate=self.migrate,
            schema_is_current=partial(migrate.is_current, self.engine),
            worker=self.pipeline,
            close=self.engine.dispose,
            demo=settings.demo,
            scope_uri_prefix=settings.scope_uri_prefix,
        )


def open_operator(settings: Settings) -> Operator:
    """The operator's facade on the installation ``settings`` name (created on first use)."""
    return Services.build(settings).operator()


def create_app(settings: Settings) -> LandingzoneApp:
    """A fresh ASGI app for ``settings`` (the database must already be migrated)."""
    return create_asgi_app(Services.build(settings).api_context())


def app_from_env() -> LandingzoneApp:
    """Factory for the HTTP server's worker processes: settings from ``LZ_*``."""
    from landingzone.logs import configure_logging

    settings = Settings()
    configure_logging(settings.log_level)
    return create_app(settings)
