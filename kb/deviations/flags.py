"""The one rule that flags a supplier for an event-driven follow-up (händelsestyrd uppföljning).

A deviation counts for a supplier when one of the given organisations recorded it, it concerns
the supplier (through its unit, else through its contract), and it occurred within the window:
on or after ``today - FLAG_WINDOW_DAYS`` and not after today. Resolved deviations still count:
a pattern is a pattern even when each case was put right.

A supplier is flagged when its counted deviations reach any threshold (config.py):

- ``FLAG_DEVIATION_COUNT`` deviations of any severity (default 3);
- ``FLAG_CRITICAL_COUNT`` of severity allvarlig (default 1);
- ``FLAG_HIGH_COUNT`` of severity hög or allvarlig (default 2).

The flag is lifted once one of the organisations recorded an event-driven follow-up scoped to
the supplier, one of its units or one of its contracts, after the newest counted deviation was
recorded (its ``created_at`` is later). A deviation recorded after that flags it again.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from flask import current_app
from flask_babel import gettext as _
from flask_babel import ngettext
from sqlalchemy import func, select
from sqlalchemy.orm import aliased, selectinload

from kb.extensions import db
from kb.followups.models import Deviation, FollowUp, FollowUpKind, Severity
from kb.suppliers.models import Supplier, Unit
from kb.tenders.models import Contract

HIGH_OR_WORSE = frozenset({Severity.HIGH, Severity.CRITICAL})


@dataclass(frozen=True)
class FlagThresholds:
    window_days: int = 365
    deviation_count: int = 3
    critical_count: int = 1
    high_count: int = 2

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> FlagThresholds:
        return cls(
            window_days=int(config.get("FLAG_WINDOW_DAYS", cls.window_days)),
            deviation_count=int(config.get("FLAG_DEVIATION_COUNT", cls.deviation_count)),
            critical_count=int(config.get("FLAG_CRITICAL_COUNT", cls.critical_count)),
            high_count=int(config.get("FLAG_HIGH_COUNT", cls.high_count)),
        )


@dataclass(frozen=True)
class SupplierFlag:
    """A supplier that should get an event-driven follow-up, and why."""

    supplier: Supplier
    reasons: list[str]
    deviations: list[Deviation]  # the counted deviations, newest first


def window_label(days: int) -> str:
    """'senaste 12 månaderna' for 365 days, 'senaste 3 månaderna' for 90, else in days."""
    if days % 365 == 0:
        return _("senaste %(n)d månaderna", n=days // 365 * 12)
    if days % 30 == 0:
        return _("senaste %(n)d månaderna", n=days // 30)
    return _("senaste %(n)d dagarna", n=days)


def reasons_for(deviations: list[Deviation], thresholds: FlagThresholds) -> list[str]:
    """The Swedish reasons these deviations flag their supplier; empty when they do not."""
    total = len(deviations)
    critical = sum(1 for d in deviations if d.severity == Severity.CRITICAL)
    high = sum(1 for d in deviations if d.severity in HIGH_OR_WORSE)
    reasons = []
    if total >= thresholds.deviation_count:
        reasons.append(
            _(
                "%(count)d avvikelser %(window)s",
                count=total,
                window=window_label(thresholds.window_days),
            )
        )
    if critical >= thresholds.critical_count:
        reasons.append(
            ngettext("%(num)d allvarlig avvikelse", "%(num)d allvarliga avvikelser", critical)
        )
    if high >= thresholds.high_count:
        reasons.append(
            ngettext(
                "%(num)d avvikelse med hög eller allvarlig allvarlighetsgrad",
                "%(num)d avvikelser med hög eller allvarlig allvarlighetsgrad",
                high,
            )
        )
    return reasons


def _counted_deviations(
    organisation_ids: list[int], start: date, today: date, supplier_id: int | None
) -> dict[int, list[Deviation]]:
    """The deviations in the window, grouped by the supplier they concern."""
    unit, contract = aliased(Unit), aliased(Contract)
    supplier = func.coalesce(unit.supplier_id, contract.supplier_id)
    statement = (
        select(Deviation, supplier)
        .outerjoin(unit, Deviation.unit_id == unit.id)
        .outerjoin(contract, Deviation.contract_id == contract.id)
        .where(
            Deviation.organisation_id.in_(organisation_ids),
            Deviation.occurred_on >= start,
            Deviation.occurred_on <= today,
        )
        .options(selectinload(Deviation.unit), selectinload(Deviation.contract))
        .order_by(Deviation.occurred_on.desc(), Deviation.id.desc())
    )
    if supplier_id is not None:
        statement = statement.where(supplier == supplier_id)
    grouped: dict[int, list[Deviation]] = defaultdict(list)
    for deviation, owner in db.session.execute(statement):
        if owner is not None:
            grouped[owner].append(deviation)
    return grouped


def _last_event_followups(organisation_ids: list[int], supplier_ids: list[int]) -> dict[int, Any]:
    """When each supplier last had an event-driven follow-up recorded, by supplier id."""
    unit, contract = aliased(Unit), aliased(Contract)
    supplier = func.coalesce(FollowUp.supplier_id, unit.supplier_id, contract.supplier_id)
    rows = db.session.execute(
        select(supplier, func.max(FollowUp.created_at))
        .outerjoin(unit, FollowUp.unit_id == unit.id)
        .outerjoin(contract, FollowUp.contract_id == contract.id)
        .where(
            FollowUp.organisation_id.in_(organisation_ids),
            FollowUp.kind == FollowUpKind.EVENT_DRIVEN,
            supplier.in_(supplier_ids),
        )
        .group_by(supplier)
    ).all()
    return {owner: recorded for owner, recorded in rows}


def flagged_suppliers(
    organisation_ids: list[int],
    today: date | None = None,
    *,
    supplier_id: int | None = None,
    thresholds: FlagThresholds | None = None,
) -> list[SupplierFlag]:
    """Suppliers flagged for an event-driven follow-up, most deviations first, then by name.

    Thresholds come from the app's config unless given; supplier_id narrows to one supplier."""
    if not organisation_ids:
        return []
    today = today or date.today()
    thresholds = thresholds or FlagThresholds.from_config(current_app.config)
    start = today - timedelta(days=thresholds.window_days)
    grouped = _counted_deviations(organisation_ids, start, today, supplier_id)
    followed_up = _last_event_followups(organisation_ids, list(grouped))
    flagged: list[tuple[int, list[Deviation], list[str]]] = []
    for owner, deviations in grouped.items():
        reasons = reasons_for(deviations, thresholds)
        newest_recorded = max(d.created_at for d in deviations)
        if reasons and not _after(followed_up.get(owner), newest_recorded):
            flagged.append((owner, deviations, reasons))
    ids = [owner for owner, _devs, _reasons in flagged]
    suppliers = {s.id: s for s in db.session.scalars(select(Supplier).where(Supplier.id.in_(ids)))}
    result = [SupplierFlag(suppliers[owner], reasons, devs) for owner, devs, reasons in flagged]
    return sorted(result, key=lambda flag: (-len(flag.deviations), flag.supplier.name))


def _after(followup_recorded: datetime | None, deviation_recorded: datetime) -> bool:
    return followup_recorded is not None and followup_recorded > deviation_recorded
