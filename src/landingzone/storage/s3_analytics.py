"""The analytics store in the S3 bucket: ``{prefix}analytics/`` holds the same Hive layout.

A part is written to a local temp file under the spool directory (pyarrow's
writer and the duplicate-dropping rewrite need a file), then uploaded: S3
makes an object visible only once its upload completes, so readers never see
a partial part, as with the local store's rename. Row counts read each part's
footer with ranged GETs (pyarrow's S3 filesystem), never the data.

The store reaches S3 only through ``AnalyticsBucket``: the three calls it makes
(upload a file, list keys, delete a key), not the object store's client.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING

from landingzone.storage.analytics_layout import file_prefix, older_parts, part_name
from landingzone.storage.parquet import PartWriter
from landingzone.storage.s3 import S3Location, vendor_errors

if TYPE_CHECKING:
    import pyarrow.fs as pafs
    from mypy_boto3_s3 import S3Client

ANALYTICS = "analytics/"


class AnalyticsBucket:
    """The analytics store's S3: one bucket, its ``{prefix}analytics/`` root, three calls."""

    def __init__(self, client: S3Client, location: S3Location) -> None:
        self._client = client
        self.name = location.bucket
        self.root = f"{location.prefix}{ANALYTICS}"

    def upload_file(self, path: Path, key: str) -> None:
        with vendor_errors("analytics upload"):
            self._client.upload_file(str(path), self.name, key)

    def keys(self, prefix: str) -> Iterator[str]:
        """Every key under ``prefix`` (whole keys, from the bucket's root)."""
        paginator = self._client.get_paginator("list_objects_v2")
        with vendor_errors("list"):
            for page in paginator.paginate(Bucket=self.name, Prefix=prefix):
                for item in page.get("Contents", []):
                    yield item["Key"]

    def delete(self, key: str) -> None:
        with vendor_errors("analytics delete"):
            self._client.delete_object(Bucket=self.name, Key=key)


class S3AnalyticsStore:
    def __init__(
        self, bucket: AnalyticsBucket, spool_dir: Path, endpoint_url: str | None, region: str
    ) -> None:
        self._bucket = bucket
        self._spool_dir = spool_dir
        self._endpoint_url = endpoint_url
        self._region = region

    @property
    def root(self) -> str:
        return self._bucket.root

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
        publish = partial(
            self._bucket.upload_file, key=self.key(dataset, customer, file_id, attempt)
        )
        return PartWriter(temp, publish, dictionary_columns)

    def remove_older(self, dataset: str, customer: str, file_id: str, attempt: int) -> None:
        prefix = f"{self.root}{file_prefix(dataset, customer, file_id)}/"
        names = [key[len(prefix) :] for key in self._bucket.keys(prefix)]
        for name in older_parts(names, attempt):
            self._bucket.delete(prefix + name)

    def drop_part(self, dataset: str, customer: str, file_id: str, attempt: int) -> None:
        self._bucket.delete(self.key(dataset, customer, file_id, attempt))

    def row_counts(self, dataset: str, customer: str, parts: dict[str, int]) -> dict[str, int]:
        import pyarrow.parquet as pq

        filesystem = self._filesystem()
        counts: dict[str, int] = {}
        for file_id, attempt in parts.items():
            path = f"{self._bucket.name}/{self.key(dataset, customer, file_id, attempt)}"
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
