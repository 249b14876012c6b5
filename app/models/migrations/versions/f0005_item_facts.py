"""item facts: what the one parse at ingest extracted, and loose file bytes

`item_facts` holds each item's `MessageFacts` as JSON (header, file index with each file's span
in the raw blob, body and PDF text, CPR and case-number candidates), so selecting, suggesting,
the access log and delivery never parse the MeMo again. `item_file_data` holds the decoded bytes
of the rare file whose base64 text is not verbatim in the raw blob. `pdf_pending` marks facts whose
PDF text the sync still has to extract (it does so right after storing a page).

Items cached before this revision get their facts from the sync's one-time backfill
(`app.core.sync.backfill_facts`), which parses each of them once.

Revision ID: f0005
Revises: m0004
"""

import sqlalchemy as sa
from alembic import op

revision = "f0005"
down_revision = "m0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "item_facts",
        sa.Column("item_id", sa.Integer(), nullable=False),
        sa.Column("facts", sa.Text(), nullable=False),
        sa.Column("pdf_pending", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(["item_id"], ["items.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("item_id"),
    )
    with op.batch_alter_table("item_facts", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_item_facts_pdf_pending"), ["pdf_pending"], unique=False
        )
    op.create_table(
        "item_file_data",
        sa.Column("item_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("content", sa.LargeBinary(), nullable=False),
        sa.ForeignKeyConstraint(["item_id"], ["items.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("item_id", "position"),
    )


def downgrade() -> None:
    op.drop_table("item_file_data")
    op.drop_table("item_facts")
