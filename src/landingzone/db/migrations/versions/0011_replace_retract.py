"""replace and retract: a file may supersede another, and be retracted (SPEC §4)

``files.replaces`` names the file a new upload replaces; when the new file
Completes, the replaced one becomes Superseded (``superseded_by``) in the same
commit. ``retired_at`` is when a file left analytics (superseded or retracted);
``purge_pending`` marks a retired file whose Parquet parts (and, retracted, bytes)
are still to be removed after the commit: a crash in between leaves the flag, and
the pipeline's sweep finishes the job. ``objects.deleted_at`` marks a retracted
file's object: the row stays (its version number is never reused), its bytes go.

Revision ID: 0011
Revises: 0010
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("files", schema=None) as batch_op:
        batch_op.add_column(sa.Column("replaces", sa.String(36), nullable=True))
        batch_op.add_column(sa.Column("superseded_by", sa.String(36), nullable=True))
        batch_op.add_column(sa.Column("retired_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(
            sa.Column("purge_pending", sa.Boolean(), nullable=False, server_default=sa.false())
        )
    op.create_index("ix_files_replaces", "files", ["replaces"])
    op.create_index("ix_files_purge_pending", "files", ["purge_pending"])
    with op.batch_alter_table("objects", schema=None) as batch_op:
        batch_op.add_column(sa.Column("deleted_at", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("objects", schema=None) as batch_op:
        batch_op.drop_column("deleted_at")
    op.drop_index("ix_files_purge_pending", table_name="files")
    op.drop_index("ix_files_replaces", table_name="files")
    with op.batch_alter_table("files", schema=None) as batch_op:
        batch_op.drop_column("purge_pending")
        batch_op.drop_column("retired_at")
        batch_op.drop_column("superseded_by")
        batch_op.drop_column("replaces")
