"""Reading the audit trail, limited to what the reader may see."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Select, func, or_, select

from kb.audit.models import AuditRecord
from kb.auth.models import Role, User
from kb.extensions import db
from kb.main.services import organisation_scope


@dataclass(frozen=True)
class AuditFilter:
    entity: str | None = None
    actor_id: int | None = None
    entity_id: str | None = None


@dataclass(frozen=True)
class AuditPage:
    records: list[AuditRecord]
    page: int
    has_next: bool


def _visible_to(reader: User) -> Select:
    statement = select(AuditRecord)
    if reader.has_role(Role.ADMIN):
        return statement
    scope = organisation_scope(reader)
    return statement.where(
        or_(AuditRecord.organisation_id.in_(scope), AuditRecord.organisation_id.is_(None))
    )


def audit_page(reader: User, filters: AuditFilter, page: int, per_page: int) -> AuditPage:
    statement = _visible_to(reader)
    if filters.entity:
        statement = statement.where(AuditRecord.entity == filters.entity)
    if filters.actor_id:
        statement = statement.where(AuditRecord.actor_id == filters.actor_id)
    if filters.entity_id:
        statement = statement.where(AuditRecord.entity_id == filters.entity_id)
    statement = statement.order_by(AuditRecord.id.desc())
    statement = statement.offset((page - 1) * per_page).limit(per_page + 1)
    rows = list(db.session.scalars(statement))
    return AuditPage(rows[:per_page], page, len(rows) > per_page)


def audited_entities() -> list[str]:
    return list(
        db.session.scalars(select(AuditRecord.entity).distinct().order_by(AuditRecord.entity))
    )


def actors_for_filter(reader: User) -> list[tuple[int, str]]:
    statement = (
        select(User.id, User.name, func.count(AuditRecord.id))
        .join(AuditRecord, AuditRecord.actor_id == User.id)
        .group_by(User.id, User.name)
        .order_by(User.name)
    )
    if not reader.has_role(Role.ADMIN):
        statement = statement.where(User.organisation_id.in_(organisation_scope(reader)))
    return [(user_id, name) for user_id, name, _count in db.session.execute(statement)]
