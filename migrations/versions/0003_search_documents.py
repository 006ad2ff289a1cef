"""Search documents for the PostgreSQL full-text backend (SEARCH_BACKEND=postgres).

Revision ID: 0003_search_documents
Revises: 0002_submission_key
Create Date: 2026-11-29

Written by hand. One table of search documents, read and written only by
kb/search/postgres_backend.py; it is created on SQLite too (arrays as JSON, the tsvector as
text) so that the models and the migrations agree on both databases.

``terms`` holds the terms kb.search.analysis already produced (stemmed with the current
Snowball, compounds split, hyphenated words joined), title terms weighted A and body terms B.
They are stored as a tsvector literal, not through to_tsvector('swedish', ...): the ``swedish``
configuration would stem the stems a second time and knows nothing of compounds or synonyms,
and both backends must analyse alike. Literal input behaves like the ``simple`` configuration
without even its parser: lexemes are taken as they are.

GIN indexes on ``terms`` (matching) and ``access`` (permission tokens, ``access && :tokens``).

On PostgreSQL the rows are kept narrow, as kb/search/pg_models.py describes: a small
toast_tuple_target, title/body/terms stored out of line and the facet arrays in line; and the
GIN indexes keep a short pending list (gin_pending_list_limit), which every search reads.
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0003_search_documents"
down_revision = "0002_submission_key"
branch_labels = None
depends_on = None

COLUMN_STORAGE = (  # as kb.search.pg_models.COLUMN_STORAGE, PostgreSQL only
    "ALTER TABLE search_documents"
    " ALTER COLUMN title SET STORAGE EXTERNAL, ALTER COLUMN body SET STORAGE EXTERNAL,"
    " ALTER COLUMN terms SET STORAGE EXTERNAL, ALTER COLUMN area_ids SET STORAGE PLAIN,"
    " ALTER COLUMN themes SET STORAGE PLAIN, ALTER COLUMN access SET STORAGE PLAIN"
)


def _array(item):
    return postgresql.ARRAY(item).with_variant(sa.JSON(), "sqlite")


def upgrade():
    op.create_table(
        "search_documents",
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("date", sa.Date(), nullable=True),
        sa.Column("year", sa.Integer(), nullable=True),
        sa.Column("area_ids", _array(sa.Integer()), nullable=False),
        sa.Column("supplier_id", sa.Integer(), nullable=True),
        sa.Column("organisation_id", sa.Integer(), nullable=True),
        sa.Column("themes", _array(sa.Text()), nullable=False),
        sa.Column("status", sa.String(length=50), nullable=True),
        sa.Column("access", _array(sa.Text()), nullable=False),
        sa.Column("terms", postgresql.TSVECTOR().with_variant(sa.Text(), "sqlite"), nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_search_documents")),
        postgresql_with={"toast_tuple_target": 128},
    )
    if op.get_bind().dialect.name == "postgresql":
        op.execute(COLUMN_STORAGE)
    with op.batch_alter_table("search_documents", schema=None) as batch_op:
        for column in ("access", "terms"):
            batch_op.create_index(
                f"ix_search_documents_{column}",
                [column],
                unique=False,
                postgresql_using="gin",
                postgresql_with={"gin_pending_list_limit": 64},  # kB: searches read it all
            )


def downgrade():
    with op.batch_alter_table("search_documents", schema=None) as batch_op:
        batch_op.drop_index("ix_search_documents_terms")
        batch_op.drop_index("ix_search_documents_access")
    op.drop_table("search_documents")
