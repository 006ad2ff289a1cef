"""Stored rating totals, kept by database triggers (see kb.insight.rating_totals_ddl)."""

from __future__ import annotations

from sqlalchemy import DDL, Index, Integer, String, event
from sqlalchemy.orm import Mapped, mapped_column

from kb.database import Base
from kb.insight.rating_totals_ddl import ALL_THEMES, trigger_statements

__all__ = ["ALL_THEMES", "RatingTotal"]


class RatingTotal(Base):
    """Count, sum and sum of squares of the ratings of submitted experiences, per key.

    Derived data: written only by triggers on experiences and experience_ratings. A missing
    area, unit or contract is 0 (no foreign keys), so the key is a plain primary key on both
    databases. The theme ALL_THEMES row counts the experiences with at least one rating.
    """

    __tablename__ = "rating_totals"
    __table_args__ = (
        # The round comparison reads by contract. Not covering: the totals change on every
        # write, and an index without them keeps those updates cheap (HOT on PostgreSQL).
        Index("ix_rating_totals_contract_id", "contract_id"),
    )

    agreement_area_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    unit_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    contract_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    organisation_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    theme: Mapped[str] = mapped_column(String(40), primary_key=True)
    n: Mapped[int] = mapped_column(Integer)
    total: Mapped[int] = mapped_column(Integer)
    total_of_squares: Mapped[int] = mapped_column(Integer)


# The triggers need experiences and experience_ratings, which create_all may make after this
# table, so they are attached to the whole metadata. Migration 0007 runs the same statements.
for _dialect in ("sqlite", "postgresql"):
    for _statement in trigger_statements(_dialect):
        event.listen(
            Base.metadata,
            "after_create",
            DDL(_statement.replace("%", "%%")).execute_if(dialect=_dialect),
        )
