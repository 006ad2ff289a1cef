"""Declarative base, naming convention and column helpers shared by every model."""

from __future__ import annotations

import enum
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Column, DateTime, Enum, ForeignKey, MetaData, Table
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


def association_table(name: str, owner: str, owner_ref: str, other: str, other_ref: str) -> Table:
    """A many-to-many link table; rows go when either side is deleted."""
    return Table(
        name,
        Base.metadata,
        Column(owner, ForeignKey(owner_ref, ondelete="CASCADE"), primary_key=True),
        Column(other, ForeignKey(other_ref, ondelete="CASCADE"), primary_key=True, index=True),
    )


def utcnow() -> datetime:
    """Return the current UTC time as a naive datetime; all stored times are UTC."""
    return datetime.now(UTC).replace(tzinfo=None)


def enum_column(enum_class: type[enum.Enum], name: str) -> Enum:
    """Store an enum by value in a VARCHAR with a CHECK constraint, alike on every database."""
    return Enum(
        enum_class,
        name=name,
        native_enum=False,
        create_constraint=True,
        length=max(len(member.value) for member in enum_class),
        values_callable=lambda members: [member.value for member in members],
        validate_strings=True,
    )


class TimestampMixin:
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, onupdate=utcnow)


class Audited:
    """Marker: create, update and delete of this model write an AuditRecord (see kb.audit)."""

    __audit_exclude__: tuple[str, ...] = ("created_at", "updated_at")


class LabelledEnum(enum.StrEnum):
    """A str enum whose members carry a Swedish label for display."""

    label: Any

    def __new__(cls, value: str, label: Any = None) -> LabelledEnum:
        member = str.__new__(cls, value)
        member._value_ = value
        member.label = label if label is not None else value
        return member


class Searchable:
    """Marker: changes queue index work in the search outbox (see kb.audit.recorder)."""

    def search_key(self) -> tuple[str, int]:
        """Return the search document this row belongs to, as (entity, id)."""
        return self.__tablename__.removesuffix("s"), self.id  # type: ignore[attr-defined]
