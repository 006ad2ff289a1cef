"""Export every table as JSON Lines, and import such an export into an empty database.

``export_all`` writes one ``<table>.jsonl`` per table of the metadata, rows in primary-key
order, plus ``manifest.json`` (format, schema revision, export time, row counts). Values are
written so they read back exactly: dates and times as ISO 8601, decimals as strings, JSON
columns as JSON, enums by their stored value.

``import_all`` refuses a database that holds any row, loads the tables parents first (the
metadata's foreign-key order) in one transaction with the same ids, fills self-references
(an organisation's intermediary, a round's predecessor, a superseded finding) in a second
pass, moves PostgreSQL's id sequences past the imported ids, commits, and rebuilds the
search index. It commits itself: a whole-database load is all or nothing and the index can
only be rebuilt from committed rows.

Derived tables are not exported: the search documents and the search outbox are rebuilt from
the other tables. The audit trail is exported and imported (inserts only: its triggers refuse
updates and deletes, and it has no self-reference, so it is never updated).

Rows are streamed both ways (yield_per on export, batches of BATCH_SIZE on import), so the
size of the database does not decide the memory used.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import (
    Connection,
    Table,
    func,
    inspect,
    select,
    text,
)

from kb.database import utcnow
from kb.exchange.tables import (
    BATCH_SIZE,
    NOT_EXPORTED,
    ExchangeError,
    exported_tables,
    import_table,
    reset_sequences,
)
from kb.extensions import db
from kb.imports.base import NoProgress, Progress

__all__ = ["NOT_EXPORTED", "ExchangeError", "export_all", "exported_tables", "import_all"]

FORMAT = "kunskapsbanken-export"
FORMAT_VERSION = 1
MANIFEST = "manifest.json"
WRITE_STAGE = "write"  # the stage name kb.imports' progress bars show as writing


def schema_revision(connection: Connection) -> str | None:
    """The database's Alembic revision, or the migrations' head for a create_all schema."""
    if inspect(connection).has_table("alembic_version"):
        return connection.execute(text("SELECT version_num FROM alembic_version")).scalar()
    from alembic.script import ScriptDirectory

    migrate = current_app.extensions["migrate"]
    config = migrate.migrate.get_config(migrate.directory)
    return ScriptDirectory.from_config(config).get_current_head()


def _encode(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return value


def _ordered(table: Table) -> Any:
    return select(table).order_by(*table.primary_key.columns)


def export_all(directory: Path, progress: Progress | None = None) -> dict[str, int]:
    """Write every table to DIRECTORY as JSON Lines plus a manifest; return the row counts."""
    progress = progress or NoProgress()
    directory.mkdir(parents=True, exist_ok=True)
    counts: dict[str, int] = {}
    with db.engine.connect() as connection:
        if connection.dialect.name == "postgresql":  # one snapshot for every table
            connection = connection.execution_options(isolation_level="REPEATABLE READ")
        with connection.begin():
            if connection.dialect.name == "sqlite":  # pysqlite begins only before writes
                connection.exec_driver_sql("BEGIN")
            revision = schema_revision(connection)
            progress.start(WRITE_STAGE, _row_total(connection))
            for table in exported_tables():
                counts[table.name] = _export_table(connection, table, directory, progress)
    manifest = {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "schema_revision": revision,
        "exported_at": utcnow().isoformat(),
        "source_dialect": db.engine.dialect.name,
        "excluded_tables": sorted(NOT_EXPORTED),
        "tables": counts,
    }
    (directory / MANIFEST).write_text(
        json.dumps(manifest, indent=2, ensure_ascii=False) + "\n", encoding="utf-8"
    )
    return counts


def _row_total(connection: Connection) -> int:
    return sum(
        connection.execute(select(func.count()).select_from(table)).scalar() or 0
        for table in exported_tables()
    )


def _export_table(connection: Connection, table: Table, directory: Path, progress: Progress) -> int:
    count = 0
    names = [column.name for column in table.columns]
    result = connection.execution_options(yield_per=BATCH_SIZE).execute(_ordered(table))
    with (directory / f"{table.name}.jsonl").open("w", encoding="utf-8", newline="\n") as out:
        for partition in result.partitions():
            for row in partition:
                record = {name: _encode(value) for name, value in zip(names, row, strict=True)}
                out.write(json.dumps(record, ensure_ascii=False, separators=(",", ":")) + "\n")
            count += len(partition)
            progress.advance(len(partition))
    return count


def read_manifest(directory: Path) -> dict[str, Any]:
    """The export's manifest, checked against this application's tables."""
    path = directory / MANIFEST
    if not path.is_file():
        raise ExchangeError(_("%(path)s saknas: katalogen är ingen fullständig export.", path=path))
    manifest = json.loads(path.read_text(encoding="utf-8"))
    if manifest.get("format") != FORMAT or manifest.get("format_version") != FORMAT_VERSION:
        raise ExchangeError(_("%(path)s är inte en export från Kunskapsbanken.", path=path))
    expected = {table.name for table in exported_tables()}
    if set(manifest.get("tables", {})) != expected:
        raise ExchangeError(
            _("Exporten har andra tabeller än den här versionen av Kunskapsbanken.")
        )
    for name in sorted(expected):
        if not (directory / f"{name}.jsonl").is_file():
            raise ExchangeError(_("Filen %(name)s.jsonl saknas i exporten.", name=name))
    return manifest


def _non_empty_tables(connection: Connection) -> list[str]:
    return [
        table.name
        for table in exported_tables()
        if connection.execute(select(select(table).limit(1).exists())).scalar()
    ]


def _check_target(connection: Connection, manifest: dict[str, Any]) -> None:
    if filled := _non_empty_tables(connection):
        raise ExchangeError(
            _(
                "Databasen är inte tom (%(tables)s). Importera bara till en tom databas.",
                tables=", ".join(filled[:5]),
            )
        )
    revision = schema_revision(connection)
    if manifest.get("schema_revision") != revision:
        raise ExchangeError(
            _(
                "Exporten har schemaversion %(theirs)s men databasen %(ours)s. "
                "Migrera databasen till samma version först.",
                theirs=manifest.get("schema_revision"),
                ours=revision,
            )
        )


def import_all(directory: Path, progress: Progress | None = None) -> dict[str, int]:
    """Load an export into an empty database with the same ids; commit; rebuild the index."""
    manifest = read_manifest(directory)
    progress = progress or NoProgress()
    counts: dict[str, int] = {}
    with db.engine.begin() as connection:
        _check_target(connection, manifest)
        progress.start(WRITE_STAGE, sum(manifest["tables"].values()))
        for table in exported_tables():
            counts[table.name] = import_table(
                connection, table, directory / f"{table.name}.jsonl", progress
            )
            if counts[table.name] != manifest["tables"][table.name]:
                raise ExchangeError(
                    _(
                        "%(table)s.jsonl har %(found)d rader men manifestet anger %(listed)d.",
                        table=table.name,
                        found=counts[table.name],
                        listed=manifest["tables"][table.name],
                    )
                )
        if connection.dialect.name == "postgresql":
            reset_sequences(connection)
    rebuild_search_index()
    return counts


def rebuild_search_index() -> int:
    """Rebuild the whole search index from the database."""
    from kb.search.documents import SOURCES, all_ids, load_documents
    from kb.search.service import backend_for

    def documents() -> Iterator[Any]:
        for kind in SOURCES:
            ids = list(all_ids(kind))
            for start in range(0, len(ids), BATCH_SIZE):
                yield from load_documents(kind, ids[start : start + BATCH_SIZE])

    return backend_for(current_app._get_current_object()).rebuild(documents())
