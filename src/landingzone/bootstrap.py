"""Composition root: Settings -> database, store, keys, services, app.

The only module that imports every layer. Nothing here runs at import time.
"""

from __future__ import annotations

import contextlib
import logging
import time
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote, urlparse

from sqlalchemy import Engine, text

from landingzone.api.app import create_asgi_app
from landingzone.api.asgi import LandingzoneApp
from landingzone.api.context import ApiContext
from landingzone.auth.keys import SECRET_KEY_FILE, Keys, load_master_key
from landingzone.auth.signing import UrlSigner
from landingzone.auth.tokens import TokenService
from landingzone.db import migrate
from landingzone.db.datasets import DatasetRepository
from landingzone.db.engine import make_engine
from landingzone.db.facts import FactRepository
from landingzone.db.files import FileRepository
from landingzone.db.objects import ObjectRepository
from landingzone.db.submissions import SubmissionRepository
from landingzone.db.tenants import TenantRepository
from landingzone.domain.access import AccessService
from landingzone.domain.admin import AdminService, IssuedClient
from landingzone.domain.analytics import SummaryService
from landingzone.domain.datasets import DatasetService
from landingzone.domain.files import FilesService
from landingzone.domain.integrity import IntegrityService
from landingzone.domain.landing import Lander
from landingzone.domain.ports import UploadUrlSigner
from landingzone.domain.push import PushService
from landingzone.domain.targets import UploadTargets
from landingzone.domain.uploadapi import UploadApiService
from landingzone.domain.uploads import UploadService
from landingzone.errors import ConfigurationError
from landingzone.pipeline.job import ValidationJob
from landingzone.pipeline.runner import PipelineRunner, RunnerSettings
from landingzone.pipeline.submission_job import SubmissionJob
from landingzone.ratelimit import RateLimiter
from landingzone.settings import SQLITE_FILE, Settings
from landingzone.storage.analytics import AnalyticsStore
from landingzone.storage.local import LocalObjectStore
from landingzone.storage.local_analytics import LocalAnalyticsStore
from landingzone.storage.s3 import (
    S3Location,
    S3ObjectStore,
    make_client,
    resolve_region,
)
from landingzone.storage.s3_analytics import AnalyticsBucket, S3AnalyticsStore
from landingzone.storage.s3_signing import S3UrlSigner

log = logging.getLogger(__name__)
# Committed objects with no catalog row (a crash between rename and commit) are
# removed once they are this old; younger ones may belong to a live request.
ORPHAN_GRACE_SECONDS = 3600
KEY_FINGERPRINT = "secret_key_fingerprint"
SPOOL_GRACE_SECONDS = 24 * 3600


def require_installation(settings: Settings) -> None:
    """Refuse a data directory that `serve` or `migrate` never set up, creating nothing.

    Run from the wrong directory, an admin command or a worker would otherwise
    build a second, empty installation (a new key, database and object tree)
    beside the real one and work on that. Only what lives in the data directory
    is checked: a key from LZ_SECRET_KEY, a database from LZ_DATABASE_URL and
    objects in S3 are checked where they are (schema, key fingerprint, bucket).
    """
    data_dir = settings.data_dir.absolute()
    fix = (
        "run the command from the directory that holds the installation's data "
        "directory, or set LZ_DATA_DIR to it; 'landingzone serve' or 'landingzone "
        "migrate' creates a new one"
    )
    if not data_dir.is_dir():
        raise ConfigurationError(f"The data directory {data_dir} does not exist: {fix}.")
    expected = []
    if settings.secret_key is None:
        expected.append(SECRET_KEY_FILE)
    if settings.database_url is None:
        expected.append(SQLITE_FILE)
    if settings.storage_url is None:
        expected.append("objects/")
    missing = [name for name in expected if not (data_dir / name).exists()]
    if SECRET_KEY_FILE in missing and SQLITE_FILE not in missing and settings.database_url is None:
        raise ConfigurationError(
            f"{data_dir} holds a database but no {SECRET_KEY_FILE}: restore the key file "
            "from backup (or set LZ_SECRET_KEY to the key it held); without it no client "
            "secret, API key or issued URL is valid."
        )
    if missing:
        raise ConfigurationError(
            f"{data_dir} is not an initialised landingzone data directory "
            f"(it has no {', '.join(missing)}): {fix}."
        )


def open_store(settings: Settings) -> LocalObjectStore | S3ObjectStore:
    url = urlparse(settings.effective_storage_url)
    if url.scheme == "file":
        return LocalObjectStore(Path(unquote(url.path)))
    if url.scheme == "s3":
        location = S3Location.parse(settings.effective_storage_url)
        return S3ObjectStore(make_client(settings.s3_endpoint_url, settings.s3_region), location)
    raise ConfigurationError(
        f"LZ_STORAGE_URL '{settings.effective_storage_url}': use file:///absolute/path "
        "(local disk) or s3://bucket/prefix (any S3-compatible store)."
    )


@dataclass
class Services:
    settings: Settings
    engine: Engine
    keys: Keys
    store: LocalObjectStore | S3ObjectStore
    tenants: TenantRepository
    objects: ObjectRepository
    files: FileRepository
    submissions: SubmissionRepository
    dataset_repo: DatasetRepository
    admin: AdminService
    datasets: DatasetService

    @classmethod
    def open(cls, settings: Settings) -> Services:
        """The services of an existing installation: what every command but `serve`,
        `migrate` and `config` uses."""
        require_installation(settings)
        return cls.build(settings)

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
        store = open_store(settings)
        grace = settings.s3_landing_grace if isinstance(store, S3ObjectStore) else 0.0
        return cls(
            settings=settings,
            engine=engine,
            keys=keys,
            store=store,
            tenants=tenants,
            objects=objects,
            files=FileRepository(engine, objects, expiry_grace=grace),
            submissions=SubmissionRepository(engine),
            dataset_repo=dataset_repo,
            admin=AdminService(tenants, keys.pepper),
            datasets=DatasetService(dataset_repo),
        )

    def migrate(self) -> None:
        migrate.upgrade(self.engine)

    def require_current_schema(self) -> None:
        if not migrate.is_current(self.engine):
            raise ConfigurationError(
                "The database schema is not at this version's revision: run "
                "'landingzone migrate' (or start 'landingzone serve', which migrates)."
            )

    def verify_key(self) -> None:
        """Refuse to run with a secret key other than the one the database was set up with."""
        stored = FactRepository(self.engine).setdefault(KEY_FINGERPRINT, self.keys.fingerprint)
        if stored != self.keys.fingerprint:
            source = (
                "LZ_SECRET_KEY"
                if self.settings.secret_key
                else str(self.settings.data_dir / SECRET_KEY_FILE)
            )
            raise ConfigurationError(
                f"The secret key ({source}) is not the one this database was set up with: "
                "client secrets, API keys and issued URLs would all fail. Restore the "
                "original key (from backup, or the LZ_SECRET_KEY you used before)."
            )

    @property
    def local_store(self) -> LocalObjectStore:
        """The store, when it is the local-disk one (tests and local-only tools)."""
        if not isinstance(self.store, LocalObjectStore):
            raise ConfigurationError("this needs LZ_STORAGE_URL to be a file:// URL")
        return self.store

    def integrity(self) -> IntegrityService:
        return IntegrityService(self.tenants, self.objects, self.store)

    def upload_targets(self) -> UploadTargets:
        return UploadTargets(self.tenants, self.objects, self.files, self.dataset_repo, self.store)

    def s3_signer(self) -> S3UrlSigner | None:
        """The store's own pre-signed URLs, when objects live in S3."""
        if not isinstance(self.store, S3ObjectStore):
            return None
        settings = self.settings
        public = settings.s3_public_endpoint_url or settings.s3_endpoint_url
        return S3UrlSigner(self.store, public, settings.s3_region)

    def lander(self) -> Lander | None:
        """What lands pre-signed S3 uploads; None for the local store (it sees every PUT)."""
        if not isinstance(self.store, S3ObjectStore):
            return None
        return Lander(self.store, self.upload_targets(), self.settings.max_object_size)

    def analytics(self) -> AnalyticsStore:
        """Parquet next to the objects: in the bucket with S3 storage, else on local disk."""
        if isinstance(self.store, S3ObjectStore):
            settings = self.settings
            return S3AnalyticsStore(
                AnalyticsBucket(self.store.client, self.store.location),
                settings.spool_dir,
                settings.s3_endpoint_url,
                resolve_region(settings.s3_region),
            )
        return LocalAnalyticsStore(self.settings.data_dir / "analytics")

    def pipeline(self, workers: int | None = None) -> PipelineRunner:
        settings = self.settings
        job = ValidationJob(
            files=self.files,
            objects=self.objects,
            datasets=self.dataset_repo,
            tenants=self.tenants,
            store=self.store,
            analytics=self.analytics(),
            error_cap=settings.error_cap,
            spool_dir=self.settings.spool_dir,
        )
        submission_job = SubmissionJob(
            submissions=self.submissions,
            datasets=self.dataset_repo,
            store=self.store,
            error_cap=settings.error_cap,
        )
        return PipelineRunner(
            self.files,
            job,
            self.submissions,
            submission_job,
            RunnerSettings(
                workers=settings.validation_workers if workers is None else workers,
                lease_seconds=settings.validation_lease,
                max_attempts=settings.validation_max_attempts,
                landing_seconds=settings.s3_poll_seconds,
            ),
            lander=self.lander(),
        )

    def api_context(self) -> ApiContext:
        settings = self.settings
        # The embedded endpoint verifies its own URLs whatever issues new ones.
        embedded = UrlSigner(self.keys.url, settings.effective_public_url)
        signer: UploadUrlSigner = self.s3_signer() or embedded
        tokens = TokenService(self.keys.token, settings.token_ttl)
        return ApiContext(
            access=AccessService(self.tenants, tokens, self.keys.pepper, settings.scope_uri_prefix),
            push=PushService(
                self.tenants,
                self.objects,
                self.files,
                self.dataset_repo,
                signer,
                settings.upload_url_ttl,
            ),
            uploads=UploadService(
                self.upload_targets(),
                self.store if isinstance(self.store, LocalObjectStore) else None,
                embedded,
                settings.max_object_size,
            ),
            files=FilesService(
                self.tenants,
                self.dataset_repo,
                self.files,
                signer,
                settings.upload_url_ttl,
            ),
            limiter=RateLimiter(
                settings.rate_limit_storage, settings.rate_limit, settings.rate_limit_burst
            ),
            summary=SummaryService(self.tenants, self.dataset_repo, self.files, self.analytics()),
            upload_api=UploadApiService(
                self.tenants, self.submissions, self.store, self.keys.pepper
            ),
            body_idle_timeout=settings.body_idle_timeout,
            max_json_body=settings.max_json_body,
            upload_api_max_body=settings.upload_api_max_body,
            readiness_checks={"database": self.ping_database, "storage": self.store.ping},
        )

    def ping_database(self) -> None:
        with self.engine.connect() as conn:
            conn.execute(text("SELECT 1"))

    def cleanup(self) -> tuple[int, int]:
        """Remove abandoned temp files and orphaned objects; return both counts."""
        staged = self.store.cleanup_staging() + self._cleanup_spool()
        candidates = self.store.storage_ids_older_than(ORPHAN_GRACE_SECONDS, time.time())
        orphans: list[str] = []
        for start in range(0, len(candidates), 500):
            chunk = candidates[start : start + 500]
            known = self.objects.known_storage_ids(chunk)
            known |= self.submissions.known_storage_ids(chunk)
            orphans.extend(sid for sid in chunk if sid not in known)
        for sid in orphans:
            self.store.delete(sid)
        if staged or orphans:
            log.info("cleanup removed %d temp files and %d orphaned objects", staged, len(orphans))
        return staged, len(orphans)

    def _cleanup_spool(self) -> int:
        """Remove the S3 temp files (object copies, Parquet parts) a killed worker left.

        Only old ones: a worker process sharing the data directory may be
        validating from a young one right now.
        """
        removed = 0
        cutoff = time.time() - SPOOL_GRACE_SECONDS
        # Everything in the spool is a temp file of one job.
        for path in self.settings.spool_dir.glob("*"):
            with contextlib.suppress(FileNotFoundError):
                if path.stat().st_mtime < cutoff:
                    path.unlink()
                    removed += 1
        return removed

    def seed_demo(self) -> IssuedClient | None:
        """On an empty database: customer demo, app myAppId, a client with the default scopes."""
        if not self.settings.demo or self.tenants.count_customers() > 0:
            return None
        self.admin.create_customer("demo")
        self.admin.create_app("demo", "myAppId")
        return self.admin.create_client("demo")


def create_app(settings: Settings) -> LandingzoneApp:
    """A fresh ASGI app for ``settings`` (the database must already be migrated)."""
    return create_asgi_app(Services.build(settings).api_context())


def app_from_env() -> LandingzoneApp:
    """Factory for the HTTP server's worker processes: settings from ``LZ_*``."""
    from landingzone.logs import configure_logging

    settings = Settings()
    configure_logging(settings.log_level)
    return create_app(settings)
