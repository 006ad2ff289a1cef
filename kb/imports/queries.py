"""Reading import batches and what the upload page needs, limited to what the reader may see."""

from __future__ import annotations

from sqlalchemy import func, or_, select
from sqlalchemy.orm import selectinload

from kb.audit.models import AuditRecord
from kb.auth.models import Role, User
from kb.extensions import db
from kb.imports.columns import ImportKind
from kb.imports.models import ImportBatch
from kb.main.services import organisation_scope
from kb.organisations.models import Organisation

DETAIL_RECORDS = 200


def _visible(reader: User):  # type: ignore[no-untyped-def]
    statement = select(ImportBatch).options(selectinload(ImportBatch.created_by))
    if reader.has_role(Role.ADMIN):
        return statement
    return statement.where(
        or_(
            ImportBatch.organisation_id.in_(organisation_scope(reader)),
            ImportBatch.created_by_id == reader.id,
        )
    )


def recent_batches(reader: User, limit: int = 50) -> list[ImportBatch]:
    statement = _visible(reader).order_by(ImportBatch.id.desc()).limit(limit)
    return list(db.session.scalars(statement))


def batch_for(reader: User, batch_id: int) -> ImportBatch | None:
    return db.session.scalar(_visible(reader).where(ImportBatch.id == batch_id))


def batch_summary(batch_id: int) -> list[tuple[str, str, int]]:
    """(entity, action, count) of the batch's audit records."""
    statement = (
        select(AuditRecord.entity, AuditRecord.action, func.count())
        .where(AuditRecord.batch_id == batch_id)
        .group_by(AuditRecord.entity, AuditRecord.action)
        .order_by(AuditRecord.entity, AuditRecord.action)
    )
    return [(entity, action, count) for entity, action, count in db.session.execute(statement)]


def batch_records(batch_id: int) -> list[AuditRecord]:
    statement = (
        select(AuditRecord)
        .where(AuditRecord.batch_id == batch_id)
        .order_by(AuditRecord.id)
        .limit(DETAIL_RECORDS)
    )
    return list(db.session.scalars(statement))


def organisation_choices(user: User) -> list[tuple[int, str]]:
    statement = select(Organisation.id, Organisation.name).order_by(Organisation.name)
    if not user.has_role(Role.ADMIN):
        statement = statement.where(Organisation.id.in_(organisation_scope(user)))
    return [(organisation_id, name) for organisation_id, name in db.session.execute(statement)]


def template_table(kind: ImportKind) -> tuple[list[str], list[list[str]]]:
    """A template: the Swedish headers and one example row."""
    return [c.swedish for c in kind.columns], [[c.example for c in kind.columns]]
