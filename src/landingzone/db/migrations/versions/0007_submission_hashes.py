"""upload api: the SHA-256 of a submission's stored Data and EventData

Processing recomputes it as it reads, so a stored object that changed fails the
submission as corrupted instead of being read as the customer's data. Rows from
before this revision have none and are not checked.

Revision ID: 0007
Revises: 0006
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("submissions", schema=None) as batch_op:
        batch_op.add_column(sa.Column("data_sha256", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("events_sha256", sa.String(length=64), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("submissions", schema=None) as batch_op:
        batch_op.drop_column("events_sha256")
        batch_op.drop_column("data_sha256")
