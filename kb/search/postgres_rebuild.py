"""Rebuild the PostgreSQL search documents into a new table, then swap it in.

Filling a table that already has its GIN indexes updates them document by document, several
times slower than building them once over the loaded rows. So a rebuild:

1. locks search_documents against writers (readers go on reading the old documents);
2. creates search_documents_rebuild like it, without indexes, and fills it (COPY into a
   staging table, then INSERT … SELECT, which adds the ``swedish`` terms);
3. builds the indexes over the loaded rows and gathers statistics;
4. drops the old table and gives the new one its name and its indexes their names.

All in one transaction: a reader waits only for the moment of the swap, and a failed rebuild
leaves the old documents as they were.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager

from sqlalchemy import Connection, MetaData, Table, column, insert, select, table, text
from sqlalchemy.schema import CreateTable

from kb.search.pg_models import COLUMN_STORAGE, SearchDocumentRow

TABLE = SearchDocumentRow.__table__
NEW_NAME = "search_documents_rebuild"
STAGING_TABLE = (
    "CREATE TEMPORARY TABLE search_documents_staging"
    " (LIKE search_documents INCLUDING DEFAULTS) ON COMMIT DROP"
)
BUILD_SETTINGS = "SELECT set_config('maintenance_work_mem', '256MB', true)"
SWAP_LOCK_TIMEOUT = "SELECT set_config('lock_timeout', '60s', true)"  # readers are short


def _new_table() -> Table:
    """search_documents under a name of its own, its constraint and indexes named after it."""
    new = TABLE.to_metadata(MetaData(), name=NEW_NAME)
    new.primary_key.name = f"pk_{NEW_NAME}"
    for index in new.indexes:
        index.name = f"{index.name}_rebuild"
    return new


@contextmanager
def staging_copy(connection: Connection, columns: list[str]) -> Iterator[Callable[[list], None]]:
    """COPY rows into the staging table; yields write_row(values in column order)."""
    connection.execute(text(STAGING_TABLE))
    names = ", ".join(columns)
    with (
        connection.connection.driver_connection.cursor() as cursor,
        cursor.copy(f"COPY search_documents_staging ({names}) FROM STDIN") as copy,
    ):
        yield copy.write_row


def rebuild_table(
    connection: Connection,
    columns: list[str],
    fill: Callable[[Callable[[list], None]], None],
    terms: Callable,  # type: ignore[type-arg]
) -> None:
    """Replace search_documents by the rows fill(write_row) writes; terms(title, body,
    literal) gives the stored terms of a staged row (postgres_backend.document_terms)."""
    connection.execute(text(f"DROP TABLE IF EXISTS {NEW_NAME}"))
    new = _new_table()
    connection.execute(CreateTable(new))
    connection.execute(text(COLUMN_STORAGE.format(table=NEW_NAME)))
    with staging_copy(connection, columns) as write_row:
        fill(write_row)
    staged = table("search_documents_staging", *(column(name) for name in columns))
    connection.execute(
        insert(new).from_select(
            columns,
            select(
                *(
                    terms(staged.c.title, staged.c.body, staged.c.terms)
                    if name == "terms"
                    else staged.c[name]
                    for name in columns
                )
            ),
        )
    )
    connection.execute(text(BUILD_SETTINGS))
    for index in new.indexes:
        index.create(connection)
    connection.execute(text(f"ANALYZE {NEW_NAME}"))  # fresh statistics for plans
    connection.execute(text(SWAP_LOCK_TIMEOUT))
    connection.execute(text(f"DROP TABLE {TABLE.name}"))
    connection.execute(text(f"ALTER TABLE {NEW_NAME} RENAME TO {TABLE.name}"))
    connection.execute(
        text(
            f"ALTER TABLE {TABLE.name} RENAME CONSTRAINT {new.primary_key.name} TO pk_{TABLE.name}"
        )
    )
    for index in new.indexes:
        canonical = index.name.removesuffix("_rebuild")
        connection.execute(text(f"ALTER INDEX {index.name} RENAME TO {canonical}"))
