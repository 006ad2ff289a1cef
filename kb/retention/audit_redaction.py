"""Remove a handled narrative from the audit trail too, in the retention's own transaction.

The audit trail is append-only: the ORM refuses to change a record and database triggers
refuse UPDATE and DELETE. A narrative removed by the retention rule would still be readable
in the records of the experience's creation and edits, so inside the transaction of one
retention batch, and for exactly those records, the trigger that refuses UPDATE is lifted
(on PostgreSQL the one trigger for UPDATE and DELETE), the narrative values are replaced with
REDACTED_TEXT, and the trigger is put back before the commit. Both
databases roll the trigger change back with the transaction, so a failed batch leaves the
protection as it was. Everything else in the records (who, when, the structured fields)
stays as it was written.

On PostgreSQL, ``ALTER TABLE ... DISABLE TRIGGER`` needs the table's owner (the account that
ran the migrations) and locks audit_records until the batch commits, which is why batches are
small. The lock is taken first, before any experience row, so no deadlock can form.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import select, text, update

from kb.audit.models import APPEND_ONLY_DDL, AuditRecord
from kb.extensions import db
from kb.retention.rule import NARRATIVE_FIELDS, RENDERED_FIELDS

REDACTED_TEXT = "[gallrat]"
LOGGED_TEXT_FIELDS = (*NARRATIVE_FIELDS, *RENDERED_FIELDS.values())
SQLITE_UPDATE_TRIGGER = "audit_records_no_update"
POSTGRES_TRIGGER = "audit_records_append_only"


@contextmanager
def audit_updates_allowed() -> Iterator[None]:
    """Lift the trigger refusing UPDATE inside the current transaction, then restore it."""
    dialect = db.session.get_bind().dialect.name
    if dialect == "postgresql":
        db.session.execute(text(f"ALTER TABLE audit_records DISABLE TRIGGER {POSTGRES_TRIGGER}"))
        yield
        db.session.execute(text(f"ALTER TABLE audit_records ENABLE TRIGGER {POSTGRES_TRIGGER}"))
        return
    if not db.session.connection().connection.driver_connection.in_transaction:
        db.session.execute(text("BEGIN"))  # else pysqlite would commit the DDL on its own
    db.session.execute(text(f"DROP TRIGGER {SQLITE_UPDATE_TRIGGER}"))
    yield
    recreate = next(s for s in APPEND_ONLY_DDL["sqlite"] if SQLITE_UPDATE_TRIGGER in s)
    db.session.execute(text(recreate))


def _redacted_value(value: Any, kept: str) -> Any:
    if isinstance(value, str) and value and value != kept:
        return REDACTED_TEXT
    return value


def redacted_changes(changes: dict[str, Any], kept: dict[str, str]) -> dict[str, Any]:
    """The changes with every logged narrative value other than the one kept now redacted."""
    result = dict(changes)
    for name in LOGGED_TEXT_FIELDS:
        if name not in result:
            continue
        value = result[name]
        if isinstance(value, list):
            result[name] = [_redacted_value(item, kept.get(name, "")) for item in value]
        else:
            result[name] = _redacted_value(value, kept.get(name, ""))
    return result


def redact_narratives(kept: dict[int, dict[str, str]]) -> int:
    """Redact the narratives of these experiences in their audit records; return how many
    records changed. `kept` maps each experience id to the texts it holds now. Call inside
    audit_updates_allowed()."""
    if not kept:
        return 0
    records = db.session.execute(
        select(AuditRecord.id, AuditRecord.entity_id, AuditRecord.changes).where(
            AuditRecord.entity == "Experience",
            AuditRecord.entity_id.in_([str(experience_id) for experience_id in kept]),
        )
    ).all()
    rewritten = []
    for record_id, entity_id, changes in records:
        new = redacted_changes(changes or {}, kept[int(entity_id)])
        if new != changes:
            rewritten.append((record_id, new))
    if not rewritten:
        return 0
    table = AuditRecord.__table__
    for record_id, new in rewritten:
        db.session.execute(update(table).where(table.c.id == record_id).values(changes=new))
    return len(rewritten)
