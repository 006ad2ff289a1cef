"""Deviations and the status timeline of a supplier or unit, limited to the viewer's network.

Deviations, follow-ups and checks are shown in full to everyone in the network that recorded
them (see kb.suppliers.services.knowledge_for), so their counts need no suppression. Contract
status changes are public to every signed-in user, as on the supplier page.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from flask_babel import gettext as _
from sqlalchemy import ColumnElement, Select, and_, distinct, func, or_, select
from sqlalchemy.orm import selectinload

from kb.extensions import db
from kb.followups.models import (
    CheckKind,
    CheckResult,
    Deviation,
    DeviationCategory,
    FollowUp,
    FollowUpMethod,
    FollowUpResult,
    SupplierCheck,
)
from kb.insight.chart_data import TimelineEvent
from kb.insight.supplier_subject import ChartSubject
from kb.suppliers.models import Unit, unit_agreement_areas
from kb.tenders.models import Contract, ContractStatusChange, TenderRound, contract_units

MAX_EVENTS = 60  # the most recent events shown on the timeline
IVO_REMARKS = (CheckResult.REMARK, CheckResult.FAILED)
IVO_FOLLOWUP_REMARKS = (FollowUpResult.REMARKS, FollowUpResult.SERIOUS)


@dataclass(frozen=True)
class DeviationCounts:
    own: dict[DeviationCategory, int]
    area: dict[DeviationCategory, int]
    own_units: int
    area_units: int


def subject_contract_ids(subject: ChartSubject) -> Select:
    """The contracts of the supplier, or on a unit page the contracts that include the unit."""
    if subject.whole_supplier:
        return select(Contract.id).where(Contract.supplier_id == subject.supplier_id)
    return select(contract_units.c.contract_id).where(
        contract_units.c.unit_id.in_(subject.unit_ids)
    )


def _subject_deviation(subject: ChartSubject) -> ColumnElement[bool]:
    return or_(
        Deviation.unit_id.in_(subject.unit_ids),
        and_(Deviation.unit_id.is_(None), Deviation.contract_id.in_(subject_contract_ids(subject))),
    )


def _area_units(subject: ChartSubject) -> Select:
    return select(unit_agreement_areas.c.unit_id).where(
        unit_agreement_areas.c.agreement_area_id.in_(subject.own_area_ids)
    )


def _area_deviation(subject: ChartSubject) -> ColumnElement[bool]:
    rounds = select(TenderRound.id).where(TenderRound.agreement_area_id.in_(subject.own_area_ids))
    return or_(
        Deviation.unit_id.in_(_area_units(subject)),
        Deviation.contract_id.in_(select(Contract.id).where(Contract.tender_round_id.in_(rounds))),
    )


def deviation_counts(network: tuple[int, ...], subject: ChartSubject) -> DeviationCounts:
    """Deviations per category for the subject and for its agreement areas."""

    def per_category(condition: ColumnElement[bool]) -> dict[DeviationCategory, int]:
        rows = db.session.execute(
            select(Deviation.category, func.count())
            .where(Deviation.organisation_id.in_(network), condition)
            .group_by(Deviation.category)
        ).all()
        return {category: int(n) for category, n in rows}

    area_units = db.session.scalar(
        select(func.count(distinct(unit_agreement_areas.c.unit_id))).where(
            unit_agreement_areas.c.unit_id.in_(_area_units(subject))
        )
    )
    return DeviationCounts(
        own=per_category(_subject_deviation(subject)),
        area=per_category(_area_deviation(subject)),
        own_units=len(subject.units),
        area_units=int(area_units or 0),
    )


def timeline_events(network: tuple[int, ...], subject: ChartSubject) -> list[TimelineEvent]:
    """Contract status changes, IVO remarks and inspections, and checks; newest MAX_EVENTS."""
    events = (
        _contract_events(subject)
        + _check_events(network, subject)
        + _ivo_followup_events(network, subject)
        + _inspection_events(subject)
    )
    events.sort(key=lambda event: event.on, reverse=True)
    return events[:MAX_EVENTS]


def _contract_events(subject: ChartSubject) -> list[TimelineEvent]:
    changes = db.session.scalars(
        select(ContractStatusChange)
        .where(ContractStatusChange.contract_id.in_(subject_contract_ids(subject)))
        .options(selectinload(ContractStatusChange.contract))
        .order_by(ContractStatusChange.changed_on.desc())
        .limit(MAX_EVENTS)
    ).all()
    kind = _("Avtalsstatus")
    return [
        TimelineEvent(
            change.changed_on,
            kind,
            _(
                "Avtal %(contract)s: %(status)s",
                contract=change.contract.reference or change.contract_id,
                status=change.to_status.label,
            ),
        )
        for change in changes
    ]


def _check_events(network: tuple[int, ...], subject: ChartSubject) -> list[TimelineEvent]:
    unit_condition = or_(
        SupplierCheck.unit_id.is_(None), SupplierCheck.unit_id.in_(subject.unit_ids)
    )
    checks = db.session.scalars(
        select(SupplierCheck)
        .where(
            SupplierCheck.supplier_id == subject.supplier_id,
            SupplierCheck.organisation_id.in_(network),
            unit_condition,
        )
        .options(selectinload(SupplierCheck.unit))
        .order_by(SupplierCheck.checked_on.desc())
        .limit(MAX_EVENTS)
    ).all()
    ivo, other = _("IVO-anmärkning"), _("Kontroll")
    return [
        TimelineEvent(
            check.checked_on,
            ivo if _is_ivo_remark(check) else other,
            _check_label(check),
        )
        for check in checks
    ]


def _is_ivo_remark(check: SupplierCheck) -> bool:
    return check.kind == CheckKind.IVO_PERMIT and check.result in IVO_REMARKS


def _check_label(check: SupplierCheck) -> str:
    text = f"{check.kind.label}: {check.result.label}"
    return f"{text} ({check.unit.name})" if check.unit is not None else text


def _ivo_followup_events(network: tuple[int, ...], subject: ChartSubject) -> list[TimelineEvent]:
    """Follow-ups by IVO-kontroll with remarks or serious shortcomings."""
    about_subject = or_(
        FollowUp.unit_id.in_(subject.unit_ids),
        FollowUp.contract_id.in_(subject_contract_ids(subject)),
        FollowUp.supplier_id == subject.supplier_id,
    )
    followups = db.session.scalars(
        select(FollowUp)
        .where(
            FollowUp.organisation_id.in_(network),
            FollowUp.result.in_(IVO_FOLLOWUP_REMARKS),
            func.coalesce(FollowUp.period_end, FollowUp.period_start).is_not(None),
            about_subject,
        )
        .order_by(FollowUp.id.desc())
    ).all()
    kind = _("IVO-anmärkning")
    return [
        TimelineEvent(
            followup.period_end or followup.period_start,  # type: ignore[arg-type]
            kind,
            f"{FollowUpMethod.IVO_CHECK.label}: {followup.result.label} – {followup.title}",
        )
        for followup in followups
        if FollowUpMethod.IVO_CHECK.value in (followup.methods or [])
    ]


def _inspection_events(subject: ChartSubject) -> list[TimelineEvent]:
    inspections: list[tuple[date, str]] = db.session.execute(
        select(Unit.last_ivo_inspection, Unit.name).where(
            Unit.id.in_(subject.unit_ids), Unit.last_ivo_inspection.is_not(None)
        )
    ).all()
    kind = _("IVO-inspektion")
    return [
        TimelineEvent(on, kind, _("Senaste IVO-inspektion: %(unit)s", unit=name))
        for on, name in inspections
    ]
