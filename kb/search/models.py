from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, DateTime, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from kb.database import Base, utcnow


class SearchOutbox(Base):
    """Index work written in the same transaction as the change, drained after commit."""

    __tablename__ = "search_outbox"
    __table_args__ = (Index("ix_search_outbox_entity", "entity", "entity_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    entity: Mapped[str] = mapped_column(String(50))
    entity_id: Mapped[int] = mapped_column(Integer)
    operation: Mapped[str] = mapped_column(String(10))
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text)
    available_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, index=True)


class ConsistencyCheck(Base):
    """The outcome of one check of the search index or the outbox, for the auditor's report."""

    __tablename__ = "consistency_checks"
    __table_args__ = (Index("ix_consistency_checks_kind_ran_at", "kind", "ran_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(40))
    ran_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    ok: Mapped[bool] = mapped_column(Boolean)
    summary: Mapped[str] = mapped_column(Text, default="")
