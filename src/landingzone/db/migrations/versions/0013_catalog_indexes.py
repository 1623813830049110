"""catalog indexes: the audit log read newest first by (at, id), objects per customer

Measured on 2,000,000 audit rows (bench/admin_catalog.py). ``GET /admin/v1/audit``
read the log in id order and filtered ``since`` on the rows it read: without
statistics (SQLite never has them here) a ``since`` matching few rows read the whole
log (0.6 s), a customer's ``since`` all of that customer's rows, and a customer plus
an action one of the two indexes and every row of it. The log is now read by
(at, id), newest first, and every filter has an index ending in (at, id): a page,
``since`` or not, is one index range read from its upper end. A customer's actions
(``?customer=acme&action=client.rotate``) get their own index.

``GET /admin/v1/objects?customer=`` lists one customer's stored versions by id, newest
first (``list_after`` reads them oldest first from a position). No index started with
the customer and went on in id order, so a page scanned the primary key backwards past
every other customer's rows: a page of a customer with three objects read all of a
million (1 s on PostgreSQL). (customer_id, id) makes it a range scan of that
customer's rows in either direction.

Revision ID: 0013
Revises: 0012
"""

from __future__ import annotations

from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None

OLD_AUDIT_INDEXES = {
    "ix_audit_log_customer": ["customer_id", "id"],
    "ix_audit_log_actor": ["actor", "id"],
    "ix_audit_log_action": ["action", "id"],
    "ix_audit_log_at": ["at"],
}
AUDIT_INDEXES = {
    "ix_audit_log_newest": ["at", "id"],
    "ix_audit_log_customer_newest": ["customer_id", "at", "id"],
    "ix_audit_log_customer_action_newest": ["customer_id", "action", "at", "id"],
    "ix_audit_log_actor_newest": ["actor", "at", "id"],
    "ix_audit_log_action_newest": ["action", "at", "id"],
}


def upgrade() -> None:
    for name in OLD_AUDIT_INDEXES:
        op.drop_index(name, table_name="audit_log")
    for name, columns in AUDIT_INDEXES.items():
        op.create_index(name, "audit_log", columns)
    op.create_index("ix_objects_customer_newest", "objects", ["customer_id", "id"])


def downgrade() -> None:
    op.drop_index("ix_objects_customer_newest", table_name="objects")
    for name in AUDIT_INDEXES:
        op.drop_index(name, table_name="audit_log")
    for name, columns in OLD_AUDIT_INDEXES.items():
        op.create_index(name, "audit_log", columns)
