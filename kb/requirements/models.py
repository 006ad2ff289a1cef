from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import TYPE_CHECKING

from flask_babel import lazy_gettext as _l
from sqlalchemy import (
    CheckConstraint,
    DateTime,
    ForeignKey,
    Integer,
    Numeric,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from kb.auth.models import User
from kb.database import (
    Audited,
    Base,
    LabelledEnum,
    Searchable,
    TimestampMixin,
    association_table,
    enum_column,
)
from kb.organisations.models import Organisation
from kb.suppliers.models import AgreementArea

if TYPE_CHECKING:
    from kb.findings.models import Finding


class RequirementKind(LabelledEnum):
    QUALIFICATION = "kvalificeringskrav", _l("Kvalificeringskrav")
    MANDATORY = "skall_krav", _l("Skall-krav")
    AWARD_CRITERION = "utvarderingskriterium", _l("Utvärderingskriterium")
    CONTRACT_TERM = "avtalsvillkor", _l("Avtalsvillkor")
    MARKET_QUESTION = "marknadsfraga", _l("Marknadsfråga")
    FOLLOWUP_QUESTION = "uppfoljningsfraga", _l("Uppföljningsfråga")


class RequirementLevel(LabelledEnum):
    BASIC = "bas", _l("Bas")
    ADVANCED = "avancerad", _l("Avancerad")
    CUTTING_EDGE = "spjutspets", _l("Spjutspets")


requirement_agreement_areas = association_table(
    "requirement_agreement_areas",
    "requirement_id",
    "requirements.id",
    "agreement_area_id",
    "agreement_areas.id",
)

requirement_version_findings = association_table(
    "requirement_version_findings",
    "requirement_version_id",
    "requirement_versions.id",
    "finding_id",
    "findings.id",
)


class Requirement(Audited, Searchable, TimestampMixin, Base):
    """Krav in the requirement library; its content lives in immutable-once-used versions."""

    __tablename__ = "requirements"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(30), unique=True)
    owner_organisation_id: Mapped[int] = mapped_column(
        ForeignKey("organisations.id", ondelete="RESTRICT"), index=True
    )
    retired_at: Mapped[datetime | None] = mapped_column(DateTime)

    owner_organisation: Mapped[Organisation] = relationship()
    agreement_areas: Mapped[list[AgreementArea]] = relationship(
        secondary=requirement_agreement_areas, order_by="AgreementArea.name"
    )
    versions: Mapped[list[RequirementVersion]] = relationship(
        back_populates="requirement",
        order_by="RequirementVersion.number",
        cascade="all, delete-orphan",
    )

    @property
    def current_version(self) -> RequirementVersion | None:
        return self.versions[-1] if self.versions else None

    def __repr__(self) -> str:
        return f"<Requirement {self.id} {self.code!r}>"


class RequirementVersion(Audited, Searchable, TimestampMixin, Base):
    """One version of a requirement's content; frozen once a finalised draft uses it."""

    __tablename__ = "requirement_versions"
    __table_args__ = (
        UniqueConstraint("requirement_id", "number"),
        CheckConstraint("number >= 1", name="number_positive"),
        CheckConstraint("weight IS NULL OR (weight >= 0 AND weight <= 100)", name="weight_range"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    requirement_id: Mapped[int] = mapped_column(
        ForeignKey("requirements.id", ondelete="CASCADE"), index=True
    )
    number: Mapped[int] = mapped_column(Integer)
    title: Mapped[str] = mapped_column(String(300))
    text_md: Mapped[str] = mapped_column(Text, default="")
    text_html: Mapped[str] = mapped_column(Text, default="")
    kind: Mapped[RequirementKind] = mapped_column(enum_column(RequirementKind, "requirement_kind"))
    weight: Mapped[Decimal | None] = mapped_column(Numeric(5, 2))
    level: Mapped[RequirementLevel] = mapped_column(
        enum_column(RequirementLevel, "requirement_level"), default=RequirementLevel.BASIC
    )
    rationale: Mapped[str] = mapped_column(Text, default="")
    verification: Mapped[str] = mapped_column(Text, default="")
    followup_method: Mapped[str] = mapped_column(Text, default="")
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    frozen_at: Mapped[datetime | None] = mapped_column(DateTime)

    requirement: Mapped[Requirement] = relationship(back_populates="versions")
    created_by: Mapped[User | None] = relationship()
    origin_findings: Mapped[list[Finding]] = relationship(
        secondary=requirement_version_findings, back_populates="resulting_versions"
    )

    @property
    def is_frozen(self) -> bool:
        return self.frozen_at is not None

    def search_key(self) -> tuple[str, int]:
        return "requirement", self.requirement_id

    def __repr__(self) -> str:
        return f"<RequirementVersion {self.requirement_id} v{self.number}>"
