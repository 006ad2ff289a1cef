"""Covering index for the area side of the supplier and unit charts (issue 3 and 10).

Revision ID: 0010_area_comparison_index
Revises: 0009_search_facet_sets
Create Date: 2026-11-23

Written by hand. Each supplier or unit chart compares the subject with every counted
experience of the agreement areas it serves: unplanned endings, "would place again" and daily
prices, and the chosen theme's ratings per half-year. ix_experiences_area_figures starts with
the area but lacks the price and the placement's months, so every area experience (thousands
per request, growing with the corpus) was a lookup of its wide row, markdown included.

- ix_experiences_area_comparison (agreement_area_id, status, organisation_id, end_reason,
  would_place_again, daily_price, start_year, start_month, end_year, end_month, id): every
  column those queries read, so SQLite and PostgreSQL (index-only scans once vacuumed) answer
  from the index; the id ends it for the join to ix_experience_ratings_values.
"""

from alembic import op

revision = "0010_area_comparison_index"
down_revision = "0009_search_facet_sets"
branch_labels = None
depends_on = None

AREA_COMPARISON = [
    "agreement_area_id",
    "status",
    "organisation_id",
    "end_reason",
    "would_place_again",
    "daily_price",
    "start_year",
    "start_month",
    "end_year",
    "end_month",
    "id",
]


def upgrade():
    op.create_index("ix_experiences_area_comparison", "experiences", AREA_COMPARISON)


def downgrade():
    op.drop_index("ix_experiences_area_comparison", table_name="experiences")
