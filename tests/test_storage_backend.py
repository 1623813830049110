"""`open_backend`: the one place that tells local disk from S3, and what each can do."""

from __future__ import annotations

from pathlib import Path

import pytest

from landingzone.errors import ConfigurationError
from landingzone.settings import Settings
from landingzone.storage.backend import open_backend
from landingzone.storage.local_analytics import LocalAnalyticsStore
from landingzone.storage.s3_analytics import S3AnalyticsStore
from tests.s3 import S3Server


def test_local_disk_receives_the_bodies_itself(tmp_path: Path) -> None:
    backend = open_backend(Settings(data_dir=tmp_path, s3_landing_grace=600))
    assert backend.staging is backend.store
    assert backend.presigner is None and backend.incoming is None
    assert isinstance(backend.analytics, LocalAnalyticsStore)
    assert backend.landing_grace == 0.0  # every PUT is seen as it happens


def test_s3_presigns_and_lands(tmp_path: Path, s3: S3Server) -> None:
    settings = Settings(
        data_dir=tmp_path,
        storage_url=f"s3://{s3.new_bucket()}/lz",
        s3_endpoint_url=s3.endpoint_url,
        s3_landing_grace=600,
    )
    backend = open_backend(settings)
    assert backend.staging is None
    assert backend.presigner is not None
    assert backend.incoming is backend.store
    assert isinstance(backend.analytics, S3AnalyticsStore)
    assert backend.landing_grace == 600


def test_an_unknown_scheme_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ConfigurationError, match="use file:///absolute/path"):
        open_backend(Settings(data_dir=tmp_path, storage_url="ftp://host/x"))
