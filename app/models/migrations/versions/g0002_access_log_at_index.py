"""access log: index on `at` (area G, audit/retention)

Retention deletes access-log rows by age in small batches while the app runs; without an index
each batch would scan the whole log (it grows by every view × CPRs for years).

Revision ID: g0002
Revises: 0001
"""

from alembic import op

revision = "g0002"
down_revision = "0001"
branch_labels = ("audit",)
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("access_log", schema=None) as batch_op:
        batch_op.create_index("ix_access_log_at", ["at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("access_log", schema=None) as batch_op:
        batch_op.drop_index("ix_access_log_at")
