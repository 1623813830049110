"""The parts of one installation, each built once from its settings."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Engine, text

from landingzone.api.context import ApiContext
from landingzone.auth.keys import Keys, load_master_key
from landingzone.auth.passwords import PasswordHashing
from landingzone.bootstrap import http, operations
from landingzone.db import migrate
from landingzone.db.audit import AuditRepository
from landingzone.db.datasets import DatasetRepository
from landingzone.db.engine import make_engine
from landingzone.db.files import FileRepository
from landingzone.db.idempotency import IdempotencyRepository
from landingzone.db.objects import ObjectRepository
from landingzone.db.submissions import SubmissionRepository
from landingzone.db.tenants import TenantRepository
from landingzone.db.users import UserRepository
from landingzone.domain.admin import AdminService
from landingzone.domain.audit_log import AuditLogService
from landingzone.domain.catalog import CatalogService
from landingzone.domain.datasets import DatasetService
from landingzone.domain.housekeeping import Housekeeping
from landingzone.domain.idempotency import IdempotencyService
from landingzone.domain.landing import Lander
from landingzone.domain.operator import Operator
from landingzone.domain.retirement import FileRetirement
from landingzone.domain.targets import UploadTargets
from landingzone.domain.users import UserService
from landingzone.errors import ConfigurationError
from landingzone.pipeline.runner import PipelineRunner
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
    audit: AuditRepository
    audit_log: AuditLogService
    users: UserService
    catalog: CatalogService
    targets: UploadTargets
    lander: Lander | None  # lands pre-signed S3 uploads; the local store sees every PUT
    housekeeping: Housekeeping
    retirement: FileRetirement  # removes what superseded and retracted files leave
    idempotency: IdempotencyService  # Idempotency-Key claims, shared by every app built here

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
        audit = AuditRepository(engine)
        incoming = backend.incoming
        retirement = FileRetirement(files, backend.store, backend.analytics)
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
            audit=audit,
            audit_log=AuditLogService(audit, tenants),
            users=UserService(UserRepository(engine), tenants, audit, password_hashing(settings)),
            catalog=CatalogService(tenants, dataset_repo, files, submissions, retirement),
            targets=targets,
            lander=None
            if incoming is None
            else Lander(incoming, targets, settings.max_object_size),
            housekeeping=Housekeeping(backend.store, [objects, submissions], settings.spool_dir),
            retirement=retirement,
            idempotency=IdempotencyService(IdempotencyRepository(engine)),
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
        return operations.pipeline(self, workers)

    def api_context(self) -> ApiContext:
        """What the HTTP app is given; each app builds one."""
        return http.api_context(self)

    def operator(self) -> Operator:
        """The facade the server commands are given."""
        return operations.operator(self)


def password_hashing(settings: Settings) -> PasswordHashing:
    """Hashes at the operator's costs; hashes made at other costs still verify and are
    remade at these at their user's next sign-in."""
    return PasswordHashing.argon2id(
        settings.password_hash_memory_kib,
        settings.password_hash_passes,
        settings.password_hash_lanes,
    )
