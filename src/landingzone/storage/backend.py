"""Local disk or S3, decided once: the storage capabilities the rest of the server is wired with.

Nothing outside ``storage/`` asks which backend it runs on; it is handed the
capabilities this record names, and a capability the backend lacks is None.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote, urlparse

from landingzone.errors import ConfigurationError
from landingzone.settings import Settings
from landingzone.storage.analytics import AnalyticsStore
from landingzone.storage.local import LocalObjectStore
from landingzone.storage.local_analytics import LocalAnalyticsStore
from landingzone.storage.s3 import S3Location, S3ObjectStore, make_client, resolve_region
from landingzone.storage.s3_analytics import AnalyticsBucket, S3AnalyticsStore
from landingzone.storage.s3_downloads import S3DownloadLinks
from landingzone.storage.s3_signing import S3UrlSigner


@dataclass(frozen=True)
class Backend:
    """The object store and what comes with it."""

    store: LocalObjectStore | S3ObjectStore
    # Receives PUT bodies itself (the embedded object endpoint): the local-disk store.
    # None on S3, where uploaders PUT to the store's own pre-signed URLs.
    staging: LocalObjectStore | None
    # The store's own pre-signed upload URLs; None: landingzone signs its own.
    presigner: S3UrlSigner | None
    # Where pre-signed uploads arrive before they are landed; None: every PUT is seen.
    incoming: S3ObjectStore | None
    # Parquet next to the objects: in the bucket with S3 storage, else on local disk.
    analytics: AnalyticsStore
    # Seconds past its URL's expiry before an unused upload is failed: on S3 an upload
    # that started in time lands only when the lander sees it.
    landing_grace: float
    # Short-lived pre-signed GETs that downloads redirect to; None: landingzone streams
    # the bytes itself (local disk).
    download_links: S3DownloadLinks | None = None


def open_backend(settings: Settings) -> Backend:
    """The backend ``LZ_STORAGE_URL`` names: file:// (local disk) or s3:// (any S3)."""
    url = urlparse(settings.effective_storage_url)
    if url.scheme == "file":
        local = LocalObjectStore(Path(unquote(url.path)))
        return Backend(
            store=local,
            staging=local,
            presigner=None,
            incoming=None,
            analytics=LocalAnalyticsStore(settings.data_dir / "analytics"),
            landing_grace=0.0,
        )
    if url.scheme == "s3":
        location = S3Location.parse(settings.effective_storage_url)
        s3 = S3ObjectStore(make_client(settings.s3_endpoint_url, settings.s3_region), location)
        public = settings.s3_public_endpoint_url or settings.s3_endpoint_url
        return Backend(
            store=s3,
            staging=None,
            presigner=S3UrlSigner(s3, public, settings.s3_region),
            incoming=s3,
            analytics=S3AnalyticsStore(
                AnalyticsBucket(s3.client, s3.location),
                settings.spool_dir,
                settings.s3_endpoint_url,
                resolve_region(settings.s3_region),
            ),
            landing_grace=settings.s3_landing_grace,
            download_links=S3DownloadLinks(s3, public, settings.s3_region),
        )
    raise ConfigurationError(
        f"LZ_STORAGE_URL '{settings.effective_storage_url}': use file:///absolute/path "
        "(local disk) or s3://bucket/prefix (any S3-compatible store)."
    )
