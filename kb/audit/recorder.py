"""Write audit records and search-outbox rows for every flushed change, in one place.

Both are inserted through the flush's own connection in ``after_flush``, so they commit or
roll back together with the change itself.
"""

from __future__ import annotations

import enum
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import event, insert, inspect
from sqlalchemy.orm import Session, UOWTransaction
from sqlalchemy.orm.state import InstanceState

from kb.audit.context import current_actor, current_batch_id
from kb.audit.models import AuditRecord
from kb.database import Audited, Base, Searchable, utcnow
from kb.search.models import SearchOutbox

REDACTED = "[dolt]"


class AuditLogAppendOnlyError(RuntimeError):
    pass


def to_json_value(value: Any) -> Any:
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, list | tuple | set):
        return [to_json_value(item) for item in value]
    if hasattr(value, "__mapper__"):
        return _identity(inspect(value))
    return value


def _identity(state: InstanceState) -> str | None:
    key = state.identity or tuple(
        state.dict.get(prop.key)
        for prop in state.mapper.column_attrs
        if prop.columns[0].primary_key
    )
    if not key or any(part is None for part in key):
        return None
    return ":".join(str(part.value if isinstance(part, enum.Enum) else part) for part in key)


def _excluded(obj: Audited) -> set[str]:
    """Fields not worth logging: timestamps, and HTML rendered from a logged Markdown field."""
    columns = inspect(obj).mapper.column_attrs
    derived = {attr.key for attr in columns if attr.key.endswith("_html")}
    return set(getattr(obj, "__audit_exclude__", ())) | derived


def _redacted(obj: Audited) -> set[str]:
    return set(getattr(obj, "__audit_redact__", ("password_hash",)))


def _tracked_attributes(state: InstanceState) -> list[str]:
    """Columns plus many-to-many collections; plain relationships are covered by their FKs."""
    mapper = state.mapper
    names = [attr.key for attr in mapper.column_attrs]
    names += [rel.key for rel in mapper.relationships if rel.secondary is not None]
    return names


def _snapshot(obj: Audited, state: InstanceState) -> dict[str, Any]:
    excluded, redacted = _excluded(obj), _redacted(obj)
    values: dict[str, Any] = {}
    for key in _tracked_attributes(state):
        if key in excluded or key not in state.dict:
            continue
        values[key] = REDACTED if key in redacted else to_json_value(state.dict[key])
    return values


def _changed_fields(obj: Audited, state: InstanceState) -> dict[str, list[Any]]:
    excluded, redacted = _excluded(obj), _redacted(obj)
    changes: dict[str, list[Any]] = {}
    for key in _tracked_attributes(state):
        if key in excluded:
            continue
        history = state.attrs[key].history
        if not history.has_changes():
            continue
        is_collection = (
            state.mapper.attrs[key].uselist if key in state.mapper.relationships else False
        )
        if is_collection:
            before = to_json_value(list(history.unchanged) + list(history.deleted))
            after = to_json_value(list(history.unchanged) + list(history.added))
        else:
            before = to_json_value(history.deleted[0]) if history.deleted else None
            after = to_json_value(history.added[0]) if history.added else None
        if before == after:
            continue
        changes[key] = [REDACTED, REDACTED] if key in redacted else [before, after]
    return changes


def _audit_rows(session: Session) -> list[dict[str, Any]]:
    actor = current_actor()
    batch_id = current_batch_id()
    now = utcnow()
    rows: list[dict[str, Any]] = []

    def add(obj: Audited, action: str, changes: dict[str, Any]) -> None:
        state = inspect(obj)
        rows.append(
            {
                "occurred_at": now,
                "actor_id": actor.user_id,
                "actor_label": actor.label,
                "organisation_id": actor.organisation_id,
                "action": action,
                "entity": type(obj).__name__,
                "entity_id": _identity(state) or "?",
                "changes": changes,
                "batch_id": batch_id,
            }
        )

    for obj in session.new:
        if isinstance(obj, Audited):
            add(obj, "create", {k: [None, v] for k, v in _snapshot(obj, inspect(obj)).items()})
    for obj in session.dirty:
        if isinstance(obj, Audited):
            changes = _changed_fields(obj, inspect(obj))
            if changes:
                add(obj, "update", changes)
    for obj in session.deleted:
        if isinstance(obj, Audited):
            add(obj, "delete", {k: [v, None] for k, v in _snapshot(obj, inspect(obj)).items()})
    return rows


def _outbox_rows(session: Session) -> list[dict[str, Any]]:
    operations: dict[tuple[str, int], str] = {}
    for obj in [*session.new, *session.dirty, *session.deleted]:
        if isinstance(obj, Searchable):
            operations.setdefault(obj.search_key(), "upsert")
    for obj in session.deleted:
        if isinstance(obj, Searchable) and obj.search_key() == _own_document(obj):
            operations[obj.search_key()] = "delete"
    now = utcnow()
    return [
        {
            "entity": entity,
            "entity_id": entity_id,
            "operation": operation,
            "created_at": now,
            "available_at": now,
            "attempts": 0,
        }
        for (entity, entity_id), operation in operations.items()
    ]


def _own_document(obj: Searchable) -> tuple[str, int]:
    return type(obj).__tablename__.removesuffix("s"), getattr(obj, "id", None)  # type: ignore[attr-defined]


def _refuse_audit_edits(session: Session, flush_context: UOWTransaction, instances: Any) -> None:
    for obj in list(session.dirty) + list(session.deleted):
        if isinstance(obj, AuditRecord):
            raise AuditLogAppendOnlyError("Audit records cannot be changed or deleted.")


def _record(session: Session, flush_context: UOWTransaction) -> None:
    audit_rows = _audit_rows(session)
    outbox_rows = _outbox_rows(session)
    connection = session.connection()
    if audit_rows:
        connection.execute(insert(AuditRecord.__table__), audit_rows)
    if outbox_rows:
        connection.execute(insert(SearchOutbox.__table__), outbox_rows)
        session.info["kb_search_pending"] = True  # drained after commit, see kb.search.sync


def _keep_old_value(target: Any, value: Any, oldvalue: Any, initiator: Any) -> Any:
    return value


def _load_old_values_on_set() -> None:
    """Make setting an expired attribute load its old value first, so 'before' is known."""
    for mapper in Base.registry.mappers:
        if not issubclass(mapper.class_, Audited):
            continue
        for attr in mapper.column_attrs:
            event.listen(
                getattr(mapper.class_, attr.key), "set", _keep_old_value, active_history=True
            )


def install() -> None:
    """Register the listeners once per process."""
    if not event.contains(Session, "after_flush", _record):
        _load_old_values_on_set()
        event.listen(Session, "before_flush", _refuse_audit_edits)
        event.listen(Session, "after_flush", _record)
