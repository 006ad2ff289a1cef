"""Undo an import batch from its audit records, while nothing later depends on it.

A batch can be undone when no later audit record touches anything it created or updated, and
no row outside the batch refers to a row it created. Undo restores the before-values of the
rows it updated, deletes the rows it created, and marks the batch undone. Services flush and
never commit, so the caller commits the whole undo at once (or rolls it back).
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from flask_babel import gettext as _
from sqlalchemy import select

from kb.audit.context import in_batch
from kb.audit.models import AuditRecord
from kb.database import Base, utcnow
from kb.extensions import db
from kb.imports.base import chunks, load_in
from kb.imports.models import ImportBatch
from kb.markdown import render_markdown

PART_OF = {"ExperienceRating": "Experience"}  # audited rows that belong to another's identity


class UndoRefused(ValueError):  # noqa: N818
    """The batch cannot be undone; the message says why, in Swedish."""


def _model(entity: str) -> Any:
    return next(m.class_ for m in Base.registry.mappers if m.class_.__name__ == entity)


def batch_records(batch_id: int) -> list[AuditRecord]:
    statement = select(AuditRecord).where(AuditRecord.batch_id == batch_id)
    return list(db.session.scalars(statement.order_by(AuditRecord.id)))


def _root(entity: str, entity_id: str) -> tuple[str, str]:
    if entity in PART_OF:
        return PART_OF[entity], entity_id.split(":", 1)[0]
    return entity, entity_id


def later_changes(records: list[AuditRecord]) -> int:
    """Count later audit records (outside the batch) touching what the batch wrote."""
    touched = {_root(r.entity, r.entity_id) for r in records}
    entities = {entity for entity, _id in touched} | {
        part for part, owner in PART_OF.items() if owner in {e for e, _i in touched}
    }
    statement = select(AuditRecord.entity, AuditRecord.entity_id).where(
        AuditRecord.id > max(r.id for r in records), AuditRecord.entity.in_(entities)
    )
    later = db.session.execute(statement.execution_options(yield_per=5000))
    return sum(1 for entity, entity_id in later if _root(entity, entity_id) in touched)


def _created_ids(records: list[AuditRecord]) -> dict[str, set[int]]:
    """Created rows by table, for entities with a plain integer id."""
    created: dict[str, set[int]] = {}
    for record in records:
        if record.action == "create" and record.entity_id.isdigit():
            table = _model(record.entity).__tablename__
            created.setdefault(table, set()).add(int(record.entity_id))
    return created


def outside_references(created: dict[str, set[int]]) -> int:
    """Count rows outside the batch that refer to a row the batch created."""
    count = 0
    for table in Base.metadata.sorted_tables:
        for foreign_key in table.foreign_keys:
            target = foreign_key.column.table.name
            if target not in created or _owned_by(table, foreign_key.parent):
                continue
            count += _count_referring(table, foreign_key.parent, created, target)
    return count


def _owned_by(table: sa.Table, column: sa.Column) -> bool:
    """A link or child row without its own id belongs to the row its first column names."""
    return "id" not in table.c and column is next(iter(table.c))


def _count_referring(
    table: sa.Table, column: sa.Column, created: dict[str, set[int]], target: str
) -> int:
    own = table.c.id if "id" in table.c else None
    owner = next(iter(table.c)) if own is None else None
    owner_table = next(iter(owner.foreign_keys)).column.table.name if owner is not None else ""
    total = 0
    for part in chunks(sorted(created[target])):
        statement = select(sa.func.count()).select_from(table).where(column.in_(part))
        if own is not None and created.get(table.name):
            statement = statement.where(own.not_in(sorted(created[table.name])))
        if owner is not None and created.get(owner_table):
            statement = statement.where(owner.not_in(sorted(created[owner_table])))
        total += db.session.scalar(statement) or 0
    return total


def _from_json(model: Any, name: str, value: Any) -> Any:
    """Turn a logged value back into what the attribute holds."""
    mapper = sa.inspect(model)
    if name in mapper.relationships:
        target = mapper.relationships[name].mapper.class_
        return [db.session.get(target, int(item)) for item in value or []]
    column_type = mapper.columns[name].type
    if value is None:
        return None
    if isinstance(column_type, sa.Enum) and column_type.enum_class is not None:
        return column_type.enum_class(value)
    if isinstance(column_type, sa.DateTime):
        return datetime.fromisoformat(value)
    if isinstance(column_type, sa.Date):
        return date.fromisoformat(value)
    if isinstance(column_type, sa.Numeric):
        return Decimal(value)
    return value


def _load(entity: str, entity_id: str) -> Any:
    model = _model(entity)
    key = entity_id.split(":")
    if len(key) == 1:
        return db.session.get(model, int(key[0]))
    primary = sa.inspect(model).primary_key
    return db.session.get(
        model, tuple(_from_json(model, c.key, v) for c, v in zip(primary, key, strict=False))
    )


def _restore(record: AuditRecord) -> None:
    obj = _load(record.entity, record.entity_id)
    if obj is None:
        return
    model = type(obj)
    for name, (before, _after) in record.changes.items():
        setattr(obj, name, _from_json(model, name, before))
        html = name.removesuffix("_md") + "_html"
        if name.endswith("_md") and hasattr(obj, html):
            setattr(obj, html, render_markdown(getattr(obj, name)))


def _delete_created(records: list[AuditRecord]) -> None:
    created = [r for r in records if r.action == "create"]
    owners = {(r.entity, r.entity_id) for r in created}
    by_entity: dict[str, list[int]] = {}
    for record in created:
        if record.entity_id.isdigit():
            by_entity.setdefault(record.entity, []).append(int(record.entity_id))
    loaded = {
        (entity, str(obj.id)): obj
        for entity, ids in by_entity.items()
        for obj in load_in(_model(entity), _model(entity).id, ids)
    }
    for record in reversed(created):
        if record.entity in PART_OF and _root(record.entity, record.entity_id) in owners:
            continue  # deleted with its owner
        obj = loaded.get((record.entity, record.entity_id)) or _load(
            record.entity, record.entity_id
        )
        if obj is not None:
            db.session.delete(obj)


def undo_batch(batch: ImportBatch, user_id: int | None) -> None:
    """Revert the batch in the current transaction; raise UndoRefused when it may not be."""
    if batch.status != "applied":
        raise UndoRefused(_("Importen är redan ångrad."))
    records = batch_records(batch.id)
    with in_batch(batch.id):
        if records and later_changes(records):
            raise UndoRefused(
                _("Importen kan inte ångras: uppgifter från den har ändrats efteråt.")
            )
        for record in reversed(records):
            if record.action == "update":
                _restore(record)
        db.session.flush()
        if records and outside_references(_created_ids(records)):
            raise UndoRefused(
                _("Importen kan inte ångras: annat har lagts till som bygger på den.")
            )
        _delete_created(records)
        batch.status, batch.undone_at, batch.undone_by_id = "undone", utcnow(), user_id
        db.session.flush()
