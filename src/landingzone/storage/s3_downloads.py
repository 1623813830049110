"""Short-lived pre-signed S3 GETs of committed objects: how a download is served on S3.

The bytes go from the store to the reader, never through landingzone (as the
uploads do). The URL names the object's storage key, not its logical name, and
carries the ``Content-Type`` and ``Content-Disposition`` the store must answer
with (S3's ``response-content-*`` overrides, part of what the signature covers),
so the reader saves the file under its own name.

Signed by boto3 (one URL per download, ~250 us: obstore's faster signer cannot
sign the response overrides). ``endpoint_url`` is the endpoint readers reach,
``LZ_S3_PUBLIC_ENDPOINT_URL`` when set: the host is part of what SigV4 signs.
"""

from __future__ import annotations

from landingzone.storage.s3 import S3ObjectStore, make_client, vendor_errors

# Long enough to follow a redirect, short enough that a leaked URL is soon useless.
DOWNLOAD_URL_TTL = 300


class S3DownloadLinks:
    """Pre-signed GET URLs of committed objects, valid ``ttl`` seconds."""

    def __init__(
        self,
        store: S3ObjectStore,
        endpoint_url: str | None,
        region: str | None,
        ttl: int = DOWNLOAD_URL_TTL,
    ) -> None:
        self._store = store
        # A client of its own: the endpoint readers reach may not be the one the server uses.
        self._client = make_client(endpoint_url, region)
        self.ttl = ttl

    def presign_get(self, storage_id: str, content_type: str, content_disposition: str) -> str:
        with vendor_errors("presign"):
            url: str = self._client.generate_presigned_url(
                "get_object",
                Params={
                    "Bucket": self._store.bucket,
                    "Key": self._store.key_for(storage_id),
                    "ResponseContentType": content_type,
                    "ResponseContentDisposition": content_disposition,
                },
                ExpiresIn=self.ttl,
            )
        return url
