"""The analytics store in the S3 bucket: ``{prefix}analytics/`` holds the same Hive layout.

A part is written to a local temp file under the spool directory (pyarrow's
writer and the duplicate-dropping rewrite need a file), then uploaded: S3
makes an object visible only once its upload completes, so readers never see
a partial part, as with the local store's rename. Row counts read each part's
footer with ranged GETs (pyarrow's S3 filesystem), never the data.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING

from landingzone.storage.analytics_layout import file_prefix, older_parts, part_name
from landingzone.storage.parquet import PartWriter
from landingzone.storage.s3 import S3ObjectStore, vendor_errors

if TYPE_CHECKING:
    import pyarrow.fs as pafs

ANALYTICS = "analytics/"


class S3AnalyticsStore:
    def __init__(
        self, store: S3ObjectStore, spool_dir: Path, endpoint_url: str | None, region: str
    ) -> None:
        self._store = store
        self._spool_dir = spool_dir
        self._endpoint_url = endpoint_url
        self._region = region

    @property
    def root(self) -> str:
        return f"{self._store.prefix}{ANALYTICS}"

    def key(self, dataset: str, customer: str, file_id: str, attempt: int) -> str:
        return self.root + part_name(dataset, customer, file_id, attempt)

    def writer(
        self,
        dataset: str,
        customer: str,
        file_id: str,
        attempt: int,
        dictionary_columns: Sequence[str] = (),
    ) -> PartWriter:
        temp = self._spool_dir / f"analytics-{file_id}-{int(attempt)}.parquet.tmp"
        publish = partial(self._upload, self.key(dataset, customer, file_id, attempt))
        return PartWriter(temp, publish, dictionary_columns)

    def _upload(self, key: str, path: Path) -> None:
        with vendor_errors("analytics upload"):
            self._store.client.upload_file(str(path), self._store.bucket, key)

    def remove_older(self, dataset: str, customer: str, file_id: str, attempt: int) -> None:
        prefix = f"{self.root}{file_prefix(dataset, customer, file_id)}/"
        names = [item["Key"][len(prefix) :] for item in self._store.list_keys(prefix)]
        for name in older_parts(names, attempt):
            self._delete(prefix + name)

    def drop_part(self, dataset: str, customer: str, file_id: str, attempt: int) -> None:
        self._delete(self.key(dataset, customer, file_id, attempt))

    def _delete(self, key: str) -> None:
        with vendor_errors("analytics delete"):
            self._store.client.delete_object(Bucket=self._store.bucket, Key=key)

    def row_counts(self, dataset: str, customer: str, parts: dict[str, int]) -> dict[str, int]:
        import pyarrow.parquet as pq

        filesystem = self._filesystem()
        counts: dict[str, int] = {}
        for file_id, attempt in parts.items():
            path = f"{self._store.bucket}/{self.key(dataset, customer, file_id, attempt)}"
            try:
                counts[file_id] = pq.read_metadata(path, filesystem=filesystem).num_rows
            except FileNotFoundError:
                continue  # no part: a file whose every row was rejected
        return counts

    def _filesystem(self) -> pafs.S3FileSystem:
        """pyarrow's S3 client with the current boto3 credentials (they may rotate)."""
        import boto3
        import pyarrow.fs as pafs

        credentials = boto3.session.Session().get_credentials()
        frozen = credentials.get_frozen_credentials() if credentials else None
        options: dict[str, object] = {"region": self._region}
        if frozen is not None:
            options.update(
                access_key=frozen.access_key,
                secret_key=frozen.secret_key,
                session_token=frozen.token,
            )
        if self._endpoint_url:
            scheme, _, host = self._endpoint_url.partition("://")
            options.update(endpoint_override=host, scheme=scheme)
        return pafs.S3FileSystem(**options)
