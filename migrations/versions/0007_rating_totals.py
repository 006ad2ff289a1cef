"""Stored rating totals, kept by triggers (issue 7: the insight pages read them, not every rating).

Revision ID: 0007_rating_totals
Revises: 0006_api_tokens_import_batches
Create Date: 2026-11-23

Written by hand. The unit ranking and the round comparison summed every rating row of the
area or rounds on each request (about 270,000 and 730,000 at 100,000 experiences).
rating_totals holds per (agreement area, unit, contract, owner organisation, theme) the count,
sum and sum of squares of the non-null ratings of submitted experiences; a missing area, unit
or contract is stored as 0 so the key is a plain primary key (NULL never equals NULL in a
unique key, and ON CONFLICT needs one). The theme '*' row counts experiences with at least one
rating. No foreign keys: the table is derived, written only by triggers.

The triggers on experiences and experience_ratings (SQLite: row triggers; PostgreSQL: statement
triggers with transition tables, plus a row BEFORE DELETE trigger on experiences) are generated
by kb.insight.rating_totals_ddl, which also attaches them to create_all schemas. If that SQL
ever changes, freeze a copy of this revision's statements here and write a new migration.
The backfill aggregates the stored ratings once, after the triggers exist, in one transaction.
"""

import sqlalchemy as sa
from alembic import op

from kb.insight.rating_totals_ddl import BACKFILL, drop_statements, trigger_statements

revision = "0007_rating_totals"
down_revision = "0006_api_tokens_import_batches"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "rating_totals",
        sa.Column("agreement_area_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("unit_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("contract_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("organisation_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("theme", sa.String(length=40), nullable=False),
        sa.Column("n", sa.Integer(), nullable=False),
        sa.Column("total", sa.Integer(), nullable=False),
        sa.Column("total_of_squares", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint(
            "agreement_area_id",
            "unit_id",
            "contract_id",
            "organisation_id",
            "theme",
            name=op.f("pk_rating_totals"),
        ),
    )
    op.create_index("ix_rating_totals_contract_id", "rating_totals", ["contract_id"])
    dialect = op.get_bind().dialect.name
    for statement in trigger_statements(dialect):
        op.execute(statement)
    op.execute(BACKFILL)


def downgrade():
    for statement in drop_statements(op.get_bind().dialect.name):
        op.execute(statement)
    op.drop_index("ix_rating_totals_contract_id", table_name="rating_totals")
    op.drop_table("rating_totals")
