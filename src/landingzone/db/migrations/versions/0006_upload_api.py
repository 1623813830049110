"""upload api: submission names and submissions

Revision ID: 0006
Revises: 0005
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "submission_names",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("customer_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=256), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["customer_id"],
            ["customers.id"],
            name=op.f("fk_submission_names_customer_id_customers"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_submission_names")),
        sa.UniqueConstraint("customer_id", "name", name="uq_submission_names_customer_name"),
    )
    op.create_table(
        "submissions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("token", sa.String(length=36), nullable=False),
        sa.Column("name_id", sa.Integer(), nullable=False),
        sa.Column("customer_id", sa.Integer(), nullable=False),
        sa.Column("client_id", sa.String(length=64), nullable=False),
        sa.Column("status", sa.String(length=32), nullable=False),
        sa.Column("data_time_zone", sa.String(length=64), nullable=False),
        sa.Column("event_time_zone", sa.String(length=64), nullable=False),
        sa.Column("data_storage_id", sa.String(length=64), nullable=False),
        sa.Column("events_storage_id", sa.String(length=64), nullable=True),
        sa.Column("feedback_storage_id", sa.String(length=64), nullable=True),
        sa.Column("results_storage_id", sa.String(length=64), nullable=True),
        sa.Column("failure_reason", sa.String(length=1024), nullable=True),
        sa.Column("data_rows", sa.BigInteger(), nullable=True),
        sa.Column("event_rows", sa.BigInteger(), nullable=True),
        sa.Column("error_count", sa.BigInteger(), server_default="0", nullable=False),
        sa.Column("replaced_by", sa.String(length=36), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("attempt", sa.Integer(), server_default="0", nullable=False),
        sa.Column("lease_owner", sa.String(length=64), nullable=True),
        sa.Column("lease_expires_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["customer_id"], ["customers.id"], name=op.f("fk_submissions_customer_id_customers")
        ),
        sa.ForeignKeyConstraint(
            ["name_id"],
            ["submission_names.id"],
            name=op.f("fk_submissions_name_id_submission_names"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_submissions")),
        sa.UniqueConstraint("token", name=op.f("uq_submissions_token")),
    )
    with op.batch_alter_table("submissions", schema=None) as batch_op:
        batch_op.create_index("ix_submissions_status", ["status"], unique=False)
        batch_op.create_index("ix_submissions_name", ["name_id", "id"], unique=False)


def downgrade() -> None:
    op.drop_table("submissions")
    op.drop_table("submission_names")
