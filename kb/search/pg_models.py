"""The documents table of the PostgreSQL search backend (kb.search.postgres_backend).

The table exists on every database so that migrations and models agree everywhere, but only
the ``postgres`` backend reads or writes it. On SQLite the arrays are JSON and the tsvector
is plain text; nothing uses them there.

On PostgreSQL the rows are kept narrow: title, body and terms always live out of line (TOAST,
uncompressed) and the facet arrays always in line, uncompressed. A search visits the row of
every match for its facet values, and only the page's hits for their text and terms.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import DDL, JSON, Date, Index, Integer, String, Text, event
from sqlalchemy.dialects.postgresql import ARRAY, TSVECTOR
from sqlalchemy.orm import Mapped, mapped_column

from kb.database import Base

INT_ARRAY = ARRAY(Integer).with_variant(JSON(), "sqlite")
TEXT_ARRAY = ARRAY(Text).with_variant(JSON(), "sqlite")
# Writes queue GIN entries in a pending list that every search reads through; keep it short.
GIN = {"gin_pending_list_limit": 64}  # kB; PostgreSQL's default is 4 MB
TOAST_TUPLE_TARGET = 128  # move text out of line as soon as a row exceeds this many bytes
COLUMN_STORAGE = (  # for search_documents or a table built to replace it (postgres_rebuild)
    "ALTER TABLE {table}"
    " ALTER COLUMN title SET STORAGE EXTERNAL, ALTER COLUMN body SET STORAGE EXTERNAL,"
    " ALTER COLUMN terms SET STORAGE EXTERNAL, ALTER COLUMN area_ids SET STORAGE PLAIN,"
    " ALTER COLUMN themes SET STORAGE PLAIN, ALTER COLUMN access SET STORAGE PLAIN"
)


class SearchDocumentRow(Base):
    """One search document: facet columns, access tokens and its analysed terms."""

    __tablename__ = "search_documents"
    __table_args__ = (
        Index("ix_search_documents_access", "access", postgresql_using="gin", postgresql_with=GIN),
        Index("ix_search_documents_terms", "terms", postgresql_using="gin", postgresql_with=GIN),
        {"postgresql_with": {"toast_tuple_target": TOAST_TUPLE_TARGET}},
    )

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    kind: Mapped[str] = mapped_column(String(20))
    title: Mapped[str] = mapped_column(Text)
    body: Mapped[str] = mapped_column(Text)
    date: Mapped[date | None] = mapped_column(Date)
    year: Mapped[int | None] = mapped_column(Integer)
    area_ids: Mapped[list[int]] = mapped_column(INT_ARRAY)
    supplier_id: Mapped[int | None] = mapped_column(Integer)
    organisation_id: Mapped[int | None] = mapped_column(Integer)
    themes: Mapped[list[str]] = mapped_column(TEXT_ARRAY)
    status: Mapped[str | None] = mapped_column(String(50))
    access: Mapped[list[str]] = mapped_column(TEXT_ARRAY)
    terms: Mapped[str] = mapped_column(TSVECTOR().with_variant(Text(), "sqlite"))
    # The document's facet values as two small numbers (SearchFacetSet): a search counts its
    # matches per number, not per row of values, and reads the values of the few numbers.
    facet_set_id: Mapped[int | None] = mapped_column(Integer)
    theme_set_id: Mapped[int | None] = mapped_column(Integer)


class SearchFacetSet(Base):
    """One combination of facet values that some document has: either the scalar facets with
    the agreement areas (``kind``…``area_ids``) or the set of themes (``themes``).

    Counting a broad query's matches per combination is several times faster than hashing
    each match's values. Rows are added as documents need them and never removed; a few
    thousand cover 100,000 documents.
    """

    __tablename__ = "search_facet_sets"

    id: Mapped[int] = mapped_column(primary_key=True)
    signature: Mapped[str] = mapped_column(Text, unique=True)  # facet_signature / theme_signature
    kind: Mapped[str | None] = mapped_column(String(20))
    year: Mapped[int | None] = mapped_column(Integer)
    supplier_id: Mapped[int | None] = mapped_column(Integer)
    organisation_id: Mapped[int | None] = mapped_column(Integer)
    status: Mapped[str | None] = mapped_column(String(50))
    area_ids: Mapped[list[int] | None] = mapped_column(INT_ARRAY)
    themes: Mapped[list[str] | None] = mapped_column(TEXT_ARRAY)


def facet_signature(row: dict) -> str:
    """The signature of a document row's scalar facets and areas (SQL: FACET_SIGNATURE_SQL)."""
    values = [row["kind"], row["year"], row["supplier_id"], row["organisation_id"], row["status"]]
    scalars = ["" if value is None else str(value) for value in values]
    return "|".join(["s", *scalars, ",".join(map(str, row["area_ids"]))])


def theme_signature(row: dict) -> str:
    """The signature of a document row's themes (SQL: THEME_SIGNATURE_SQL)."""
    return "t|" + ",".join(row["themes"])


# The same signatures in SQL over a search_documents row d (the migration that added the sets
# fills them in for the rows already there with these).
FACET_SIGNATURE_SQL = (
    "concat('s|', d.kind, '|', d.year, '|', d.supplier_id, '|', d.organisation_id, '|',"
    " d.status, '|', array_to_string(d.area_ids, ','))"
)
THEME_SIGNATURE_SQL = "concat('t|', array_to_string(d.themes, ','))"


event.listen(
    SearchDocumentRow.__table__,
    "after_create",
    DDL(COLUMN_STORAGE.format(table="search_documents")).execute_if(dialect="postgresql"),
)
