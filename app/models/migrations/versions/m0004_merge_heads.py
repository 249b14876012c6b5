"""merge the area branches (client_core c0002, ui e0003, audit g0002) into one line

Three areas each added a revision on top of 0001. From here on the chain is straight: every new
revision revises the single head (`alembic heads` shows one), and `app.models.db.migrate`
upgrades to "head".

Revision ID: m0004
Revises: c0002, e0003, g0002
"""

revision = "m0004"
down_revision = ("c0002", "e0003", "g0002")
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass  # a merge point: the three branches touch different tables and indexes


def downgrade() -> None:
    pass
