"""inbox covering indexes (UI area E)

The default inbox order (received_at, id) with the common filters (status, kind, read, contact
point, assignee, claim) becomes an index-only scan; the sort indexes of e0002 get `id` as tie
breaker and `status` so the "Ufordelte" view sorts without table lookups.

Revision ID: e0003
Revises: e0002
"""

from alembic import op

revision = "e0003"
down_revision = "e0002"
branch_labels = None
depends_on = None

_OLD = {
    "ix_items_sender_label": ["sender_label"],
    "ix_items_label": ["label"],
    "ix_items_contact_point_label": ["contact_point_label"],
    "ix_items_suggested_score": ["suggested_score"],
}
_NEW = {
    "ix_items_inbox_received": [
        "received_at",
        "id",
        "status",
        "kind",
        "read",
        "contact_point_id",
        "assignee_id",
        "claimed_by",
    ],
    "ix_items_inbox_sender": ["sender_label", "id", "status"],
    "ix_items_inbox_label": ["label", "id", "status"],
    "ix_items_inbox_cp_label": ["contact_point_label", "id", "status"],
    "ix_items_inbox_score": ["suggested_score", "id", "status"],
    "ix_items_inbox_kind": ["kind", "id", "status"],
    "ix_items_inbox_status": ["status", "id"],
}


def upgrade() -> None:
    with op.batch_alter_table("items", schema=None) as batch_op:
        for name in _OLD:
            batch_op.drop_index(name)
        for name, columns in _NEW.items():
            batch_op.create_index(name, columns, unique=False)
    op.execute("ANALYZE items")


def downgrade() -> None:
    with op.batch_alter_table("items", schema=None) as batch_op:
        for name in _NEW:
            batch_op.drop_index(name)
        for name, columns in _OLD.items():
            batch_op.create_index(name, columns, unique=False)
