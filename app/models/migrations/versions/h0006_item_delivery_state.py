"""items: the delivery state of each item's decision (issue 9)

Decisions now go to the gateway, which delivers them to SF2900 and reports the delivery state
of each item (afventer → sendt → accepteret / afvist_af_dubu / fejlet, or afsluttet for the
distributor's Afvis). The cache keeps per item `delivery_state` ("ny" when there is no
decision, "lokal" while it is queued on this PC), `delivery_reason`, `decision_id` (the outbox
entry's transaction id) and `follow_up` (no business receipt in time), and an index so the
inbox's delivery column sorts in SQL.

Items decided before this revision get a state from their outbox: an open entry is "lokal", a
delivered decision "sendt" (the old client delivered to SF2900 itself), a delivered reject
"afsluttet", a refused one "fejlet" with its reason.

Revision ID: h0006
Revises: f0005
"""

import sqlalchemy as sa
from alembic import op

revision = "h0006"
down_revision = "f0005"
branch_labels = None
depends_on = None

_LATEST = "(SELECT max(o.id) FROM outbox o WHERE o.item_id = items.id AND o.status != 'cancelled')"


def upgrade() -> None:
    with op.batch_alter_table("items", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("delivery_state", sa.String(16), nullable=False, server_default="ny")
        )
        batch_op.add_column(sa.Column("delivery_reason", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("decision_id", sa.String(36), nullable=True))
        batch_op.add_column(
            sa.Column("follow_up", sa.Boolean(), nullable=False, server_default="0")
        )
        batch_op.create_index(
            "ix_items_inbox_delivery", ["delivery_state", "id", "status"], unique=False
        )
    op.execute(
        f"""
        UPDATE items SET
          decision_id = (SELECT o.transaction_id FROM outbox o WHERE o.id = {_LATEST}),
          delivery_state = (SELECT CASE
              WHEN o.status IN ('pending', 'sending') THEN 'lokal'
              WHEN o.status = 'rejected' THEN 'fejlet'
              WHEN o.action = 'reject' THEN 'afsluttet'
              ELSE 'sendt' END
            FROM outbox o WHERE o.id = {_LATEST}),
          delivery_reason = (SELECT CASE WHEN o.status = 'rejected' THEN o.last_error END
            FROM outbox o WHERE o.id = {_LATEST})
        WHERE {_LATEST} IS NOT NULL
        """
    )


def downgrade() -> None:
    with op.batch_alter_table("items", schema=None) as batch_op:
        batch_op.drop_index("ix_items_inbox_delivery")
        batch_op.drop_column("follow_up")
        batch_op.drop_column("decision_id")
        batch_op.drop_column("delivery_reason")
        batch_op.drop_column("delivery_state")
