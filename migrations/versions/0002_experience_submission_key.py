"""Experience submission key: a second click on "Spara" must not create a duplicate.

Revision ID: 0002_submission_key
Revises: 0001_initial
Create Date: 2026-11-22

Written by hand: one nullable column with a unique constraint, named by the convention.
"""

import sqlalchemy as sa
from alembic import op

revision = "0002_submission_key"
down_revision = "0001_initial"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("experiences", schema=None) as batch_op:
        batch_op.add_column(sa.Column("submission_key", sa.String(length=36), nullable=True))
        batch_op.create_unique_constraint(
            batch_op.f("uq_experiences_submission_key"), ["submission_key"]
        )


def downgrade():
    with op.batch_alter_table("experiences", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("uq_experiences_submission_key"), type_="unique")
        batch_op.drop_column("submission_key")
