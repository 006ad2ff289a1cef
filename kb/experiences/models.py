from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from flask_babel import lazy_gettext as _l
from sqlalchemy import (
    Boolean,
    CheckConstraint,
    DateTime,
    ForeignKey,
    Index,
    Numeric,
    SmallInteger,
    String,
    Text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from kb.auth.models import User
from kb.database import Audited, Base, LabelledEnum, Searchable, TimestampMixin, enum_column
from kb.organisations.models import Organisation
from kb.suppliers.models import AgreementArea, Unit
from kb.tenders.models import Contract
from kb.themes import Theme


class OffContractReason(LabelledEnum):
    COMPETENCE = "kompetens", _l("Kompetens")
    GEOGRAPHY = "geografi", _l("Geografi")
    PREMISES = "lokaler", _l("Lokaler")
    CAPACITY = "kapacitet", _l("Kapacitet")
    STAY_AFTER_END = "kvarboende", _l("Kvarboende efter avtalets slut")
    AGE_LIMIT = "aldersgrans", _l("Åldersgräns")
    OTHER = "annat", _l("Annat")


class PlacementKind(LabelledEnum):
    EMERGENCY = "akut", _l("Akut")
    ASSESSMENT = "utredning", _l("Utredning")
    TREATMENT = "behandling", _l("Behandling")
    TRANSITION = "utslussning", _l("Utslussning")
    SUPPORT = "stod", _l("Stöd")


class LegalBasis(LabelledEnum):
    SOL = "sol", _l("SoL")
    LVU = "lvu", _l("LVU")
    LVM = "lvm", _l("LVM")
    LSS = "lss", _l("LSS")


class AgeBand(LabelledEnum):
    UNDER_6 = "0-5", _l("0–5 år")
    AGE_6_12 = "6-12", _l("6–12 år")
    AGE_13_15 = "13-15", _l("13–15 år")
    AGE_16_17 = "16-17", _l("16–17 år")
    AGE_18_20 = "18-20", _l("18–20 år")
    AGE_21_29 = "21-29", _l("21–29 år")
    AGE_30_64 = "30-64", _l("30–64 år")
    AGE_65_PLUS = "65+", _l("65 år och äldre")


class EndReason(LabelledEnum):
    PLANNED = "planerat", _l("Planerat, mål uppnått")
    BREAKDOWN = "sammanbrott", _l("Oplanerat avbrott/sammanbrott")
    MOVED = "flytt", _l("Flytt")
    ONGOING = "pagar", _l("Pågår")


class WouldPlaceAgain(LabelledEnum):
    YES = "ja", _l("Ja")
    NO = "nej", _l("Nej")
    UNSURE = "osaker", _l("Osäker")


class ExperienceStatus(LabelledEnum):
    DRAFT = "utkast", _l("Utkast")
    SUBMITTED = "inskickad", _l("Inskickad")


# What the supplier and unit charts read of each experience in the compared areas.
AREA_COMPARISON = (
    "agreement_area_id",
    "status",
    "organisation_id",
    "end_reason",
    "would_place_again",
    "daily_price",
    "start_year",
    "start_month",
    "end_year",
    "end_month",
    "id",
)


class Experience(Audited, Searchable, TimestampMixin, Base):
    """Placeringserfarenhet: how a placement at a unit went. Never a case file."""

    __tablename__ = "experiences"
    __table_args__ = (
        CheckConstraint("start_month BETWEEN 1 AND 12", name="start_month"),
        CheckConstraint("end_month IS NULL OR end_month BETWEEN 1 AND 12", name="end_month"),
        CheckConstraint(
            "(end_year IS NULL) = (end_month IS NULL)", name="end_year_and_month_together"
        ),
        CheckConstraint(
            "end_year IS NULL OR start_year IS NULL"
            " OR end_year * 12 + end_month >= start_year * 12 + start_month",
            name="end_not_before_start",
        ),
        CheckConstraint(
            "goal_attainment IS NULL OR goal_attainment BETWEEN 1 AND 4", name="goal_attainment"
        ),
        CheckConstraint("daily_price IS NULL OR daily_price >= 0", name="daily_price"),
        CheckConstraint(
            "NOT (off_contract AND contract_id IS NOT NULL)", name="off_contract_has_no_contract"
        ),
        Index("ix_experiences_org_status", "organisation_id", "status"),
        Index("ix_experiences_unit_status", "unit_id", "status"),
        # The insight figures read these columns only (migration 0005 says why each exists).
        Index(
            "ix_experiences_area_figures",
            "agreement_area_id",
            "status",
            "organisation_id",
            "unit_id",
            "contract_id",
            "start_year",
            "off_contract",
            "off_contract_reason",
            "end_reason",
            "would_place_again",
            "id",
        ),
        # The supplier and unit charts' area side (migration 0010 says why).
        Index("ix_experiences_area_comparison", *AREA_COMPARISON),
        Index(
            "ix_experiences_contract_outcomes",
            "contract_id",
            "status",
            "organisation_id",
            "end_reason",
            "id",
        ),
        Index(
            "ix_experiences_submissions",
            "status",
            "submitted_at",
            "organisation_id",
            "agreement_area_id",
            "end_year",
            "end_month",
            "end_reason",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(
        ForeignKey("organisations.id", ondelete="RESTRICT")
    )
    author_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("units.id", ondelete="RESTRICT"))
    agreement_area_id: Mapped[int | None] = mapped_column(
        ForeignKey("agreement_areas.id", ondelete="RESTRICT")
    )  # indexed first in ix_experiences_area_figures
    contract_id: Mapped[int | None] = mapped_column(
        ForeignKey("contracts.id", ondelete="RESTRICT")
    )  # indexed first in ix_experiences_contract_outcomes
    off_contract: Mapped[bool] = mapped_column(Boolean, default=False)
    off_contract_reason: Mapped[OffContractReason | None] = mapped_column(
        enum_column(OffContractReason, "off_contract_reason")
    )
    placement_kind: Mapped[PlacementKind | None] = mapped_column(
        enum_column(PlacementKind, "placement_kind")
    )
    legal_basis: Mapped[LegalBasis | None] = mapped_column(enum_column(LegalBasis, "legal_basis"))
    age_band: Mapped[AgeBand | None] = mapped_column(enum_column(AgeBand, "age_band"))
    start_year: Mapped[int | None] = mapped_column(SmallInteger)
    start_month: Mapped[int | None] = mapped_column(SmallInteger)
    end_year: Mapped[int | None] = mapped_column(SmallInteger)
    end_month: Mapped[int | None] = mapped_column(SmallInteger)
    end_reason: Mapped[EndReason | None] = mapped_column(enum_column(EndReason, "end_reason"))
    goal_attainment: Mapped[int | None] = mapped_column(SmallInteger)
    daily_price: Mapped[Decimal | None] = mapped_column(Numeric(10, 2))
    extra_cost_claims: Mapped[bool] = mapped_column(Boolean, default=False)
    invoicing_problems: Mapped[bool] = mapped_column(Boolean, default=False)
    would_place_again: Mapped[WouldPlaceAgain | None] = mapped_column(
        enum_column(WouldPlaceAgain, "would_place_again")
    )
    worked_md: Mapped[str] = mapped_column(Text, default="")
    not_worked_md: Mapped[str] = mapped_column(Text, default="")
    advice_md: Mapped[str] = mapped_column(Text, default="")
    worked_html: Mapped[str] = mapped_column(Text, default="")
    not_worked_html: Mapped[str] = mapped_column(Text, default="")
    advice_html: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[ExperienceStatus] = mapped_column(
        enum_column(ExperienceStatus, "experience_status"), default=ExperienceStatus.DRAFT
    )
    submitted_at: Mapped[datetime | None] = mapped_column(DateTime)
    submission_key: Mapped[str | None] = mapped_column(String(36), unique=True)
    # Set when the retention rule removed the narrative; the structured ratings stay.
    narrative_removed_at: Mapped[datetime | None] = mapped_column(DateTime)

    organisation: Mapped[Organisation] = relationship()
    author: Mapped[User | None] = relationship()
    unit: Mapped[Unit | None] = relationship()
    agreement_area: Mapped[AgreementArea | None] = relationship()
    contract: Mapped[Contract | None] = relationship()
    ratings: Mapped[list[ExperienceRating]] = relationship(
        back_populates="experience", cascade="all, delete-orphan", lazy="selectin"
    )

    def rating_for(self, theme: Theme) -> int | None:
        return next((r.rating for r in self.ratings if r.theme == theme), None)

    def __repr__(self) -> str:
        return f"<Experience {self.id} unit={self.unit_id} {self.status.value}>"


class ExperienceRating(Audited, Searchable, Base):
    """One theme rating of an experience; rating None means 'ej aktuellt'."""

    __tablename__ = "experience_ratings"
    __table_args__ = (
        CheckConstraint("rating IS NULL OR rating BETWEEN 1 AND 5", name="rating_range"),
        Index("ix_experience_ratings_theme", "theme"),
        # The primary key lacks the rating; sums over ratings read this index alone.
        Index("ix_experience_ratings_values", "experience_id", "theme", "rating"),
    )

    experience_id: Mapped[int] = mapped_column(
        ForeignKey("experiences.id", ondelete="CASCADE"), primary_key=True
    )
    theme: Mapped[Theme] = mapped_column(enum_column(Theme, "theme"), primary_key=True)
    rating: Mapped[int | None] = mapped_column(SmallInteger)

    experience: Mapped[Experience] = relationship(back_populates="ratings")

    def search_key(self) -> tuple[str, int]:
        return "experience", self.experience_id
