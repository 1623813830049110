"""The audit log's records (SPEC §9): who changed what, for which customer, and how it ended.

A use-case that changes state hands an ``AuditEntry`` to the repository method
making the change, which inserts it in the same transaction: the change and its
row commit together or not at all. Entries never carry a secret: targets are
names and ids (a client id, a customer name, a file id), never a key or token.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

OK = "ok"


@dataclass(frozen=True)
class Actor:
    """Who acts: an OAuth client id, ``user:EMAIL`` for a portal user, or ``cli``.

    ``request_id`` ties the entry to the access log line of the HTTP request that
    made the change (None for the CLI).
    """

    name: str
    request_id: str | None = None

    def did(
        self, action: str, target: str, customer_id: int | None, outcome: str = OK
    ) -> AuditEntry:
        """The entry recording that this actor did ``action`` (a dotted verb) on ``target``."""
        return AuditEntry(
            actor=self.name,
            action=action,
            target=target,
            customer_id=customer_id,
            request_id=self.request_id,
            outcome=outcome,
        )


CLI = Actor("cli")
# The validation pipeline: it changes a file's status when its result commits.
PIPELINE = Actor("pipeline")
# Whoever PUT bytes to a signed upload URL: the URL, not a client, authorizes it.
UPLOAD_URL = Actor("upload-url")
# Upload URLs issued (a batch, or a Files API file's one) and an upload stored.
ISSUE_URLS = "upload.issue"
STORE_UPLOAD = "upload.store"


@dataclass(frozen=True)
class AuditEntry:
    """One state change, about to be written: ``action`` is a dotted verb (`client.disable`)."""

    actor: str
    action: str
    target: str
    customer_id: int | None
    request_id: str | None
    outcome: str = OK


@dataclass(frozen=True)
class AuditRecord:
    """One written row of the audit log, with its customer's name."""

    id: int
    at: datetime
    actor: str
    customer: str | None
    action: str
    target: str
    request_id: str | None
    outcome: str


@dataclass(frozen=True)
class AuditFilter:
    """What `GET /admin/v1/audit` and `landingzone admin audit` narrow the log to."""

    customer_id: int | None = None
    actor: str | None = None
    action: str | None = None
    since: datetime | None = None
