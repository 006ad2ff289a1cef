"""Register and follow-up aggregates of one agreement area: the current framework, deviations,
follow-ups by result and follow-up coverage per contract period, each one grouped SQL query.

Deviations and follow-ups count when recorded in the viewer's network, the same rule as the
supplier pages (kb.suppliers.services); the whole network may read them, so they carry no
unreadable rows and need no suppression.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import (
    ColumnElement,
    Select,
    and_,
    case,
    exists,
    func,
    or_,
    select,
    union,
)

from kb.extensions import db
from kb.followups.models import Deviation, DeviationCategory, FollowUp, FollowUpResult, Severity
from kb.suppliers.models import Supplier, Unit, unit_agreement_areas
from kb.tenders.models import (
    Contract,
    ContractStatus,
    TenderRound,
    TenderRoundStatus,
    contract_units,
)

SEVERE = (Severity.HIGH, Severity.CRITICAL)


def area_rounds(area_id: int) -> list[TenderRound]:
    """The area's tender rounds, oldest contract period first."""
    return list(
        db.session.scalars(
            select(TenderRound)
            .where(TenderRound.agreement_area_id == area_id)
            .order_by(TenderRound.contract_start.asc().nulls_first(), TenderRound.id)
        )
    )


@dataclass(frozen=True)
class FrameworkContract:
    contract_id: int
    supplier_id: int
    supplier_name: str
    reference: str | None
    lot: str | None
    round_reference: str
    status: ContractStatus
    units: tuple[tuple[int, str], ...]


def current_framework(area_id: int) -> list[FrameworkContract]:
    """Contracts (with their units) of the area's tender rounds with status aktiv."""
    rows = db.session.execute(
        select(
            Contract.id,
            Supplier.id,
            Supplier.name,
            Contract.reference,
            Contract.lot,
            TenderRound.reference,
            Contract.status,
            Unit.id,
            Unit.name,
        )
        .join(TenderRound, TenderRound.id == Contract.tender_round_id)
        .join(Supplier, Supplier.id == Contract.supplier_id)
        .outerjoin(contract_units, contract_units.c.contract_id == Contract.id)
        .outerjoin(Unit, Unit.id == contract_units.c.unit_id)
        .where(
            TenderRound.agreement_area_id == area_id,
            TenderRound.status == TenderRoundStatus.ACTIVE,
        )
        .order_by(Supplier.name, Contract.id, Unit.name)
    ).all()
    contracts: dict[int, FrameworkContract] = {}
    for row in rows:
        found = contracts.get(row[0]) or FrameworkContract(*row[:7], units=())
        unit = () if row[7] is None else ((row[7], row[8]),)
        contracts[row[0]] = FrameworkContract(*row[:7], units=found.units + unit)
    return list(contracts.values())


def _area_contract_ids(area_id: int) -> Select:
    return (
        select(Contract.id)
        .join(TenderRound, TenderRound.id == Contract.tender_round_id)
        .where(TenderRound.agreement_area_id == area_id)
    )


def _area_unit_ids(area_id: int) -> Select:
    """Units serving the area, or on a contract of one of its rounds."""
    return union(
        select(unit_agreement_areas.c.unit_id).where(
            unit_agreement_areas.c.agreement_area_id == area_id
        ),
        select(contract_units.c.unit_id).where(
            contract_units.c.contract_id.in_(_area_contract_ids(area_id))
        ),
    )


@dataclass(frozen=True)
class DeviationCount:
    category: DeviationCategory
    unit_id: int | None
    unit_name: str | None
    supplier_name: str | None
    total: int
    unresolved: int
    severe: int


def deviation_counts(network: tuple[int, ...], area_id: int) -> list[DeviationCount]:
    """Deviations of the area per category and unit: on one of its contracts, or without a
    contract on a unit serving it."""
    in_area = or_(
        Deviation.contract_id.in_(_area_contract_ids(area_id)),
        and_(
            Deviation.contract_id.is_(None),
            Deviation.unit_id.in_(
                select(unit_agreement_areas.c.unit_id).where(
                    unit_agreement_areas.c.agreement_area_id == area_id
                )
            ),
        ),
    )
    rows = db.session.execute(
        select(
            Deviation.category,
            Unit.id,
            Unit.name,
            Supplier.name,
            func.count(Deviation.id),
            _count_where(Deviation.resolved.is_(False)),
            _count_where(Deviation.severity.in_(SEVERE)),
        )
        .outerjoin(Unit, Unit.id == Deviation.unit_id)
        .outerjoin(Supplier, Supplier.id == Unit.supplier_id)
        .where(Deviation.organisation_id.in_(network), in_area)
        .group_by(Deviation.category, Unit.id, Unit.name, Supplier.name)
    ).all()
    return [DeviationCount(*row[:4], *(int(value or 0) for value in row[4:])) for row in rows]


def _followup_in_area(area_id: int) -> ColumnElement[bool]:
    """A follow-up whose scope resolves to the area, its rounds, contracts, units or suppliers."""
    rounds = select(TenderRound.id).where(TenderRound.agreement_area_id == area_id)
    return or_(
        FollowUp.agreement_area_id == area_id,
        FollowUp.tender_round_id.in_(rounds),
        FollowUp.contract_id.in_(_area_contract_ids(area_id)),
        FollowUp.unit_id.in_(_area_unit_ids(area_id)),
        FollowUp.supplier_id.in_(
            select(Contract.supplier_id).where(Contract.tender_round_id.in_(rounds))
        ),
    )


def followup_results(network: tuple[int, ...], area_id: int) -> dict[FollowUpResult | None, int]:
    """Follow-ups of the area recorded in the network, counted by result."""
    rows = db.session.execute(
        select(FollowUp.result, func.count(FollowUp.id))
        .where(FollowUp.organisation_id.in_(network), _followup_in_area(area_id))
        .group_by(FollowUp.result)
    ).all()
    return {result: int(count) for result, count in rows}


@dataclass(frozen=True)
class RoundCoverage:
    contracts: int
    covered: int


def followup_coverage(network: tuple[int, ...], area_id: int) -> dict[int, RoundCoverage]:
    """Per tender round: its contracts, and how many had a follow-up during the contract period.

    A follow-up covers a contract when it is scoped to the contract, one of its units, its
    supplier, its round or the area, and its period (without one: the day it was recorded)
    overlaps the round's contract period (contract_start to extension_until or contract_end;
    an open end runs on)."""
    day = func.date(FollowUp.created_at)
    follow_start = func.coalesce(FollowUp.period_start, FollowUp.period_end, day)
    follow_end = func.coalesce(FollowUp.period_end, FollowUp.period_start, day)
    period_end = func.coalesce(TenderRound.extension_until, TenderRound.contract_end)
    covering = exists(
        select(FollowUp.id).where(
            FollowUp.organisation_id.in_(network),
            or_(TenderRound.contract_start.is_(None), follow_end >= TenderRound.contract_start),
            or_(period_end.is_(None), follow_start <= period_end),
            or_(
                FollowUp.contract_id == Contract.id,
                FollowUp.supplier_id == Contract.supplier_id,
                FollowUp.tender_round_id == Contract.tender_round_id,
                FollowUp.agreement_area_id == TenderRound.agreement_area_id,
                FollowUp.unit_id.in_(
                    select(contract_units.c.unit_id)
                    .where(contract_units.c.contract_id == Contract.id)
                    .correlate(Contract)
                ),
            ),
        )
    )
    rows = db.session.execute(
        select(
            Contract.tender_round_id,
            func.count(Contract.id),
            func.coalesce(func.sum(case((covering, 1), else_=0)), 0),
        )
        .join(TenderRound, TenderRound.id == Contract.tender_round_id)
        .where(TenderRound.agreement_area_id == area_id)
        .group_by(Contract.tender_round_id)
    ).all()
    return {round_id: RoundCoverage(int(n), int(covered)) for round_id, n, covered in rows}


def contract_period_label(tender_round: TenderRound) -> str:
    """The round's reference with its contract period in years, e.g. "UPF 2022/1 (2023–2026)"."""
    start, end = tender_round.contract_start, tender_round.extension_until
    end = end or tender_round.contract_end

    def year(on: date | None) -> str:
        return str(on.year) if on else "…"

    if start is None and end is None:
        return tender_round.reference
    return f"{tender_round.reference} ({year(start)}–{year(end)})"


def _count_where(condition: ColumnElement[bool]) -> ColumnElement[int]:
    return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)
