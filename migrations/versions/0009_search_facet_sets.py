"""Search facet sets: the PostgreSQL search counts its facets per combination of values.

Revision ID: 0009_search_facet_sets
Revises: 0008_trust
Create Date: 2026-11-23

Written by hand (issue 4: search with facets p95 < 100 ms at 100,000 experiences).
- search_facet_sets: each combination of facet values some search document has, either its
  scalar facets with its agreement areas or its set of themes, under a unique signature.
- search_documents.facet_set_id / theme_set_id: the document's two combinations. A search
  counts its matches per combination, which is several times faster than hashing every
  match's values, then reads the values of the few combinations.
On PostgreSQL the documents already indexed get their combinations here, with the same
signatures kb/search/pg_models.py computes (FACET_SIGNATURE_SQL, THEME_SIGNATURE_SQL, copied
so that this revision does not change if those do). On SQLite nothing reads these.
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0009_search_facet_sets"
down_revision = "0008_trust"
branch_labels = None
depends_on = None

FACET_SIGNATURE_SQL = (
    "concat('s|', d.kind, '|', d.year, '|', d.supplier_id, '|', d.organisation_id, '|',"
    " d.status, '|', array_to_string(d.area_ids, ','))"
)
THEME_SIGNATURE_SQL = "concat('t|', array_to_string(d.themes, ','))"
BACKFILL = (
    "INSERT INTO search_facet_sets"
    " (signature, kind, year, supplier_id, organisation_id, status, area_ids)"
    f" SELECT DISTINCT {FACET_SIGNATURE_SQL}, d.kind, d.year, d.supplier_id,"
    " d.organisation_id, d.status, d.area_ids FROM search_documents d"
    " ON CONFLICT (signature) DO NOTHING",
    "INSERT INTO search_facet_sets (signature, themes)"
    f" SELECT DISTINCT {THEME_SIGNATURE_SQL}, d.themes FROM search_documents d"
    " ON CONFLICT (signature) DO NOTHING",
    "UPDATE search_documents d SET facet_set_id = f.id, theme_set_id = t.id"
    " FROM search_facet_sets f, search_facet_sets t"
    f" WHERE f.signature = {FACET_SIGNATURE_SQL} AND t.signature = {THEME_SIGNATURE_SQL}",
)


def _array(item):
    return postgresql.ARRAY(item).with_variant(sa.JSON(), "sqlite")


def upgrade():
    op.create_table(
        "search_facet_sets",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("signature", sa.Text(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=True),
        sa.Column("year", sa.Integer(), nullable=True),
        sa.Column("supplier_id", sa.Integer(), nullable=True),
        sa.Column("organisation_id", sa.Integer(), nullable=True),
        sa.Column("status", sa.String(length=50), nullable=True),
        sa.Column("area_ids", _array(sa.Integer()), nullable=True),
        sa.Column("themes", _array(sa.Text()), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_search_facet_sets")),
        sa.UniqueConstraint("signature", name=op.f("uq_search_facet_sets_signature")),
    )
    op.add_column("search_documents", sa.Column("facet_set_id", sa.Integer(), nullable=True))
    op.add_column("search_documents", sa.Column("theme_set_id", sa.Integer(), nullable=True))
    if op.get_bind().dialect.name == "postgresql":
        for statement in BACKFILL:
            op.execute(statement)


def downgrade():
    op.drop_column("search_documents", "theme_set_id")
    op.drop_column("search_documents", "facet_set_id")
    op.drop_table("search_facet_sets")
