"""Tender draft items can be excluded by the procurer, with a reason that stays visible.

Revision ID: 0004_draft_item_exclusion
Revises: 0003_search_documents
Create Date: 2026-11-23

Written by hand: one nullable text column. An item is excluded when it holds a reason.
"""

import sqlalchemy as sa
from alembic import op

revision = "0004_draft_item_exclusion"
down_revision = "0003_search_documents"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("tender_draft_items", schema=None) as batch_op:
        batch_op.add_column(sa.Column("excluded_reason", sa.Text(), nullable=True))


def downgrade():
    with op.batch_alter_table("tender_draft_items", schema=None) as batch_op:
        batch_op.drop_column("excluded_reason")
