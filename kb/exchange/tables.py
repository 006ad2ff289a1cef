"""The tables an export holds, and loading one exported table's rows back.

Rows go in with their own ids, in batches. A column referring to its own table (an
organisation's intermediary, a round's predecessor, a superseded finding) may point at a row
not yet inserted, so it is inserted empty and filled in by an UPDATE once the whole table is
in; that UPDATE also sets the columns with an onupdate default (updated_at) to their exported
values, so nothing changes on the way.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import (
    JSON,
    Connection,
    Date,
    DateTime,
    Numeric,
    Table,
    bindparam,
    func,
    insert,
    select,
    update,
)

from kb.database import Base
from kb.imports.base import Progress

# Derived tables are rebuilt on import: the search index by a rebuild, the rating totals by
# their triggers as the ratings are inserted. Operational tables only matter to the running
# installation: sign-in failures per address and the one-time keys of submitted forms.
DERIVED_TABLES = frozenset(
    {"search_documents", "search_facet_sets", "search_outbox", "rating_totals"}
)
OPERATIONAL_TABLES = frozenset({"login_failures", "form_submissions"})
NOT_EXPORTED = DERIVED_TABLES | OPERATIONAL_TABLES
BATCH_SIZE = 1000


class ExchangeError(Exception):
    """An export or import that cannot be done; the message is Swedish, for the user."""


def exported_tables() -> list[Table]:
    """Every table except the derived and operational ones, parents before children."""
    return [t for t in Base.metadata.sorted_tables if t.name not in NOT_EXPORTED]


def _decoder(column: Any) -> Callable[[Any], Any]:
    kind = column.type
    if isinstance(kind, DateTime):
        return lambda v: None if v is None else datetime.fromisoformat(v)
    if isinstance(kind, Date):
        return lambda v: None if v is None else date.fromisoformat(v)
    if isinstance(kind, Numeric) and kind.asdecimal:
        return lambda v: None if v is None else Decimal(v)
    return lambda v: v


def _self_references(table: Table) -> list[str]:
    return [fk.parent.name for fk in table.foreign_keys if fk.column.table is table]


def _records(path: Path) -> Iterator[dict[str, Any]]:
    with path.open(encoding="utf-8") as lines:
        for number, line in enumerate(lines, start=1):
            if line.strip():
                try:
                    yield json.loads(line)
                except json.JSONDecodeError as error:
                    raise ExchangeError(
                        _("%(file)s rad %(line)d är inte JSON.", file=path.name, line=number)
                    ) from error


def import_table(connection: Connection, table: Table, path: Path, progress: Progress) -> int:
    """Insert the table's rows in batches; self-references are filled in afterwards."""
    decoders = {column.name: _decoder(column) for column in table.columns}
    deferred = _self_references(table)
    later: list[dict[str, Any]] = []
    batch: list[dict[str, Any]] = []
    count = 0
    for record in _records(path):
        if set(record) != set(decoders):
            raise ExchangeError(_("%(file)s har andra kolumner än tabellen.", file=path.name))
        row = {name: decode(record[name]) for name, decode in decoders.items()}
        if any(row[name] is not None for name in deferred):
            later.append(_deferred_values(table, row, deferred))
            row = {**row, **dict.fromkeys(deferred)}
        batch.append(row)
        if len(batch) == BATCH_SIZE:
            count += _insert(connection, table, batch, progress)
            batch = []
    count += _insert(connection, table, batch, progress)
    if later:
        _fill_self_references(connection, table, later)
    return count


def _insert(
    connection: Connection,
    table: Table,
    rows: list[dict[str, Any]],
    progress: Progress,
) -> int:
    if rows:
        connection.execute(insert(table), _json_nulls(table, rows))
        progress.advance(len(rows))
    return len(rows)


def _json_nulls(table: Table, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """A JSON column's SQL NULL stays NULL (SQLAlchemy would store the JSON text 'null')."""
    columns = [c.name for c in table.columns if isinstance(c.type, JSON) and c.nullable]
    if not columns:
        return rows
    return [
        {**row, **{c: JSON.NULL if row[c] is None else row[c] for c in columns}} for row in rows
    ]


def _deferred_values(table: Table, row: dict[str, Any], deferred: list[str]) -> dict[str, Any]:
    """The self-references of one row, plus the columns an UPDATE would otherwise touch."""
    touched = [c.name for c in table.columns if c.onupdate is not None]
    keys = [c.name for c in table.primary_key.columns]
    return {f"key_{name}": row[name] for name in keys} | {
        name: row[name] for name in (*deferred, *touched)
    }


def _fill_self_references(connection: Connection, table: Table, rows: list[dict[str, Any]]) -> None:
    keys = [c.name for c in table.primary_key.columns]
    values = {name: bindparam(name) for name in rows[0] if not name.startswith("key_")}
    statement = (
        update(table)
        .where(*(table.c[name] == bindparam(f"key_{name}") for name in keys))
        .values(values)
    )
    for start in range(0, len(rows), BATCH_SIZE):
        connection.execute(statement, rows[start : start + BATCH_SIZE])


def reset_sequences(connection: Connection) -> None:
    """Let PostgreSQL hand out ids after the imported ones."""
    for table in exported_tables():
        keys = list(table.primary_key.columns)
        if len(keys) != 1 or keys[0].autoincrement is False or not _is_integer(keys[0]):
            continue
        sequence = connection.execute(
            select(func.pg_get_serial_sequence(table.name, keys[0].name))
        ).scalar()
        if sequence:
            highest = connection.execute(select(func.max(keys[0]))).scalar()
            connection.execute(select(func.setval(sequence, highest or 1, highest is not None)))


def _is_integer(column: Any) -> bool:
    try:
        return column.type.python_type is int
    except NotImplementedError:
        return False
