"""Reading the audit trail, limited to what the reader may see."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Select, func, select

from kb.audit.models import AuditRecord
from kb.auth.models import Role, User
from kb.experiences.models import Experience
from kb.experiences.visibility import readable_by
from kb.extensions import db
from kb.main.services import organisation_scope


@dataclass(frozen=True)
class AuditFilter:
    entity: str | None = None
    actor_id: int | None = None
    entity_id: str | None = None


HIDDEN_VALUE = "[dolt]"
# Entities whose logged values are only shown to readers who may read the object itself.
EXPERIENCE_ENTITIES = {"Experience", "ExperienceRating"}


@dataclass(frozen=True)
class AuditRow:
    """An audit record as shown to one reader: values they may not read are hidden."""

    occurred_at: datetime
    actor_label: str
    action: str
    entity: str
    entity_id: str
    changes: dict[str, Any]


@dataclass(frozen=True)
class AuditPage:
    records: list[AuditRow]
    page: int
    has_next: bool


def _visible_to(reader: User) -> Select:
    statement = select(AuditRecord)
    if reader.has_role(Role.ADMIN):
        return statement
    return statement.where(AuditRecord.organisation_id.in_(organisation_scope(reader)))


def _experience_id(record: AuditRecord) -> int | None:
    head = record.entity_id.split(":", 1)[0]
    return int(head) if record.entity in EXPERIENCE_ENTITIES and head.isdigit() else None


def _as_rows(reader: User, records: list[AuditRecord]) -> list[AuditRow]:
    """Hide the logged values of experiences the reader may not read (DESIGN section 5)."""
    ids = {i for i in map(_experience_id, records) if i is not None}
    readable = (
        set(
            db.session.scalars(
                select(Experience.id).where(Experience.id.in_(ids), readable_by(reader))
            )
        )
        if ids
        else set()
    )
    rows = []
    for record in records:
        experience_id = _experience_id(record)
        changes = record.changes
        if experience_id is not None and experience_id not in readable:
            changes = {name: [HIDDEN_VALUE, HIDDEN_VALUE] for name in changes}
        rows.append(
            AuditRow(
                record.occurred_at,
                record.actor_label,
                record.action,
                record.entity,
                record.entity_id,
                changes,
            )
        )
    return rows


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
    records = list(db.session.scalars(statement))
    return AuditPage(_as_rows(reader, records[:per_page]), page, len(records) > per_page)


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
