from __future__ import annotations

from datetime import date

from flask_babel import lazy_gettext as _l
from sqlalchemy import (
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
from kb.organisations.models import Organisation
from kb.suppliers.models import AgreementArea, Supplier, Unit


class ProcurementForm(LabelledEnum):
    LOU_FRAMEWORK = "lou_ramavtal", _l("LOU ramavtal")
    LOV = "lov", _l("LOV valfrihetssystem")
    DIRECT_AWARD = "direktupphandling", _l("Direktupphandling")
    DIS = "dis", _l("Dynamiskt inköpssystem (DIS)")
    IOP = "iop", _l("Idéburet offentligt partnerskap (IOP)")


class TenderRoundStatus(LabelledEnum):
    PLANNING = "planering", _l("Planering")
    DRAFT = "utkast", _l("Utkast")
    PUBLISHED = "annonserad", _l("Annonserad")
    EVALUATION = "utvardering", _l("Utvärdering")
    AWARDED = "tilldelad", _l("Tilldelad")
    ACTIVE = "aktiv", _l("Aktiv")
    ENDED = "avslutad", _l("Avslutad")


class ContractStatus(LabelledEnum):
    ACTIVE = "aktivt", _l("Aktivt")
    PAUSED = "uteslutet", _l("Tillfälligt uteslutet från avrop")
    TERMINATED = "uppsagt", _l("Uppsagt")
    RESCINDED = "havt", _l("Hävt")
    ENDED = "avslutat", _l("Avslutat")


tender_round_participants = association_table(
    "tender_round_participants",
    "tender_round_id",
    "tender_rounds.id",
    "organisation_id",
    "organisations.id",
)

contract_units = association_table(
    "contract_units", "contract_id", "contracts.id", "unit_id", "units.id"
)


class TenderRound(Audited, TimestampMixin, Base):
    """Upphandlingsomgång. The predecessor chain is what learning is measured along."""

    __tablename__ = "tender_rounds"
    __table_args__ = (
        CheckConstraint(
            "contract_start IS NULL OR contract_end IS NULL OR contract_start <= contract_end",
            name="contract_period",
        ),
        CheckConstraint(
            "extension_until IS NULL OR contract_end IS NULL OR extension_until >= contract_end",
            name="extension_after_end",
        ),
        CheckConstraint(
            "predecessor_id IS NULL OR predecessor_id <> id", name="not_own_predecessor"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    reference: Mapped[str] = mapped_column(String(50), unique=True)
    title: Mapped[str] = mapped_column(String(300))
    agreement_area_id: Mapped[int] = mapped_column(
        ForeignKey("agreement_areas.id", ondelete="RESTRICT"), index=True
    )
    procurement_form: Mapped[ProcurementForm] = mapped_column(
        enum_column(ProcurementForm, "procurement_form")
    )
    lead_organisation_id: Mapped[int] = mapped_column(
        ForeignKey("organisations.id", ondelete="RESTRICT"), index=True
    )
    status: Mapped[TenderRoundStatus] = mapped_column(
        enum_column(TenderRoundStatus, "tender_round_status"),
        default=TenderRoundStatus.PLANNING,
    )
    published_on: Mapped[date | None] = mapped_column(Date)
    contract_start: Mapped[date | None] = mapped_column(Date)
    contract_end: Mapped[date | None] = mapped_column(Date)
    extension_until: Mapped[date | None] = mapped_column(Date)
    predecessor_id: Mapped[int | None] = mapped_column(
        ForeignKey("tender_rounds.id", ondelete="SET NULL"), unique=True
    )

    agreement_area: Mapped[AgreementArea] = relationship()
    lead_organisation: Mapped[Organisation] = relationship()
    participants: Mapped[list[Organisation]] = relationship(
        secondary=tender_round_participants, order_by="Organisation.name"
    )
    predecessor: Mapped[TenderRound | None] = relationship(
        remote_side=[id], back_populates="successor"
    )
    successor: Mapped[TenderRound | None] = relationship(back_populates="predecessor")
    contracts: Mapped[list[Contract]] = relationship(back_populates="tender_round")

    def __repr__(self) -> str:
        return f"<TenderRound {self.id} {self.reference!r}>"


class Contract(Audited, Searchable, TimestampMixin, Base):
    """Avtal between a tender round's buyers and one supplier, for some of its units."""

    __tablename__ = "contracts"

    id: Mapped[int] = mapped_column(primary_key=True)
    tender_round_id: Mapped[int] = mapped_column(
        ForeignKey("tender_rounds.id", ondelete="RESTRICT"), index=True
    )
    supplier_id: Mapped[int] = mapped_column(
        ForeignKey("suppliers.id", ondelete="RESTRICT"), index=True
    )
    reference: Mapped[str | None] = mapped_column(String(50))
    lot: Mapped[str | None] = mapped_column(String(100))
    status: Mapped[ContractStatus] = mapped_column(
        enum_column(ContractStatus, "contract_status"), default=ContractStatus.ACTIVE, index=True
    )

    tender_round: Mapped[TenderRound] = relationship(back_populates="contracts")
    supplier: Mapped[Supplier] = relationship()
    units: Mapped[list[Unit]] = relationship(secondary=contract_units, order_by="Unit.name")
    status_changes: Mapped[list[ContractStatusChange]] = relationship(
        back_populates="contract",
        order_by="ContractStatusChange.changed_on",
        cascade="all, delete-orphan",
    )

    def __repr__(self) -> str:
        return f"<Contract {self.id} round={self.tender_round_id} supplier={self.supplier_id}>"


class ContractStatusChange(Audited, Searchable, TimestampMixin, Base):
    """One kept change of a contract's status, with its decision."""

    __tablename__ = "contract_status_changes"

    id: Mapped[int] = mapped_column(primary_key=True)
    contract_id: Mapped[int] = mapped_column(
        ForeignKey("contracts.id", ondelete="CASCADE"), index=True
    )
    from_status: Mapped[ContractStatus | None] = mapped_column(
        enum_column(ContractStatus, "contract_status_from")
    )
    to_status: Mapped[ContractStatus] = mapped_column(
        enum_column(ContractStatus, "contract_status_to")
    )
    changed_on: Mapped[date] = mapped_column(Date)
    reason: Mapped[str] = mapped_column(Text)
    decision_reference: Mapped[str | None] = mapped_column(String(50))
    changed_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), index=True
    )

    contract: Mapped[Contract] = relationship(back_populates="status_changes")
    changed_by: Mapped[User | None] = relationship()

    def search_key(self) -> tuple[str, int]:
        return "contract", self.contract_id
