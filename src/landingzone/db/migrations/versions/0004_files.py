"""files: Files API uploads and their status

Revision ID: 0004
Revises: 0003
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "files",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("customer_id", sa.Integer(), nullable=False),
        sa.Column("dataset_type_id", sa.Integer(), nullable=False),
        sa.Column("dataset_name", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=1024), nullable=False),
        sa.Column("file_type", sa.String(length=16), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("failure_reason", sa.String(length=1024), nullable=True),
        sa.Column("upload_id", sa.String(length=64), nullable=False),
        sa.Column("url_expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("object_pk", sa.Integer(), nullable=True),
        sa.Column("size", sa.BigInteger(), nullable=True),
        sa.Column("sha256", sa.String(length=64), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("uploaded_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["customer_id"], ["customers.id"], name=op.f("fk_files_customer_id_customers")
        ),
        sa.ForeignKeyConstraint(
            ["dataset_type_id"],
            ["dataset_types.id"],
            name=op.f("fk_files_dataset_type_id_dataset_types"),
        ),
        sa.ForeignKeyConstraint(
            ["object_pk"], ["objects.id"], name=op.f("fk_files_object_pk_objects")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_files")),
        sa.UniqueConstraint("upload_id", name=op.f("uq_files_upload_id")),
    )
    with op.batch_alter_table("files", schema=None) as batch_op:
        batch_op.create_index(
            "ix_files_customer_created", ["customer_id", "created_at", "id"], unique=False
        )
        batch_op.create_index("ix_files_status", ["status"], unique=False)


def downgrade() -> None:
    op.drop_table("files")
