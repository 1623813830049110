"""pipeline: claims with leases and attempts, statistics, stored errors

Revision ID: 0005
Revises: 0004
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("files", schema=None) as batch_op:
        batch_op.add_column(sa.Column("attempt", sa.Integer(), server_default="0", nullable=False))
        batch_op.add_column(sa.Column("lease_owner", sa.String(length=64), nullable=True))
        batch_op.add_column(
            sa.Column("lease_expires_at", sa.DateTime(timezone=True), nullable=True)
        )
        batch_op.add_column(sa.Column("rows_total", sa.BigInteger(), nullable=True))
        batch_op.add_column(sa.Column("rows_imported", sa.BigInteger(), nullable=True))
        batch_op.add_column(sa.Column("rows_rejected", sa.BigInteger(), nullable=True))
        batch_op.add_column(sa.Column("duration_ms", sa.BigInteger(), nullable=True))
        batch_op.add_column(
            sa.Column("error_count", sa.BigInteger(), server_default="0", nullable=False)
        )
        batch_op.add_column(
            sa.Column("errors_truncated", sa.Boolean(), server_default=sa.false(), nullable=False)
        )
    op.create_table(
        "file_errors",
        sa.Column("file_id", sa.String(length=36), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("row", sa.BigInteger(), nullable=False),
        sa.Column("column", sa.Integer(), nullable=True),
        sa.Column("field", sa.String(length=255), nullable=True),
        sa.Column("value", sa.String(length=255), nullable=True),
        sa.Column("code", sa.String(length=32), nullable=False),
        sa.Column("message", sa.String(length=1024), nullable=False),
        sa.ForeignKeyConstraint(
            ["file_id"], ["files.id"], name=op.f("fk_file_errors_file_id_files")
        ),
        sa.PrimaryKeyConstraint("file_id", "seq", name=op.f("pk_file_errors")),
    )


def downgrade() -> None:
    op.drop_table("file_errors")
    with op.batch_alter_table("files", schema=None) as batch_op:
        for name in (
            "errors_truncated", "error_count", "duration_ms", "rows_rejected",
            "rows_imported", "rows_total", "lease_expires_at", "lease_owner", "attempt",
        ):  # fmt: skip
            batch_op.drop_column(name)
