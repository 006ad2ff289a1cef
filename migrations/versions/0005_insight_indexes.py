"""Covering indexes for the insight figures (issue 7: p95 < 300 ms at 100,000 experiences).

Revision ID: 0005_insight_indexes
Revises: 0004_draft_item_exclusion
Create Date: 2026-11-24

Written by hand. The area overview and the learning dashboard aggregate tens of thousands of
experiences per request; with only single-column indexes every matching experience and every
rating was read from the table. Each index below holds every column its queries touch, so
SQLite and PostgreSQL answer from the index alone (PostgreSQL: index-only scans once vacuumed).
The id ends the two experience indexes that are joined to ratings: SQLite keeps the row id in
every index entry anyway, PostgreSQL needs it in the index for an index-only scan.

- ix_experiences_area_figures (agreement_area_id, status, organisation_id, unit_id, contract_id,
  start_year, off_contract, off_contract_reason, end_reason, would_place_again, id): the area
  overview's placement tallies and unit ranking (kb.insight.area_experiences). It starts with
  agreement_area_id, so it replaces ix_experiences_agreement_area_id.
- ix_experiences_contract_outcomes (contract_id, status, organisation_id, end_reason, id): the
  round comparison's placements and ratings per contract (kb.insight.learning_rounds). It starts with
  contract_id, so it replaces ix_experiences_contract_id.
- ix_experiences_submissions (status, submitted_at, organisation_id, agreement_area_id, end_year,
  end_month, end_reason): submissions per month over the last 24 months
  (kb.insight.learning_flow.monthly_submissions), a range on submitted_at.
- ix_experience_ratings_values (experience_id, theme, rating): the primary key
  (experience_id, theme) lacks the rating, so every rating summed was a table lookup.
"""

from alembic import op

revision = "0005_insight_indexes"
down_revision = "0004_draft_item_exclusion"
branch_labels = None
depends_on = None

AREA_FIGURES = [
    "agreement_area_id",
    "status",
    "organisation_id",
    "unit_id",
    "contract_id",
    "start_year",
    "off_contract",
    "off_contract_reason",
    "end_reason",
    "would_place_again",
    "id",
]
CONTRACT_OUTCOMES = ["contract_id", "status", "organisation_id", "end_reason", "id"]
SUBMISSIONS = [
    "status",
    "submitted_at",
    "organisation_id",
    "agreement_area_id",
    "end_year",
    "end_month",
    "end_reason",
]


def upgrade():
    op.create_index("ix_experiences_area_figures", "experiences", AREA_FIGURES)
    op.drop_index("ix_experiences_agreement_area_id", table_name="experiences")
    op.create_index("ix_experiences_contract_outcomes", "experiences", CONTRACT_OUTCOMES)
    op.drop_index("ix_experiences_contract_id", table_name="experiences")
    op.create_index("ix_experiences_submissions", "experiences", SUBMISSIONS)
    op.create_index(
        "ix_experience_ratings_values", "experience_ratings", ["experience_id", "theme", "rating"]
    )


def downgrade():
    op.drop_index("ix_experience_ratings_values", table_name="experience_ratings")
    op.drop_index("ix_experiences_submissions", table_name="experiences")
    op.create_index("ix_experiences_contract_id", "experiences", ["contract_id"])
    op.drop_index("ix_experiences_contract_outcomes", table_name="experiences")
    op.create_index("ix_experiences_agreement_area_id", "experiences", ["agreement_area_id"])
    op.drop_index("ix_experiences_area_figures", table_name="experiences")
