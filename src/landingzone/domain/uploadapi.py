"""The Upload API's use-cases (SPEC §5, seed 004): UploadData and GetResults.

UploadData stores the CSV bodies durably, records the submission and answers
its processing token; the validation workers process it (``pipeline/
submission.py``). GetResults reads a submission of the caller's customer, and
its stored outputs are read from here: the HTTP layer never sees the store.
The JSON body is parsed at the edge (``api/uploadapi_body.py``).
"""

from __future__ import annotations

import hashlib
import io
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from landingzone.auth import credentials
from landingzone.domain.access import Principal
from landingzone.domain.models import NewSubmission, Submission, SubmissionStatus
from landingzone.domain.ports import SubmissionCatalog, SubmissionStore, Tenants
from landingzone.errors import (
    NameTaken,
    NoResults,
    NotFound,
    NotStored,
    ResultsNotReady,
    StorageFull,
    StorageUnavailable,
    UnknownResultKind,
    WrongCredentials,
)

DATA_KEYS = ("status", "feedback", "tableofresultids")
DOCUMENT_BLOCK = 256 * 1024  # bytes read from the store at a time when streaming an output
WRONG_KEY = "Key does not belong to this client: send the API key issued with the client_id."
WRONG_USERNAME = "Username is not this client's client_id: send the client_id or leave it out."


@dataclass(frozen=True)
class UploadDataRequest:
    """A checked UploadData body: Overwrite a boolean, TimeZone a known zone's name."""

    name: str
    data: str
    event_data: str | None
    username: str | None
    key: str
    overwrite: bool
    time_zone: str | None


@dataclass(frozen=True)
class ResultsAnswer:
    """Either a small JSON value, or a stored JSON document to stream."""

    value: Any = None
    storage_id: str | None = None


class UploadApiService:
    def __init__(
        self,
        tenants: Tenants,
        submissions: SubmissionCatalog,
        store: SubmissionStore,
        pepper: bytes,
    ) -> None:
        self._tenants = tenants
        self._submissions = submissions
        self._store = store
        self._pepper = pepper

    def check_key(self, principal: Principal, key: str) -> None:
        client = self._tenants.get_client(principal.client_id)
        if client is None or not credentials.secret_matches(self._pepper, key, client.api_key_hash):
            raise WrongCredentials(WRONG_KEY)

    def submit(self, principal: Principal, request: UploadDataRequest) -> str:
        self.check_key(principal, request.key)
        if request.username is not None and (
            request.username.strip().lower() != principal.client_id.lower()
        ):
            raise WrongCredentials(WRONG_USERNAME)
        customer = self._tenants.get_customer(principal.customer_id)
        if customer is None:
            raise NotFound("Unknown customer.")
        if not request.overwrite:
            self._refuse_taken_name(principal, request.name)
        stored: list[str] = []
        data = request.data.encode()
        events = request.event_data.encode() if request.event_data is not None else None
        try:
            try:
                stored.append(self._store.put(io.BytesIO(data)))
                if events is not None:
                    stored.append(self._store.put(io.BytesIO(events)))
            except (StorageFull, StorageUnavailable) as exc:
                raise NotStored(
                    f"The data could not be stored ({exc}); nothing was submitted: retry later."
                ) from None
            submission = self._submissions.create(
                NewSubmission(
                    token=str(uuid.uuid4()),
                    customer_id=principal.customer_id,
                    client_id=principal.client_id,
                    name=request.name,
                    overwrite=request.overwrite,
                    data_time_zone=customer.timezone,
                    event_time_zone=request.time_zone or customer.timezone,
                    data_storage_id=stored[0],
                    events_storage_id=stored[1] if len(stored) > 1 else None,
                    data_sha256=hashlib.sha256(data).hexdigest(),
                    events_sha256=hashlib.sha256(events).hexdigest()
                    if events is not None
                    else None,
                )
            )
        except BaseException:
            for storage_id in stored:
                self._store.delete(storage_id)
            raise
        return submission.token

    def _refuse_taken_name(self, principal: Principal, name: str) -> None:
        """Refuse a taken Name before storing the bodies (the insert re-checks, race-free)."""
        if self._submissions.name_exists(principal.customer_id, name):
            raise NameTaken(name)

    def results(self, principal: Principal, token: str, data_key: str, key: str) -> ResultsAnswer:
        self.check_key(principal, key)
        kind = data_key.strip().lower()
        if kind not in DATA_KEYS:
            raise UnknownResultKind(data_key[:40], DATA_KEYS)
        submission = self._find(principal, token)
        if kind == "status":
            return ResultsAnswer(value=submission.status.value)
        if submission.status in (SubmissionStatus.PENDING, SubmissionStatus.PROCESSING):
            raise ResultsNotReady(submission.status.value)
        if kind == "feedback":
            if submission.feedback_storage_id:
                return ResultsAnswer(storage_id=submission.feedback_storage_id)
            if submission.status is SubmissionStatus.FAILED:
                reason = submission.failure_reason or "processing failed"
                return ResultsAnswer(
                    value=[{"dataset": None, "row": None, "column": None,
                            "code": "processing-error", "message": reason}]
                )  # fmt: skip
            return ResultsAnswer(value=[])
        if submission.status is SubmissionStatus.FAILED:
            raise NoResults()
        assert submission.results_storage_id is not None
        return ResultsAnswer(storage_id=submission.results_storage_id)

    def document(self, storage_id: str) -> Iterator[bytes]:
        """The stored JSON output ``results`` answered, in blocks (opened when first read)."""
        with self._store.open(storage_id) as source:
            while block := source.read(DOCUMENT_BLOCK):
                yield block

    def _find(self, principal: Principal, token: str) -> Submission:
        unknown = NotFound(
            "Unknown processing token: send the token UploadData answered for your submission."
        )
        try:
            token = str(uuid.UUID(token.strip()))
        except ValueError:
            raise unknown from None
        submission = self._submissions.get(token)
        if submission is None or submission.customer_id != principal.customer_id:
            raise unknown
        if submission.replaced_by is not None:
            raise NotFound(
                f"This submission of '{submission.name}' was replaced by a later submission "
                f"with Overwrite (token {submission.replaced_by}): read that token's results."
            )
        return submission
