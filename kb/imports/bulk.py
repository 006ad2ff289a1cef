"""Insert new experiences in bulk, with exactly the audit and outbox rows a flush would write.

The ORM flush costs some milliseconds per experience with its nine ratings; a 100,000-row
import would take many minutes. New rows are therefore inserted with executemany, in the same
transaction, with the batch id: one audit record per experience, whose changes hold its
ratings too (``"ratings": [null, {theme: rating}]``, where a flush would write one
ExperienceRating record per rating), and the search-outbox row that kb.audit.recorder writes
for a flush. Rows that already exist go through the ORM, so their before-values are logged as
usual. Undo deletes a created experience and its ratings go with it (ORM cascade).
"""

from __future__ import annotations

import enum
import json
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Column, Table, func, insert, select, text

from kb.audit.context import current_actor, current_batch_id
from kb.audit.models import AuditRecord
from kb.audit.recorder import to_json_value
from kb.database import utcnow
from kb.experiences.models import Experience, ExperienceRating, ExperienceStatus
from kb.experiences.validation import NARRATIVE_FIELDS, ExperienceInput
from kb.extensions import db
from kb.imports.base import ImportContext, chunks
from kb.imports.rows import ParsedRow
from kb.insight.rating_totals_ddl import EXPERIENCE_COLUMNS, experience_change, sqlite_statements
from kb.markdown import render_markdown
from kb.search.models import SearchOutbox
from kb.search.sync import mark_pending

CHUNK = 2000
PLAIN = {str, int, bool, float}  # JSON as they are; enums, dates and decimals are converted
DERIVED = {name.replace("_md", "_html") for name in NARRATIVE_FIELDS}  # not logged, as in flushes
BULK_TRIGGERS = ("rating_totals_ratings_insert", "rating_totals_experiences_insert")
RATINGS_KEY = "ratings"  # in a bulk-created experience's audit record: {theme: rating}
COPIED = (
    "unit_id",
    "agreement_area_id",
    "placement_kind",
    "legal_basis",
    "age_band",
    "end_reason",
    "goal_attainment",
    "daily_price",
    "extra_cost_claims",
    "invoicing_problems",
    "would_place_again",
)


def experience_columns(row: ParsedRow, context: ImportContext) -> dict[str, Any]:
    """The column values the form's apply_input would set, for a new experience."""
    data: ExperienceInput = row.resolved["input"]  # type: ignore[assignment]
    values: dict[str, Any] = {name: getattr(data, name) for name in COPIED}
    status = row.values.get("status", ExperienceStatus.SUBMITTED)
    values.update(
        organisation_id=context.organisation_id,
        author_id=row.resolved["author_id"],
        submission_key=data.submission_key,
        contract_id=None if data.off_contract else data.contract_id,
        off_contract=data.off_contract,
        off_contract_reason=data.off_contract_reason if data.off_contract else None,
        start_year=data.start.year if data.start else None,
        start_month=data.start.month if data.start else None,
        end_year=data.end.year if data.end else None,
        end_month=data.end.month if data.end else None,
        status=status,
        submitted_at=context.now if status == ExperienceStatus.SUBMITTED else None,
    )
    for name in NARRATIVE_FIELDS:
        text = getattr(data, name).strip()
        values[name] = text
        values[name.replace("_md", "_html")] = render_markdown(text)
    return values


def insert_experiences(rows: list[ParsedRow], context: ImportContext) -> None:
    """Insert the rows as new experiences, chunk by chunk, reporting progress."""
    db.session.flush()  # nothing of the ORM's may be written while the row triggers are off
    with _totals_in_bulk():
        for part in chunks(rows, CHUNK):
            _insert_part(part, context)
    mark_pending(db.session)


def _insert_part(part: list[ParsedRow], context: ImportContext) -> None:
    ids = new_experience_ids(len(part))
    columns = [
        {"id": new_id, **experience_columns(row, context)}
        for new_id, row in zip(ids, part, strict=True)
    ]
    ratings = [
        {"experience_id": new_id, "theme": theme, "rating": value}
        for new_id, row in zip(ids, part, strict=True)
        for theme, value in row.resolved["input"].ratings.items()  # type: ignore[attr-defined]
    ]
    bulk_insert(Experience.__table__, columns)
    if ratings:
        bulk_insert(ExperienceRating.__table__, ratings)
    _log(ids, columns, ratings)
    context.created += len(part)
    context.progress.advance(len(part))


@contextmanager
def _totals_in_bulk() -> Iterator[None]:
    """On SQLite, keep rating_totals with one set-based statement instead of row triggers.

    SQLite's row trigger costs ~0.1 ms per rating (90 % of the write). Inside this
    transaction, which holds SQLite's only write lock, the two insert triggers are dropped,
    the new rows' totals are added as the experience trigger would add them, and the triggers
    are created again; a rollback restores them too. PostgreSQL's statement triggers stay.
    """
    if db.session.get_bind().dialect.name != "sqlite":
        yield
        return
    first = (db.session.scalar(select(func.max(Experience.id))) or 0) + 1
    for name in BULK_TRIGGERS:
        db.session.execute(text(f"DROP TRIGGER {name}"))
    try:
        yield
        added = f"SELECT {EXPERIENCE_COLUMNS} FROM experiences WHERE id >= {int(first)}"
        for statement in experience_change(None, added):
            db.session.execute(text(statement))
    finally:
        for statement in sqlite_statements():
            if statement.split()[2] in BULK_TRIGGERS:
                db.session.execute(text(statement))


def bulk_insert(table: Table, rows: list[dict[str, Any]]) -> None:
    """Insert rows in one statement per call: COPY on PostgreSQL, executemany on SQLite.

    PostgreSQL's rating_totals triggers run once per statement; an executemany would fire
    them once per row. Python-side column defaults are filled in as an insert would.
    """
    if db.session.get_bind().dialect.name != "postgresql":
        db.session.execute(insert(table), rows)
        return
    names = list(rows[0])
    defaults = {
        column.name: _default(column)
        for column in table.columns
        if column.name not in rows[0] and column.default is not None
    }
    listed = ", ".join(f'"{name}"' for name in [*names, *defaults])
    connection = db.session.connection().connection.driver_connection
    with (
        connection.cursor() as cursor,
        cursor.copy(  # type: ignore[union-attr]
            f"COPY {table.name} ({listed}) FROM STDIN"
        ) as copy,
    ):
        extra = [_copied(value) for value in defaults.values()]
        for row in rows:
            copy.write_row([*(_copied(row[name]) for name in names), *extra])


def _default(column: Column) -> Any:
    default: Any = column.default
    if default.is_callable:
        return default.arg(None)
    if default.is_scalar:
        return default.arg
    raise ValueError(f"{column} has a default COPY cannot fill in")


def _copied(value: Any) -> Any:
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, dict | list):
        return json.dumps(value)
    return value


def new_experience_ids(count: int) -> list[int]:
    """Ids for new experiences, so they can be inserted without RETURNING, in bulk."""
    if db.session.get_bind().dialect.name == "postgresql":
        sequence = func.pg_get_serial_sequence(Experience.__tablename__, "id")
        statement = select(func.nextval(sequence)).select_from(func.generate_series(1, count))
        return list(db.session.scalars(statement))
    # SQLite (no AUTOINCREMENT): the next rowids; the import holds the write lock already.
    highest = db.session.scalar(select(func.max(Experience.id))) or 0
    return list(range(highest + 1, highest + count + 1))


def _log(ids: list[int], columns: list[dict[str, Any]], ratings: list[dict[str, Any]]) -> None:
    """One audit record per new experience, with its ratings, and one outbox row each."""
    actor, batch_id, now = current_actor(), current_batch_id(), utcnow()
    rated: dict[int, dict[str, int | None]] = {}
    for rating in ratings:
        rated.setdefault(rating["experience_id"], {})[rating["theme"].value] = rating["rating"]
    audit = [
        {
            "occurred_at": now,
            "actor_id": actor.user_id,
            "actor_label": actor.label,
            "organisation_id": actor.organisation_id,
            "action": "create",
            "entity": "Experience",
            "entity_id": str(new_id),
            "changes": _changes(values, rated.get(new_id)),
            "batch_id": batch_id,
        }
        for new_id, values in zip(ids, columns, strict=True)
    ]
    bulk_insert(AuditRecord.__table__, audit)
    outbox = [
        {
            "entity": "experience",
            "entity_id": new_id,
            "operation": "upsert",
            "created_at": now,
            "available_at": now,
            "attempts": 0,
        }
        for new_id in ids
    ]
    bulk_insert(SearchOutbox.__table__, outbox)


def _changes(values: dict[str, Any], ratings: dict[str, int | None] | None) -> dict[str, list[Any]]:
    changes: dict[str, list[Any]] = {}
    for key, value in values.items():
        if key not in DERIVED:
            plain = value is None or type(value) in PLAIN
            changes[key] = [None, value if plain else to_json_value(value)]
    if ratings:
        changes[RATINGS_KEY] = [None, ratings]
    return changes
