"""control plane: the audit log, and clients that belong to no customer (operators)

Operator clients (SPEC §9) have no customer, so ``clients.customer_id`` becomes
nullable; every client gains a ``label``, ``last_used_at`` and a
``credentials_version`` (rotation refuses tokens of older versions), and a customer
``disabled_at``. Only operator clients may hold ``admin`` now: customer clients of
older installations that hold it lose it here (create an operator client instead).
``audit_log`` records one row per state change, written in the change's own
transaction.

Revision ID: 0008
Revises: 0007
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("clients", schema=None) as batch_op:
        batch_op.alter_column("customer_id", existing_type=sa.Integer(), nullable=True)
        batch_op.add_column(sa.Column("label", sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column("last_used_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(
            sa.Column("credentials_version", sa.Integer(), nullable=False, server_default="0")
        )
    with op.batch_alter_table("customers", schema=None) as batch_op:
        batch_op.add_column(sa.Column("disabled_at", sa.DateTime(timezone=True), nullable=True))
    strip_admin_from_customer_clients()
    op.create_table(
        "audit_log",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), primary_key=True),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor", sa.String(length=320), nullable=False),
        sa.Column("customer_id", sa.Integer(), nullable=True),
        sa.Column("action", sa.String(length=64), nullable=False),
        sa.Column("target", sa.String(length=1024), nullable=False),
        sa.Column("request_id", sa.String(length=64), nullable=True),
        sa.Column("outcome", sa.String(length=32), nullable=False),
        sa.ForeignKeyConstraint(
            ["customer_id"],
            ["customers.id"],
            name=op.f("fk_audit_log_customer_id_customers"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_log")),
    )
    op.create_index("ix_audit_log_customer", "audit_log", ["customer_id", "id"])
    op.create_index("ix_audit_log_actor", "audit_log", ["actor", "id"])
    op.create_index("ix_audit_log_action", "audit_log", ["action", "id"])
    op.create_index("ix_audit_log_at", "audit_log", ["at"])


def strip_admin_from_customer_clients() -> None:
    """``admin`` is an operator client's scope only (SPEC §9): customer clients keep the rest."""
    clients = sa.table(
        "clients",
        sa.column("id", sa.Integer()),
        sa.column("customer_id", sa.Integer()),
        sa.column("scopes", sa.String()),
    )
    conn = op.get_bind()
    rows = conn.execute(
        sa.select(clients.c.id, clients.c.scopes).where(clients.c.customer_id.isnot(None))
    ).all()
    for row in rows:
        scopes = row.scopes.split()
        if "admin" in scopes:
            kept = " ".join(s for s in scopes if s != "admin")
            conn.execute(sa.update(clients).where(clients.c.id == row.id).values(scopes=kept))


def downgrade() -> None:
    op.drop_table("audit_log")
    with op.batch_alter_table("customers", schema=None) as batch_op:
        batch_op.drop_column("disabled_at")
    with op.batch_alter_table("clients", schema=None) as batch_op:
        batch_op.drop_column("credentials_version")
        batch_op.drop_column("last_used_at")
        batch_op.drop_column("label")
        batch_op.alter_column("customer_id", existing_type=sa.Integer(), nullable=False)
