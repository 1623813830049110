"""operator catalog: keyset indexes for the admin listings, and a retried file's fresh budget

``GET /admin/v1/files`` and ``/admin/v1/submissions`` list every customer's rows newest
first, filtered by status, dataset type or customer, a page at a time: each filter
gets an index ending in the listing's order (created_at, id), so a page is an index
range scan however large the catalog. ``files.attempts_before_retry`` is the attempt
number at an operator's last retry: the pipeline's attempt stays increasing (it is the
fencing token and names the Parquet parts), and the retry budget counts from it.

Revision ID: 0010
Revises: 0009
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

FILE_INDEXES = {
    "ix_files_created": ["created_at", "id"],
    "ix_files_status_created": ["status", "created_at", "id"],
    "ix_files_dataset_created": ["dataset_name", "created_at", "id"],
    "ix_files_customer_status_created": ["customer_id", "status", "created_at", "id"],
}
SUBMISSION_INDEXES = {
    "ix_submissions_created": ["created_at", "id"],
    "ix_submissions_customer_created": ["customer_id", "created_at", "id"],
    "ix_submissions_status_created": ["status", "created_at", "id"],
}


def upgrade() -> None:
    with op.batch_alter_table("files", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("attempts_before_retry", sa.Integer(), nullable=False, server_default="0")
        )
    for name, columns in FILE_INDEXES.items():
        op.create_index(name, "files", columns)
    for name, columns in SUBMISSION_INDEXES.items():
        op.create_index(name, "submissions", columns)


def downgrade() -> None:
    for name in SUBMISSION_INDEXES:
        op.drop_index(name, table_name="submissions")
    for name in FILE_INDEXES:
        op.drop_index(name, table_name="files")
    with op.batch_alter_table("files", schema=None) as batch_op:
        batch_op.drop_column("attempts_before_retry")
