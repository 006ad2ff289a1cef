"""The coordinator's start page, deviations first: what needs handling now, each with its link.

Everything is limited to what the coordinator's organisation follows up (kb.followups.scopes)
and may read (its network).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import selectinload

from kb.auth.models import User
from kb.checks.services import DueChecks, due_checks
from kb.deviations.flags import SupplierFlag, flagged_suppliers
from kb.experiences.visibility import network_organisation_ids
from kb.extensions import db
from kb.followups.models import (
    CheckKind,
    CheckResult,
    Deviation,
    FollowUp,
    FollowUpKind,
    Severity,
    SupplierCheck,
)
from kb.followups.scopes import (
    acting_organisation_ids,
    followable_contracts,
    followable_rounds,
    followable_suppliers,
    followable_units,
)
from kb.suppliers.models import AgreementArea, PermitStatus, Unit
from kb.tenders.models import Contract, ContractStatus, ContractStatusChange, TenderRound

SEVERITY_ORDER = (Severity.CRITICAL, Severity.HIGH, Severity.MEDIUM, Severity.LOW)
LISTED_DEVIATIONS = 25
PERMIT_PROBLEMS = (PermitStatus.MISSING, PermitStatus.REVOKED)
CHECK_PROBLEMS = (CheckResult.REMARK, CheckResult.FAILED)


@dataclass(frozen=True)
class SeverityGroup:
    severity: Severity
    total: int
    deviations: list[Deviation]


@dataclass(frozen=True)
class PausedContract:
    contract: Contract
    pause: ContractStatusChange | None  # the change that paused it, with its reason


@dataclass(frozen=True)
class UnitRemark:
    unit: Unit
    reasons: list[str]


@dataclass(frozen=True)
class AreaCoverage:
    area: AgreementArea
    tender_round: TenderRound
    special_followups: int

    @property
    def covered(self) -> bool:
        return self.special_followups > 0


@dataclass
class CoordinatorOverview:
    deviations: list[SeverityGroup] = field(default_factory=list)
    checks: DueChecks | None = None
    paused: list[PausedContract] = field(default_factory=list)
    unit_remarks: list[UnitRemark] = field(default_factory=list)
    flagged: list[SupplierFlag] = field(default_factory=list)
    coverage: list[AreaCoverage] = field(default_factory=list)

    @property
    def open_deviation_count(self) -> int:
        return sum(group.total for group in self.deviations)

    @property
    def uncovered_areas(self) -> list[AreaCoverage]:
        return [item for item in self.coverage if not item.covered]


def _followed_deviations(user: User):  # type: ignore[no-untyped-def]
    organisation = user.organisation
    return and_(
        Deviation.organisation_id.in_(network_organisation_ids(user)),
        Deviation.resolved.is_(False),
        or_(
            Deviation.unit_id.in_(followable_units(organisation)),
            Deviation.contract_id.in_(followable_contracts(organisation)),
        ),
    )


def open_deviations(user: User) -> list[SeverityGroup]:
    condition = _followed_deviations(user)
    totals = dict(
        db.session.execute(
            select(Deviation.severity, func.count(Deviation.id))
            .where(condition)
            .group_by(Deviation.severity)
        ).all()
    )
    groups = []
    for severity in SEVERITY_ORDER:
        if not totals.get(severity):
            continue
        listed = db.session.scalars(
            select(Deviation)
            .where(condition, Deviation.severity == severity)
            .options(selectinload(Deviation.unit), selectinload(Deviation.contract))
            .order_by(Deviation.occurred_on.desc(), Deviation.id.desc())
            .limit(LISTED_DEVIATIONS)
        ).all()
        groups.append(SeverityGroup(severity, totals[severity], list(listed)))
    return groups


def paused_contracts(user: User) -> list[PausedContract]:
    contracts = db.session.scalars(
        select(Contract)
        .where(
            Contract.status == ContractStatus.PAUSED,
            Contract.id.in_(followable_contracts(user.organisation)),
        )
        .options(selectinload(Contract.supplier), selectinload(Contract.status_changes))
        .order_by(Contract.id)
    ).all()
    paused = []
    for contract in contracts:
        pauses = [c for c in contract.status_changes if c.to_status == ContractStatus.PAUSED]
        paused.append(PausedContract(contract, pauses[-1] if pauses else None))
    return paused


def units_with_ivo_remarks(user: User) -> list[UnitRemark]:
    """Followed units without a valid permit, or whose latest IVO check found something."""
    followed = followable_units(user.organisation)
    reasons: dict[int, list[str]] = {}
    units: dict[int, Unit] = {}
    for unit in db.session.scalars(
        select(Unit).where(Unit.id.in_(followed), Unit.permit_status.in_(PERMIT_PROBLEMS))
    ):
        units[unit.id] = unit
        reasons.setdefault(unit.id, []).append(str(unit.permit_status.label))
    newest = (
        select(SupplierCheck.unit_id, func.max(SupplierCheck.checked_on).label("checked_on"))
        .where(SupplierCheck.kind == CheckKind.IVO_PERMIT, SupplierCheck.unit_id.in_(followed))
        .group_by(SupplierCheck.unit_id)
        .subquery()
    )
    latest_checks = db.session.scalars(
        select(SupplierCheck)
        .join(
            newest,
            and_(
                SupplierCheck.unit_id == newest.c.unit_id,
                SupplierCheck.checked_on == newest.c.checked_on,
            ),
        )
        .where(
            SupplierCheck.kind == CheckKind.IVO_PERMIT,
            SupplierCheck.result.in_(CHECK_PROBLEMS),
            SupplierCheck.organisation_id.in_(network_organisation_ids(user)),
        )
        .options(selectinload(SupplierCheck.unit))
    )
    for check in latest_checks:
        units[check.unit.id] = check.unit
        reasons.setdefault(check.unit.id, []).append(
            f"{check.kind.label}: {check.result.label} ({check.checked_on.isoformat()})"
        )
    return sorted(
        (UnitRemark(units[unit_id], found) for unit_id, found in reasons.items()),
        key=lambda remark: remark.unit.name,
    )


def current_rounds(user: User, today: date) -> list[TenderRound]:
    """Followed rounds whose contract period includes today."""
    ends = func.coalesce(TenderRound.extension_until, TenderRound.contract_end)
    return list(
        db.session.scalars(
            select(TenderRound)
            .where(
                TenderRound.id.in_(followable_rounds(user.organisation)),
                TenderRound.contract_start <= today,
                or_(ends.is_(None), ends >= today),
            )
            .options(selectinload(TenderRound.agreement_area))
            .order_by(TenderRound.contract_start)
        )
    )


def followup_coverage(user: User, today: date) -> list[AreaCoverage]:
    """Per agreement area with a current round: särskilda uppföljningar this contract period.

    A follow-up counts when it is särskild, scoped to the area, the round or one of the round's
    contracts, and its period (or, without one, its creation) falls in the contract period."""
    network = network_organisation_ids(user)
    coverage: dict[int, AreaCoverage] = {}
    for tender_round in current_rounds(user, today):
        contracts = select(Contract.id).where(Contract.tender_round_id == tender_round.id)
        when = func.coalesce(
            FollowUp.period_end, FollowUp.period_start, func.date(FollowUp.created_at)
        )
        count = db.session.scalar(
            select(func.count(FollowUp.id)).where(
                FollowUp.kind == FollowUpKind.SPECIAL,
                FollowUp.organisation_id.in_(network),
                or_(
                    FollowUp.agreement_area_id == tender_round.agreement_area_id,
                    FollowUp.tender_round_id == tender_round.id,
                    FollowUp.contract_id.in_(contracts),
                ),
                when >= tender_round.contract_start,
            )
        )
        area_id = tender_round.agreement_area_id
        previous = coverage.get(area_id)
        # Two current rounds in one area (an overlap at a changeover): keep the newer.
        if previous is None or previous.tender_round.contract_start <= tender_round.contract_start:
            coverage[area_id] = AreaCoverage(tender_round.agreement_area, tender_round, count or 0)
    return sorted(coverage.values(), key=lambda item: (item.covered, item.area.name))


def coordinator_overview(user: User, today: date) -> CoordinatorOverview:
    followed_suppliers = set(db.session.scalars(followable_suppliers(user.organisation)))
    flagged = [
        flag
        for flag in flagged_suppliers(network_organisation_ids(user), today)
        if flag.supplier.id in followed_suppliers
    ]
    return CoordinatorOverview(
        deviations=open_deviations(user),
        checks=due_checks(acting_organisation_ids(user.organisation), today),
        paused=paused_contracts(user),
        unit_remarks=units_with_ivo_remarks(user),
        flagged=flagged,
        coverage=followup_coverage(user, today),
    )
