""" "Behov som tillgodosetts utanför avtal": off-contract placements since the predecessor
round started, by reason code. Their reasons are needs the next tender must cover."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from flask_babel import gettext as _
from sqlalchemy import ColumnElement, and_, func, or_, select
from sqlalchemy.orm import selectinload

from kb.auth.models import User
from kb.experiences.models import Experience, ExperienceStatus, OffContractReason
from kb.experiences.visibility import readable_by
from kb.extensions import db
from kb.suppliers.models import Unit
from kb.tenders.models import TenderRound


@dataclass(frozen=True)
class ReasonCount:
    reason: OffContractReason | None
    count: int
    suppressed: bool  # fewer than the minimum group size: the count is not shown

    @property
    def label(self) -> str:
        return str(self.reason.label) if self.reason else _("Inget skäl angivet")


def since(tender_round: TenderRound) -> date | None:
    """When the predecessor round's contracts started (or it was published)."""
    predecessor = tender_round.predecessor
    if predecessor is None:
        return None
    return predecessor.contract_start or predecessor.published_on


def _off_contract(tender_round: TenderRound) -> ColumnElement[bool]:
    condition = and_(
        Experience.agreement_area_id == tender_round.agreement_area_id,
        Experience.off_contract.is_(True),
        Experience.status == ExperienceStatus.SUBMITTED,
    )
    start = since(tender_round)
    if start is not None:
        condition = and_(
            condition,
            or_(
                Experience.start_year > start.year,
                and_(Experience.start_year == start.year, Experience.start_month >= start.month),
            ),
        )
    return condition


def reason_counts(tender_round: TenderRound, min_group_size: int) -> list[ReasonCount]:
    rows = db.session.execute(
        select(Experience.off_contract_reason, func.count())
        .where(_off_contract(tender_round))
        .group_by(Experience.off_contract_reason)
    ).all()
    counts = [ReasonCount(reason, count, count < min_group_size) for reason, count in rows]
    return sorted(counts, key=lambda c: (-c.count, c.label))


def readable_placements(
    user: User, tender_round: TenderRound, reason: OffContractReason | None
) -> list[Experience]:
    """The off-contract experiences for one reason that the user may read in full."""
    condition = _off_contract(tender_round)
    condition = and_(
        condition,
        Experience.off_contract_reason.is_(None)
        if reason is None
        else Experience.off_contract_reason == reason,
    )
    return list(
        db.session.scalars(
            select(Experience)
            .where(condition, readable_by(user))
            .options(selectinload(Experience.unit).selectinload(Unit.supplier))
            .order_by(Experience.start_year.desc(), Experience.start_month.desc(), Experience.id)
            .limit(200)
        )
    )
