from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import DDL, JSON, DateTime, ForeignKey, Index, Integer, String, event
from sqlalchemy.orm import Mapped, mapped_column

from kb.database import Base, utcnow


class AuditRecord(Base):
    """Append-only record of one create, update or delete of a domain object."""

    __tablename__ = "audit_records"
    __table_args__ = (
        Index("ix_audit_records_entity", "entity", "entity_id"),
        Index("ix_audit_records_actor", "actor_id", "occurred_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    occurred_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, index=True)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="RESTRICT"))
    actor_label: Mapped[str] = mapped_column(String(254))
    organisation_id: Mapped[int | None] = mapped_column(
        ForeignKey("organisations.id", ondelete="RESTRICT"), index=True
    )
    action: Mapped[str] = mapped_column(String(10))
    entity: Mapped[str] = mapped_column(String(50))
    entity_id: Mapped[str] = mapped_column(String(100))
    changes: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    batch_id: Mapped[int | None] = mapped_column(Integer, index=True)

    def __repr__(self) -> str:
        return f"<AuditRecord {self.id} {self.action} {self.entity}:{self.entity_id}>"


# The database itself refuses to change or delete audit rows. The same statements are in the
# initial migration; this listener covers schemas made with create_all (the test suite).
APPEND_ONLY_DDL = {
    "sqlite": [
        "CREATE TRIGGER audit_records_no_update BEFORE UPDATE ON audit_records "
        "BEGIN SELECT RAISE(ABORT, 'audit records are append-only'); END",
        "CREATE TRIGGER audit_records_no_delete BEFORE DELETE ON audit_records "
        "BEGIN SELECT RAISE(ABORT, 'audit records are append-only'); END",
    ],
    "postgresql": [
        "CREATE OR REPLACE FUNCTION audit_records_append_only() RETURNS trigger AS $$ "
        "BEGIN RAISE EXCEPTION 'audit records are append-only'; END; $$ LANGUAGE plpgsql",
        "CREATE TRIGGER audit_records_append_only BEFORE UPDATE OR DELETE ON audit_records "
        "FOR EACH ROW EXECUTE FUNCTION audit_records_append_only()",
    ],
}

for _dialect, _statements in APPEND_ONLY_DDL.items():
    for _statement in _statements:
        event.listen(
            AuditRecord.__table__,
            "after_create",
            DDL(_statement.replace("%", "%%")).execute_if(dialect=_dialect),
        )
