"""items: `conflict_of`, the sender's messageUUID of a conflict item (issue 10 point 4)

The gateway keeps a message whose messageUUID it already had with other content as its own
item (its own MeddelelseUUID) and lists it with `conflictOf`, the sender's UUID. The cache
keeps that UUID so the inbox shows the item as "Konflikt" until a distributor decides.
Items cached before this revision are ordinary items (NULL).

Revision ID: i0007
Revises: h0006
"""

import sqlalchemy as sa
from alembic import op

revision = "i0007"
down_revision = "h0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("items", schema=None) as batch_op:
        batch_op.add_column(sa.Column("conflict_of", sa.String(36), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("items", schema=None) as batch_op:
        batch_op.drop_column("conflict_of")
