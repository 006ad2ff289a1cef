from __future__ import annotations

from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import CheckConstraint, DateTime, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from kb.auth.models import User
from kb.database import Audited, Base, LabelledEnum, TimestampMixin, enum_column
from kb.findings.models import Finding
from kb.requirements.models import RequirementVersion
from kb.tenders.models import TenderRound


class DraftStatus(LabelledEnum):
    DRAFT = "utkast", _l("Utkast")
    FINAL = "faststalld", _l("Fastställd")


class DraftSection(LabelledEnum):
    SCOPE = "omfattning", _l("Omfattning")
    QUALIFICATION = "kvalificering", _l("Kvalificering")
    SERVICE = "tjanstekrav", _l("Krav på tjänsten")
    EVALUATION = "utvardering", _l("Utvärdering")
    CONTRACT_TERMS = "avtalsvillkor", _l("Avtalsvillkor")
    FOLLOWUP_PLAN = "uppfoljningsplan", _l("Uppföljningsfrågor")
    MARKET_QUESTIONS = "marknadsfragor", _l("Marknadsfrågor")


class Provenance(LabelledEnum):
    CARRIED_OVER = "overford", _l("Överförd från föregående omgång")
    ADDED = "tillagd", _l("Tillagd av lärdom")
    CHANGED = "andrad", _l("Ändrad av lärdom")
    REMOVED = "borttagen", _l("Borttagen av lärdom")


class TenderDraft(Audited, TimestampMixin, Base):
    """Förfrågningsunderlag for a tender round, built from its base round plus findings."""

    __tablename__ = "tender_drafts"

    id: Mapped[int] = mapped_column(primary_key=True)
    tender_round_id: Mapped[int] = mapped_column(
        ForeignKey("tender_rounds.id", ondelete="CASCADE"), unique=True
    )
    base_round_id: Mapped[int | None] = mapped_column(
        ForeignKey("tender_rounds.id", ondelete="SET NULL"), index=True
    )
    title: Mapped[str] = mapped_column(String(300))
    status: Mapped[DraftStatus] = mapped_column(
        enum_column(DraftStatus, "draft_status"), default=DraftStatus.DRAFT
    )
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    finalised_at: Mapped[datetime | None] = mapped_column(DateTime)
    finalised_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    tender_round: Mapped[TenderRound] = relationship(foreign_keys=[tender_round_id])
    base_round: Mapped[TenderRound | None] = relationship(foreign_keys=[base_round_id])
    created_by: Mapped[User | None] = relationship(foreign_keys=[created_by_id])
    finalised_by: Mapped[User | None] = relationship(foreign_keys=[finalised_by_id])
    items: Mapped[list[TenderDraftItem]] = relationship(
        back_populates="draft",
        order_by="(TenderDraftItem.section, TenderDraftItem.position)",
        cascade="all, delete-orphan",
    )

    def __repr__(self) -> str:
        return f"<TenderDraft {self.id} round={self.tender_round_id} {self.status.value}>"


class TenderDraftItem(Audited, TimestampMixin, Base):
    """One requirement version in a draft section, with where it came from."""

    __tablename__ = "tender_draft_items"
    __table_args__ = (
        CheckConstraint("position >= 0", name="position_not_negative"),
        CheckConstraint(
            "provenance = 'overford' OR finding_id IS NOT NULL", name="change_has_finding"
        ),
        Index("ix_tender_draft_items_draft_section", "draft_id", "section", "position"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    draft_id: Mapped[int] = mapped_column(ForeignKey("tender_drafts.id", ondelete="CASCADE"))
    section: Mapped[DraftSection] = mapped_column(enum_column(DraftSection, "draft_section"))
    position: Mapped[int] = mapped_column(Integer, default=0)
    requirement_version_id: Mapped[int] = mapped_column(
        ForeignKey("requirement_versions.id", ondelete="RESTRICT"), index=True
    )
    previous_version_id: Mapped[int | None] = mapped_column(
        ForeignKey("requirement_versions.id", ondelete="SET NULL")
    )
    provenance: Mapped[Provenance] = mapped_column(enum_column(Provenance, "provenance"))
    finding_id: Mapped[int | None] = mapped_column(
        ForeignKey("findings.id", ondelete="SET NULL"), index=True
    )
    excluded_reason: Mapped[str | None] = mapped_column(Text)

    draft: Mapped[TenderDraft] = relationship(back_populates="items")
    requirement_version: Mapped[RequirementVersion] = relationship(
        foreign_keys=[requirement_version_id]
    )
    previous_version: Mapped[RequirementVersion | None] = relationship(
        foreign_keys=[previous_version_id]
    )
    finding: Mapped[Finding | None] = relationship()

    @property
    def is_excluded(self) -> bool:
        return self.excluded_reason is not None

    @property
    def is_edited_by_hand(self) -> bool:
        """A carried-over requirement whose text the procurer changed in this draft."""
        return (
            self.provenance == Provenance.CARRIED_OVER
            and self.previous_version_id is not None
            and self.previous_version_id != self.requirement_version_id
        )
