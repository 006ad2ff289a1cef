from __future__ import annotations

from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import (
    CheckConstraint,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from kb.auth.models import User
from kb.database import Audited, Base, LabelledEnum, Searchable, TimestampMixin, enum_column
from kb.experiences.models import Experience
from kb.followups.models import Deviation, FollowUp
from kb.organisations.models import Organisation
from kb.requirements.models import Requirement, RequirementVersion, requirement_version_findings
from kb.suppliers.models import AgreementArea, Supplier
from kb.tenders.models import TenderRound
from kb.themes import Theme


class FindingStatus(LabelledEnum):
    PROPOSED = "foreslagen", _l("Föreslagen")
    ACCEPTED = "accepterad", _l("Accepterad")
    REJECTED = "avvisad", _l("Avvisad")
    APPLIED = "tillampad", _l("Tillämpad")
    SUPERSEDED = "ersatt", _l("Ersatt")


class Importance(LabelledEnum):
    LOW = "lag", _l("Låg")
    MEDIUM = "medel", _l("Medel")
    HIGH = "hog", _l("Hög")


class ProposedChange(LabelledEnum):
    ADD_REQUIREMENT = "lagg_till_krav", _l("Lägg till krav")
    CHANGE_REQUIREMENT = "andra_krav", _l("Ändra krav")
    REMOVE_REQUIREMENT = "ta_bort_krav", _l("Ta bort krav")
    MARKET_QUESTION = "marknadsfraga", _l("Marknadsfråga")
    FOLLOWUP_QUESTION = "uppfoljningsfraga", _l("Uppföljningsfråga")


class Finding(Audited, Searchable, TimestampMixin, Base):
    """Lärdom: a curated conclusion from evidence, proposing a change to the next tender."""

    __tablename__ = "findings"
    __table_args__ = (
        CheckConstraint(
            "status <> 'avvisad' OR rejection_reason IS NOT NULL", name="rejection_has_reason"
        ),
        CheckConstraint(
            "proposed_change NOT IN ('andra_krav', 'ta_bort_krav')"
            " OR target_requirement_id IS NOT NULL",
            name="change_has_target",
        ),
        Index("ix_findings_status_area", "status", "agreement_area_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(
        ForeignKey("organisations.id", ondelete="RESTRICT"), index=True
    )
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    title: Mapped[str] = mapped_column(String(300))
    theme: Mapped[Theme | None] = mapped_column(enum_column(Theme, "theme"))
    agreement_area_id: Mapped[int] = mapped_column(
        ForeignKey("agreement_areas.id", ondelete="RESTRICT")
    )
    supplier_id: Mapped[int | None] = mapped_column(
        ForeignKey("suppliers.id", ondelete="SET NULL"), index=True
    )
    statement_md: Mapped[str] = mapped_column(Text, default="")
    statement_html: Mapped[str] = mapped_column(Text, default="")
    recommendation_md: Mapped[str] = mapped_column(Text, default="")
    recommendation_html: Mapped[str] = mapped_column(Text, default="")
    importance: Mapped[Importance] = mapped_column(
        enum_column(Importance, "importance"), default=Importance.MEDIUM
    )
    status: Mapped[FindingStatus] = mapped_column(
        enum_column(FindingStatus, "finding_status"), default=FindingStatus.PROPOSED
    )
    rejection_reason: Mapped[str | None] = mapped_column(Text)
    proposed_change: Mapped[ProposedChange] = mapped_column(
        enum_column(ProposedChange, "proposed_change")
    )
    target_requirement_id: Mapped[int | None] = mapped_column(
        ForeignKey("requirements.id", ondelete="RESTRICT"), index=True
    )
    proposed_text_md: Mapped[str] = mapped_column(Text, default="")
    applied_in_round_id: Mapped[int | None] = mapped_column(
        ForeignKey("tender_rounds.id", ondelete="SET NULL"), index=True
    )
    superseded_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("findings.id", ondelete="SET NULL")
    )
    published_at: Mapped[datetime | None] = mapped_column(DateTime)
    decided_at: Mapped[datetime | None] = mapped_column(DateTime)
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    applied_at: Mapped[datetime | None] = mapped_column(DateTime)
    # Raised by every edit; a form carries the version it was read at, so two editors of one
    # finding get a conflict instead of a silent overwrite (kb.findings.versions). As the
    # mapper's version_id_col every UPDATE also says WHERE version = <the version read>.
    version: Mapped[int] = mapped_column(Integer, default=1, server_default="1")

    __mapper_args__ = {"version_id_col": version}
    __audit_exclude__ = ("created_at", "updated_at", "version")

    organisation: Mapped[Organisation] = relationship()
    author: Mapped[User | None] = relationship(foreign_keys=[author_id])
    decided_by: Mapped[User | None] = relationship(foreign_keys=[decided_by_id])
    agreement_area: Mapped[AgreementArea] = relationship()
    supplier: Mapped[Supplier | None] = relationship()
    target_requirement: Mapped[Requirement | None] = relationship()
    applied_in_round: Mapped[TenderRound | None] = relationship()
    superseded_by: Mapped[Finding | None] = relationship(remote_side=[id])
    evidence: Mapped[list[FindingEvidence]] = relationship(
        back_populates="finding", cascade="all, delete-orphan"
    )
    resulting_versions: Mapped[list[RequirementVersion]] = relationship(
        secondary=requirement_version_findings, back_populates="origin_findings"
    )

    def __repr__(self) -> str:
        return f"<Finding {self.id} {self.status.value}>"


class FindingEvidence(Audited, TimestampMixin, Base):
    """One piece of evidence behind a finding: an experience, a follow-up or a deviation."""

    __tablename__ = "finding_evidence"
    __table_args__ = (
        CheckConstraint(
            "(CASE WHEN experience_id IS NULL THEN 0 ELSE 1 END)"
            " + (CASE WHEN followup_id IS NULL THEN 0 ELSE 1 END)"
            " + (CASE WHEN deviation_id IS NULL THEN 0 ELSE 1 END) = 1",
            name="exactly_one_source",
        ),
        UniqueConstraint("finding_id", "experience_id"),
        UniqueConstraint("finding_id", "followup_id"),
        UniqueConstraint("finding_id", "deviation_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    finding_id: Mapped[int] = mapped_column(ForeignKey("findings.id", ondelete="CASCADE"))
    experience_id: Mapped[int | None] = mapped_column(
        ForeignKey("experiences.id", ondelete="CASCADE"), index=True
    )
    followup_id: Mapped[int | None] = mapped_column(
        ForeignKey("followups.id", ondelete="CASCADE"), index=True
    )
    deviation_id: Mapped[int | None] = mapped_column(
        ForeignKey("deviations.id", ondelete="CASCADE"), index=True
    )

    finding: Mapped[Finding] = relationship(back_populates="evidence")
    experience: Mapped[Experience | None] = relationship()
    followup: Mapped[FollowUp | None] = relationship()
    deviation: Mapped[Deviation | None] = relationship()
