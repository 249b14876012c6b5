"""outbox: remember when the outcome was recorded on the gateway

The outbox worker records each delivered decision on the gateway mailbox (record_outcome).
That second step must survive a crash between "delivered to SF2900" and "recorded on the
gateway", so it gets its own durable marker: `gateway_recorded_at` (NULL = still to do) and
`gateway_error` (last failure, plain text).

Revision ID: c0002
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

revision = "c0002"
down_revision = "0001"
branch_labels = ("client_core",)
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("gateway_recorded_at", sa.DateTime(timezone=True), nullable=True)
        )
        batch_op.add_column(sa.Column("gateway_error", sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.drop_column("gateway_error")
        batch_op.drop_column("gateway_recorded_at")
