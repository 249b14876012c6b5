"""inbox sort indexes (UI area E)

Every inbox column sorts in SQL; these indexes keep ORDER BY on 100k items fast
(the rowid rides along, so ties break by id without extra work).

Revision ID: e0002
Revises: 0001
"""

from alembic import op

revision = "e0002"
down_revision = "0001"
branch_labels = ("ui",)
depends_on = None

_INDEXES = {
    "ix_items_sender_label": ["sender_label"],
    "ix_items_label": ["label"],
    "ix_items_contact_point_label": ["contact_point_label"],
    "ix_items_suggested_score": ["suggested_score"],
    "ix_items_read_status": ["read", "status"],
}


def upgrade() -> None:
    with op.batch_alter_table("items", schema=None) as batch_op:
        for name, columns in _INDEXES.items():
            batch_op.create_index(name, columns, unique=False)


def downgrade() -> None:
    with op.batch_alter_table("items", schema=None) as batch_op:
        for name in _INDEXES:
            batch_op.drop_index(name)
