from __future__ import annotations

from datetime import date

from flask_babel import lazy_gettext as _l
from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    Date,
    ForeignKey,
    String,
    Text,
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
from kb.experiences.models import Experience
from kb.organisations.models import Organisation
from kb.suppliers.models import AgreementArea, Supplier, Unit
from kb.tenders.models import Contract, TenderRound


class FollowUpKind(LabelledEnum):
    CONTINUOUS = "lopande", _l("Löpande")
    EVENT_DRIVEN = "handelsestyrd", _l("Händelsestyrd")
    SPECIAL = "sarskild", _l("Särskild")


class FollowUpScope(LabelledEnum):
    SUPPLIER = "supplier", _l("Leverantör")
    UNIT = "unit", _l("Verksamhet")
    CONTRACT = "contract", _l("Avtal")
    TENDER_ROUND = "tender_round", _l("Upphandlingsomgång")
    AGREEMENT_AREA = "agreement_area", _l("Avtalsområde")


class FollowUpMethod(LabelledEnum):
    SURVEY_CASEWORKERS = "enkat_socsek", _l("Enkät till socialsekreterare")
    SURVEY_SUPPLIER = "enkat_leverantor", _l("Enkät till leverantör")
    STAFF_INTERVIEW = "intervju_personal", _l("Intervju med personal")
    ANNOUNCED_VISIT = "anmalt_besok", _l("Anmält platsbesök")
    UNANNOUNCED_VISIT = "oanmalt_besok", _l("Oanmält platsbesök")
    IVO_CHECK = "ivo_kontroll", _l("IVO-kontroll")
    CREDIT_CHECK = "kreditupplysning", _l("Kreditupplysning")
    CRIMINAL_RECORD = "belastningsregister", _l("Belastningsregister för företrädare")
    INVOICE_SAMPLE = "fakturastickprov", _l("Fakturastickprov")
    ROUTINE_REVIEW = "rutingranskning", _l("Rutingranskning")
    QUALITY_REPORT = "kvalitetsberattelse", _l("Kvalitetsberättelse")


class FollowUpResult(LabelledEnum):
    NO_REMARKS = "utan_anmarkning", _l("Utan anmärkning")
    REMARKS = "anmarkning", _l("Anmärkning")
    SERIOUS = "allvarliga_brister", _l("Allvarliga brister")


class DeviationCategory(LabelledEnum):
    INVOICING = "fakturering", _l("Fakturering")
    REPORTING = "rapportering", _l("Rapportering")
    STAFFING = "bemanning", _l("Bemanning")
    INCIDENT = "incident", _l("Incident")
    LEX_SARAH = "lex_sarah", _l("Lex Sarah")
    BREAKDOWN = "oplanerat_avbrott", _l("Oplanerat avbrott")
    PREMISES = "lokaler", _l("Lokaler")
    OTHER = "annat", _l("Annat")


class Severity(LabelledEnum):
    LOW = "lag", _l("Låg")
    MEDIUM = "medel", _l("Medel")
    HIGH = "hog", _l("Hög")
    CRITICAL = "allvarlig", _l("Allvarlig")


class CheckKind(LabelledEnum):
    IVO_PERMIT = "ivo_tillstand", _l("IVO-tillstånd")
    CREDIT = "kreditvardighet", _l("Kreditvärdighet")
    TAXES = "skatter_avgifter", _l("Skatter och avgifter")
    CRIMINAL_RECORD = "belastningsregister", _l("Belastningsregister")
    SANCTIONS = "sanktionslistor", _l("Sanktionslistor")


class CheckResult(LabelledEnum):
    OK = "ok", _l("OK")
    REMARK = "anmarkning", _l("Anmärkning")
    FAILED = "underkand", _l("Underkänd")


followup_experiences = association_table(
    "followup_experiences", "followup_id", "followups.id", "experience_id", "experiences.id"
)

followup_deviations = association_table(
    "followup_deviations", "followup_id", "followups.id", "deviation_id", "deviations.id"
)

SCOPE_COLUMNS = {
    FollowUpScope.SUPPLIER: "supplier_id",
    FollowUpScope.UNIT: "unit_id",
    FollowUpScope.CONTRACT: "contract_id",
    FollowUpScope.TENDER_ROUND: "tender_round_id",
    FollowUpScope.AGREEMENT_AREA: "agreement_area_id",
}
_SCOPE_CHECK = " OR ".join(
    f"(scope = '{scope.value}' AND {column} IS NOT NULL)" for scope, column in SCOPE_COLUMNS.items()
)


class FollowUp(Audited, Searchable, TimestampMixin, Base):
    """Uppföljning of a supplier, unit, contract, tender round or agreement area."""

    __tablename__ = "followups"
    __table_args__ = (
        CheckConstraint(_SCOPE_CHECK, name="scope_target"),
        CheckConstraint(
            "period_end IS NULL OR period_start IS NULL OR period_start <= period_end",
            name="period",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(
        ForeignKey("organisations.id", ondelete="RESTRICT"), index=True
    )
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    title: Mapped[str] = mapped_column(String(300))
    kind: Mapped[FollowUpKind] = mapped_column(enum_column(FollowUpKind, "followup_kind"))
    scope: Mapped[FollowUpScope] = mapped_column(enum_column(FollowUpScope, "followup_scope"))
    supplier_id: Mapped[int | None] = mapped_column(
        ForeignKey("suppliers.id", ondelete="RESTRICT"), index=True
    )
    unit_id: Mapped[int | None] = mapped_column(
        ForeignKey("units.id", ondelete="RESTRICT"), index=True
    )
    contract_id: Mapped[int | None] = mapped_column(
        ForeignKey("contracts.id", ondelete="RESTRICT"), index=True
    )
    tender_round_id: Mapped[int | None] = mapped_column(
        ForeignKey("tender_rounds.id", ondelete="RESTRICT"), index=True
    )
    agreement_area_id: Mapped[int | None] = mapped_column(
        ForeignKey("agreement_areas.id", ondelete="RESTRICT"), index=True
    )
    period_start: Mapped[date | None] = mapped_column(Date)
    period_end: Mapped[date | None] = mapped_column(Date)
    summary_md: Mapped[str] = mapped_column(Text, default="")
    summary_html: Mapped[str] = mapped_column(Text, default="")
    result: Mapped[FollowUpResult | None] = mapped_column(
        enum_column(FollowUpResult, "followup_result")
    )
    methods: Mapped[list[str]] = mapped_column(JSON, default=list)
    actions_taken: Mapped[str] = mapped_column(Text, default="")

    organisation: Mapped[Organisation] = relationship()
    author: Mapped[User | None] = relationship()
    supplier: Mapped[Supplier | None] = relationship()
    unit: Mapped[Unit | None] = relationship()
    contract: Mapped[Contract | None] = relationship()
    tender_round: Mapped[TenderRound | None] = relationship()
    agreement_area: Mapped[AgreementArea | None] = relationship()
    cited_experiences: Mapped[list[Experience]] = relationship(secondary=followup_experiences)
    cited_deviations: Mapped[list[Deviation]] = relationship(secondary=followup_deviations)

    @property
    def method_labels(self) -> list[str]:
        return [str(FollowUpMethod(code).label) for code in self.methods]

    def __repr__(self) -> str:
        return f"<FollowUp {self.id} {self.kind.value}>"


class Deviation(Audited, Searchable, TimestampMixin, Base):
    """Avvikelse reported against a unit or a contract."""

    __tablename__ = "deviations"
    __table_args__ = (
        CheckConstraint("unit_id IS NOT NULL OR contract_id IS NOT NULL", name="has_target"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(
        ForeignKey("organisations.id", ondelete="RESTRICT"), index=True
    )
    reported_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    unit_id: Mapped[int | None] = mapped_column(
        ForeignKey("units.id", ondelete="RESTRICT"), index=True
    )
    contract_id: Mapped[int | None] = mapped_column(
        ForeignKey("contracts.id", ondelete="RESTRICT"), index=True
    )
    occurred_on: Mapped[date] = mapped_column(Date, index=True)
    category: Mapped[DeviationCategory] = mapped_column(
        enum_column(DeviationCategory, "deviation_category")
    )
    severity: Mapped[Severity] = mapped_column(enum_column(Severity, "severity"))
    description_md: Mapped[str] = mapped_column(Text, default="")
    description_html: Mapped[str] = mapped_column(Text, default="")
    resolved: Mapped[bool] = mapped_column(Boolean, default=False)
    resolved_on: Mapped[date | None] = mapped_column(Date)
    resolution_note: Mapped[str] = mapped_column(Text, default="")

    organisation: Mapped[Organisation] = relationship()
    reported_by: Mapped[User | None] = relationship()
    unit: Mapped[Unit | None] = relationship()
    contract: Mapped[Contract | None] = relationship()

    def __repr__(self) -> str:
        return f"<Deviation {self.id} {self.category.value}>"


class SupplierCheck(Audited, Searchable, TimestampMixin, Base):
    """Kontroll of a supplier (or one of its units, for IVO permits)."""

    __tablename__ = "supplier_checks"

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(
        ForeignKey("organisations.id", ondelete="RESTRICT"), index=True
    )
    supplier_id: Mapped[int] = mapped_column(
        ForeignKey("suppliers.id", ondelete="CASCADE"), index=True
    )
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("units.id", ondelete="CASCADE"))
    kind: Mapped[CheckKind] = mapped_column(enum_column(CheckKind, "check_kind"))
    checked_on: Mapped[date] = mapped_column(Date)
    result: Mapped[CheckResult] = mapped_column(enum_column(CheckResult, "check_result"))
    value: Mapped[str | None] = mapped_column(String(100))
    note: Mapped[str] = mapped_column(Text, default="")
    next_due: Mapped[date | None] = mapped_column(Date, index=True)

    organisation: Mapped[Organisation] = relationship()
    supplier: Mapped[Supplier] = relationship()
    unit: Mapped[Unit | None] = relationship()

    def __repr__(self) -> str:
        return f"<SupplierCheck {self.id} {self.kind.value}>"
