"""SQLAlchemy Core tables: the metadata schema. Changes need an Alembic migration."""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Column,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
    false,
)

metadata = MetaData(
    naming_convention={
        "ix": "ix_%(column_0_label)s",
        "uq": "uq_%(table_name)s_%(column_0_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)

# Facts about the installation itself, e.g. which secret key its hashes were made with.
server_facts = Table(
    "server_facts",
    metadata,
    Column("name", String(64), primary_key=True),
    Column("value", String(255), nullable=False),
)

customers = Table(
    "customers",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("name", String(64), nullable=False, unique=True),
    Column("timezone", String(64), nullable=False, server_default="UTC"),
    Column("created_at", DateTime(timezone=True), nullable=False),
    # A disabled customer's clients get no tokens, and their tokens are refused.
    Column("disabled_at", DateTime(timezone=True), nullable=True),
)

apps = Table(
    "apps",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("customer_id", ForeignKey("customers.id"), nullable=False),
    Column("app_id", String(64), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    UniqueConstraint("customer_id", "app_id", name="uq_apps_customer_app"),
)

clients = Table(
    "clients",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("client_id", String(64), nullable=False, unique=True),
    # None for an operator client: it belongs to no customer and may hold `admin` (SPEC §9).
    Column("customer_id", ForeignKey("customers.id"), nullable=True, index=True),
    Column("secret_hash", String(64), nullable=False),
    Column("api_key_hash", String(64), nullable=False),
    Column("scopes", String(255), nullable=False),
    Column("label", String(200), nullable=True),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("disabled_at", DateTime(timezone=True), nullable=True),
    # When the client was last issued an access token.
    Column("last_used_at", DateTime(timezone=True), nullable=True),
    # One more on each rotation; tokens carry it, so older tokens are refused.
    Column("credentials_version", Integer, nullable=False, server_default="0"),
)

# One row per stored object version. ``upload_id`` is the signed URL's id: its
# uniqueness is what makes every URL single-use, even across API processes.
objects = Table(
    "objects",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("storage_id", String(64), nullable=False, unique=True),
    Column("upload_id", String(64), nullable=False, unique=True),
    Column("customer_id", ForeignKey("customers.id"), nullable=False),
    Column("app_pk", ForeignKey("apps.id"), nullable=True),
    Column("object_key", String(1024), nullable=False),
    Column("version", Integer, nullable=False),
    Column("filename", String(1024), nullable=False),
    Column("type", String(64), nullable=True),
    Column("size", BigInteger, nullable=False),
    Column("sha256", String(64), nullable=False),
    Column("md5", String(32), nullable=False),
    Column("uploaded_at", DateTime(timezone=True), nullable=False),
    # A retracted file's object: the row stays, so its version is never reused; its
    # bytes are deleted. Listings, downloads and `admin verify` skip it.
    Column("deleted_at", DateTime(timezone=True), nullable=True),
    UniqueConstraint("customer_id", "object_key", "version", name="uq_objects_key_version"),
    Index("ix_objects_app_newest", "app_pk", "id"),
    # The operator's listing of one customer's objects, newest first (keyset pages).
    Index("ix_objects_customer_newest", "customer_id", "id"),
)

# Every change to a dataset type is a new version; a file keeps the version it
# was uploaded against, so editing a schema never changes how a file in flight
# is validated.
dataset_types = Table(
    "dataset_types",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("name", String(64), nullable=False),
    Column("version", Integer, nullable=False),
    Column("definition", Text, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    UniqueConstraint("name", "version", name="uq_dataset_types_name_version"),
)

# Files API uploads (SPEC §4). The row is the truth of a file's progress: its
# status, its upload (upload_id is the signed URL's id) and, once validated,
# its statistics.
files = Table(
    "files",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("customer_id", ForeignKey("customers.id"), nullable=False),
    Column("dataset_type_id", ForeignKey("dataset_types.id"), nullable=False),
    Column("dataset_name", String(64), nullable=False),
    Column("name", String(1024), nullable=False),
    Column("file_type", String(16), nullable=False),
    Column("status", String(16), nullable=False),
    Column("failure_reason", String(1024), nullable=True),
    Column("upload_id", String(64), nullable=False, unique=True),
    Column("url_expires_at", DateTime(timezone=True), nullable=False),
    Column("object_pk", ForeignKey("objects.id"), nullable=True),
    Column("size", BigInteger, nullable=True),
    Column("sha256", String(64), nullable=True),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("uploaded_at", DateTime(timezone=True), nullable=True),
    Column("started_at", DateTime(timezone=True), nullable=True),
    Column("finished_at", DateTime(timezone=True), nullable=True),
    # The pipeline's claim: attempt is the fencing token; a worker may commit
    # only while the row still carries its attempt and status Processing.
    Column("attempt", Integer, nullable=False, server_default="0"),
    # The attempt at an operator's last retry: the retry budget counts attempts after it
    # (``attempt`` itself never goes back, being the fencing token).
    Column("attempts_before_retry", Integer, nullable=False, server_default="0"),
    Column("lease_owner", String(64), nullable=True),
    Column("lease_expires_at", DateTime(timezone=True), nullable=True),
    Column("rows_total", BigInteger, nullable=True),
    Column("rows_imported", BigInteger, nullable=True),
    Column("rows_rejected", BigInteger, nullable=True),
    Column("duration_ms", BigInteger, nullable=True),
    Column("error_count", BigInteger, nullable=False, server_default="0"),
    Column("errors_truncated", Boolean, nullable=False, server_default=false()),
    # Replace and retract (SPEC §4): the file this one replaces once it Completes, the
    # file that superseded this one, and when this one left analytics (superseded or
    # retracted). ``purge_pending``: its Parquet parts (retracted: its bytes too) are
    # still to be removed; set in the retiring commit, cleared once they are gone.
    Column("replaces", String(36), nullable=True, index=True),
    Column("superseded_by", String(36), nullable=True),
    Column("retired_at", DateTime(timezone=True), nullable=True),
    Column("purge_pending", Boolean, nullable=False, server_default=false(), index=True),
    Index("ix_files_customer_created", "customer_id", "created_at", "id"),
    Index("ix_files_status", "status"),
    # The operator's listing across customers (newest first, keyset pages), per filter.
    Index("ix_files_created", "created_at", "id"),
    Index("ix_files_status_created", "status", "created_at", "id"),
    Index("ix_files_dataset_created", "dataset_name", "created_at", "id"),
    Index("ix_files_customer_status_created", "customer_id", "status", "created_at", "id"),
)

# The first errors of a validated file (up to the validator's cap), in row order.
file_errors = Table(
    "file_errors",
    metadata,
    Column("file_id", ForeignKey("files.id"), primary_key=True),
    Column("seq", Integer, primary_key=True),
    Column("row", BigInteger, nullable=False),
    Column("column", Integer, nullable=True),
    Column("field", String(255), nullable=True),
    Column("value", String(255), nullable=True),
    Column("code", String(32), nullable=False),
    Column("message", String(1024), nullable=False),
)

# Upload API (SPEC §5). A Name is claimed once per customer (the unique row
# makes "exists without Overwrite" race-free); each UploadData under it is a
# submission, and its processing token is the public id.
submission_names = Table(
    "submission_names",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("customer_id", ForeignKey("customers.id"), nullable=False),
    Column("name", String(256), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    UniqueConstraint("customer_id", "name", name="uq_submission_names_customer_name"),
)

# One UploadData call. ``id`` orders submissions of a Name: a completed one
# replaces every earlier completed one (``replaced_by``), never a later one.
# The CSV bodies and the computed outputs are objects in the object store.
submissions = Table(
    "submissions",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("token", String(36), nullable=False, unique=True),
    Column("name_id", ForeignKey("submission_names.id"), nullable=False),
    Column("customer_id", ForeignKey("customers.id"), nullable=False),
    Column("client_id", String(64), nullable=False),
    Column("status", String(32), nullable=False),
    Column("data_time_zone", String(64), nullable=False),
    Column("event_time_zone", String(64), nullable=False),
    Column("data_storage_id", String(64), nullable=False),
    Column("events_storage_id", String(64), nullable=True),
    # The stored bytes' SHA-256 (none on rows from before migration 0007).
    Column("data_sha256", String(64), nullable=True),
    Column("events_sha256", String(64), nullable=True),
    Column("feedback_storage_id", String(64), nullable=True),
    Column("results_storage_id", String(64), nullable=True),
    Column("failure_reason", String(1024), nullable=True),
    Column("data_rows", BigInteger, nullable=True),
    Column("event_rows", BigInteger, nullable=True),
    Column("error_count", BigInteger, nullable=False, server_default="0"),
    Column("replaced_by", String(36), nullable=True),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("started_at", DateTime(timezone=True), nullable=True),
    Column("finished_at", DateTime(timezone=True), nullable=True),
    Column("attempt", Integer, nullable=False, server_default="0"),
    Column("lease_owner", String(64), nullable=True),
    Column("lease_expires_at", DateTime(timezone=True), nullable=True),
    Index("ix_submissions_status", "status"),
    Index("ix_submissions_name", "name_id", "id"),
    # The operator's listing across customers (newest first, keyset pages), per filter.
    Index("ix_submissions_created", "created_at", "id"),
    Index("ix_submissions_customer_created", "customer_id", "created_at", "id"),
    Index("ix_submissions_status_created", "status", "created_at", "id"),
)

# Who did what (SPEC §9): one row per state change, inserted in the transaction
# that makes the change, so a change and its row commit or vanish together.
# ``actor`` is a client id, ``user:EMAIL`` or ``cli``; ``customer_id`` is None
# for installation-wide changes (operator clients, dataset types). Never a secret.
audit_log = Table(
    "audit_log",
    metadata,
    Column("id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True),
    Column("at", DateTime(timezone=True), nullable=False),
    Column("actor", String(320), nullable=False),
    Column("customer_id", ForeignKey("customers.id"), nullable=True),
    Column("action", String(64), nullable=False),
    Column("target", String(1024), nullable=False),
    Column("request_id", String(64), nullable=True),
    Column("outcome", String(32), nullable=False),
    # Read newest first by (at, id), a keyset page at a time: each filter has an
    # index ending in (at, id), so ``since`` bounds the same range scan.
    Index("ix_audit_log_newest", "at", "id"),
    Index("ix_audit_log_customer_newest", "customer_id", "at", "id"),
    Index("ix_audit_log_customer_action_newest", "customer_id", "action", "at", "id"),
    Index("ix_audit_log_actor_newest", "actor", "at", "id"),
    Index("ix_audit_log_action_newest", "action", "at", "id"),
)

# Portal users (SPEC §10): people, apart from OAuth clients. ``email`` is stored
# normalised (trimmed, lower-case), so the unique constraint is case-insensitive.
# Only the Argon2id hash of a password is kept; ``must_change_password`` marks a
# one-time password, and ``password_changed_at`` lets sessions issued before a
# change or reset be refused.
users = Table(
    "users",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("email", String(254), nullable=False, unique=True),
    Column("role", String(16), nullable=False),
    # The member's customer; None for an operator (every customer).
    Column("customer_id", ForeignKey("customers.id"), nullable=True, index=True),
    Column("password_hash", String(255), nullable=False),
    Column("must_change_password", Boolean, nullable=False, server_default=false()),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("password_changed_at", DateTime(timezone=True), nullable=False),
    Column("disabled_at", DateTime(timezone=True), nullable=True),
    Column("last_sign_in_at", DateTime(timezone=True), nullable=True),
    CheckConstraint(
        "(role = 'operator' AND customer_id IS NULL)"
        " OR (role = 'member' AND customer_id IS NOT NULL)",
        name="ck_users_role_customer",
    ),
)

# Idempotency-Key claims and answers (SPEC §4, domain/idempotency.py). One row per
# client and key: the unique constraint is what lets only one of two racing requests
# run. ``fingerprint`` is the SHA-256 of the request's canonical form (never its body);
# ``claim`` fences a taken-over claim's late answer; ``status``, ``media_type`` and
# ``body`` are the first answer, NULL while its request runs. Rows live 24 hours.
idempotency_keys = Table(
    "idempotency_keys",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("client_id", String(64), nullable=False),
    Column("key", String(255), nullable=False),
    Column("fingerprint", String(64), nullable=False),
    Column("claim", String(32), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("status", Integer, nullable=True),
    Column("media_type", String(255), nullable=True),
    Column("body", LargeBinary, nullable=True),
    UniqueConstraint("client_id", "key", name="uq_idempotency_keys_client_key"),
    Index("ix_idempotency_keys_created", "created_at"),
)
